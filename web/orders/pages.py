"""The payment pages' models (确认付款 → 身份验证), the order pages' and the pages that say why an order can no
longer be paid here: the options offered and every amount, decided here; the templates only format them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.enums import PAYMENT_METHOD_NAMES, REFUND_KINDS, Channel, CouponKind, OrderKind, OrderStatus, PaymentMethod
from models.records import Account, Order, PartnerRequest
from models.rules.explain import Explanation
from models.services.coupons import UsableCoupon
from models.services.errors import DomainError
from models.services.payments import Priced
from models.services.unsubscribe import REASONS
from models.services.verification import MAX_TRIES, CodeState
from web.i18n import _, ngettext
from web.template_globals import RadioOption, money, when


def coupon_label(coupon: UsableCoupon) -> str:
    """代金券 ¥500.00, or 折扣券 8.5折 (a rate of 850‰ reads 8.5, 900‰ reads 9)."""
    if coupon.kind == CouponKind.VOUCHER:
        return _("代金券 %(amount)s", amount=money(coupon.amount_fen or 0))
    rate = str(round((coupon.rate_permille or 0) / 100, 1)).replace(".0", "")
    return _("折扣券 %(rate)s折", rate=rate)


def coupon_hint(coupon: UsableCoupon) -> str:
    if coupon.expires_at:
        return _(
            "优惠 %(discount)s，应付 %(due)s；有效期至 %(date)s",
            discount=money(coupon.discount),
            due=money(coupon.due),
            date=when(coupon.expires_at),
        )
    return _("优惠 %(discount)s，应付 %(due)s", discount=money(coupon.discount), due=money(coupon.due))


def coupon_options(usable: list[UsableCoupon]) -> list[RadioOption]:
    return [("", _("不使用优惠券"), None, False)] + [
        (str(coupon.id), coupon_label(coupon), coupon_hint(coupon), False) for coupon in usable
    ]


@dataclass(frozen=True, slots=True)
class MethodOption:
    """One payment method on 确认付款: its radio, its own hint (the radio's description) and a link after it."""

    value: str
    label: str
    hint: str
    disabled: bool
    link: tuple[str, str] | None = None  # (href, text): 余额支付's 充值


def method_options(account: Account, order: Order, priced: Priced, online: bool) -> list[MethodOption]:
    """The four methods of the guide's 图 2-4, each with its hint. A main account pays itself, so 合作伙伴代付 is
    not for it; an upgrade's fee is not paid by contract (payments.choose says why); 在线支付 only with a gateway
    (SPEC.md §11). The balance's hint names the shortfall when the balance is short of the amount due."""
    balance = _("可用额度 %(balance)s", balance=money(account.balance_fen))
    shortfall = priced.due_fen - account.balance_fen
    if shortfall > 0:
        balance = _(
            "可用额度 %(balance)s；余额不足，差额 %(shortfall)s",
            balance=money(account.balance_fen),
            shortfall=money(shortfall),
        )
    partner = _("申请由合作伙伴提交并支付该订单（不可使用优惠券）")
    if account.is_main:
        partner = _("申请由合作伙伴提交并支付该订单（不可使用优惠券）。您是合作伙伴主帐号，请直接支付该订单。")
    contract = _("前往合同页面申请并下载合同，线下申请款项后再完成支付；您已选择的折扣优惠会保存至相应的待支付订单。")
    upgrade = order.kind == OrderKind.UPGRADE
    if upgrade:
        contract = _("升级费用按小时折算，会随时间变化，不能申请线上合同请款后支付。请选择其他支付方式。")
    options = [
        MethodOption(
            PaymentMethod.BALANCE,
            _(PAYMENT_METHOD_NAMES[PaymentMethod.BALANCE]),
            balance,
            False,
            ("/balance", _("充值")),
        ),
        MethodOption(
            PaymentMethod.ONLINE,
            _(PAYMENT_METHOD_NAMES[PaymentMethod.ONLINE]),
            _("支持多种在线支付方式（当前为沙箱支付网关，不会产生真实扣款）"),
            False,
        ),
        MethodOption(PaymentMethod.PARTNER, _(PAYMENT_METHOD_NAMES[PaymentMethod.PARTNER]), partner, account.is_main),
        MethodOption(PaymentMethod.CONTRACT, _(PAYMENT_METHOD_NAMES[PaymentMethod.CONTRACT]), contract, upgrade),
    ]
    return [option for option in options if online or option.value != PaymentMethod.ONLINE]


@dataclass(frozen=True, slots=True)
class PayPage:
    """确认付款 (the guide's 图 2-4): the order, its coupons and methods, what is chosen, and the amount due for
    the chosen coupon as the payment will charge it (payments.price, the rule 确认付款 stores)."""

    order: Order
    priced: Priced  # the amount due for `coupon`
    coupon_options: list[RadioOption]
    coupon: str  # the coupon the amounts were computed for ("" for none)
    coupon_name: str  # its label, or 不使用优惠券: the preview names what it was computed for
    method_options: list[MethodOption]
    method: str  # the chosen (or stored) method; "" when none is chosen yet
    balance_fen: int
    errors: dict[str, str]
    cancelled: bool  # back from a cancelled online payment
    partner_login: str | None  # the main account asked to pay this order (合作伙伴代付), while it waits
    partner_request: PartnerRequest | None  # the newest 代付 request: its state and a rejection's reason (issue 13)
    oob: bool  # rendered for htmx: the amounts elsewhere on the page come along out of band

    @property
    def shortfall_fen(self) -> int:
        """How much the balance lacks for the amount due (0 when it is enough)."""
        return max(0, self.priced.due_fen - self.balance_fen)

    @classmethod
    def of(
        cls,
        account: Account,
        order: Order,
        usable: list[UsableCoupon],
        priced: Priced,
        *,
        errors: dict[str, str] | None = None,
        method: str | None = None,
        cancelled: bool = False,
        online: bool = True,
        partner_login: str | None = None,
        partner_request: PartnerRequest | None = None,
        oob: bool = False,
    ) -> PayPage:
        methods = method_options(account, order, priced, online)
        offered = {option.value for option in methods if not option.disabled}
        chosen = method if method is not None else order.method
        if chosen not in offered:
            chosen = ""
        if method is None and not chosen and account.balance_fen >= priced.due_fen:
            chosen = PaymentMethod.BALANCE  # preselected only when the balance is enough
        coupon = str(priced.coupon or "")
        names = {value: label for value, label, _hint, _off in coupon_options(usable)}
        return cls(
            order=order,
            priced=priced,
            coupon_options=coupon_options(usable),
            coupon=coupon,
            coupon_name=names.get(coupon, _("不使用优惠券")),
            method_options=methods,
            method=chosen,
            balance_fen=account.balance_fen,
            errors=errors or {},
            cancelled=cancelled,
            partner_login=partner_login,
            partner_request=partner_request,
            oob=oob,
        )


def takes_coupons(order: Order) -> bool:
    """An order asked of the main account (合作伙伴代付) takes no coupon."""
    return not (order.method == PaymentMethod.PARTNER and order.payer)


@dataclass(frozen=True, slots=True)
class UnpayablePage:
    """Why this page can no longer do what it offered for the order (a stale tab, the Back button): the order
    was paid, cancelled or unsubscribed, its plan changed, or another account is to pay it; with the way on."""

    order: Order
    title: str
    message: str
    kind: str  # the alert's kind: info, success or warning
    links: tuple[tuple[str, str], ...]  # (href, text); the first is the way on
    cancel: bool  # the order is still pending and the account may cancel it (取消订单 is offered)
    status_code: int

    @classmethod
    def of(
        cls, account: Account, order: Order, refusal: DomainError | None = None, *, partner_login: str = ""
    ) -> UnpayablePage:
        """REFUSAL: why a pending order can no longer be paid (its kind's own check), if it cannot."""
        back = ("/plan", _("返回支持计划"))
        details = (f"/orders/{order.id}", _("查看订单详情"))
        own = order.account == account.id
        if order.status == OrderStatus.PAID:
            return cls(
                order,
                _("订单已支付"),
                _("订单 %(order)s 已于 %(when)s 支付，无需再次付款。", order=order.id, when=when(order.paid_at)),
                "success",
                ((f"/orders/{order.id}/result", _("查看支付结果")), back),
                False,
                409,
            )
        if order.status == OrderStatus.CANCELLED:
            return cls(
                order,
                _("订单已取消"),
                _(
                    "订单 %(order)s 已于 %(when)s 取消，不能再支付。如仍需要，请重新下单。",
                    order=order.id,
                    when=when(order.closed_at),
                ),
                "warning",
                (details, back),
                False,
                409,
            )
        if order.status == OrderStatus.REFUND_DONE:
            return cls(
                order,
                _("退款订单无需支付"),
                _(
                    "订单 %(order)s 是退款订单，退款 %(amount)s 已于 %(when)s 退还至余额，无需支付。",
                    order=order.id,
                    amount=money(order.due_fen),
                    when=when(order.closed_at),
                ),
                "info",
                (details, back),
                False,
                409,
            )
        if order.status == OrderStatus.REFUNDED:
            return cls(
                order,
                _("订单已退订"),
                _("订单 %(order)s 已退订，不能再支付。", order=order.id),
                "warning",
                (details, back),
                False,
                409,
            )
        if refusal is not None:
            return cls(
                order,
                _("订单无法支付"),
                _(refusal.message, **refusal.params),
                "warning",
                (details, back),
                own,
                409,
            )
        if not own and not (order.method == PaymentMethod.PARTNER and order.payer == account.id):
            return cls(  # the 代付 request was rejected or withdrawn (issue 13): nothing waits for this account
                order,
                _("代付申请已结束"),
                _("订单 %(order)s 已不再等待您代付：该代付申请已被驳回或子帐号已改用其他支付方式。", order=order.id),
                "warning",
                (("/orders/partner-requests", _("返回待代付订单")), details),
                False,
                409,
            )
        if not own:  # the main account on a member's 合作伙伴代付 request: it pays after 身份验证
            return cls(
                order,
                _("合作伙伴代付"),
                _("该订单由子帐号申请由您代付，请完成身份验证后用您的余额支付。"),
                "info",
                ((f"/orders/{order.id}/verify", _("去支付")), details),
                False,
                200,
            )
        if order.method == PaymentMethod.PARTNER and partner_login:
            return cls(
                order,
                _("等待合作伙伴代付"),
                _(
                    "该订单已申请合作伙伴代付，正在等待主帐号 %(login)s 支付。如需改用其他支付方式，请返回确认付款页面重新选择。",
                    login=partner_login,
                ),
                "info",
                ((f"/orders/{order.id}/pay", _("返回确认付款")), details),
                True,
                409,
            )
        return cls(
            order,
            _("请先选择支付方式"),
            _("该订单未选择余额支付，请先选择支付方式。"),
            "warning",
            ((f"/orders/{order.id}/pay", _("返回确认付款")), details),
            True,
            409,
        )


@dataclass(frozen=True, slots=True)
class VerifyPage:
    """身份验证: what is being paid and from whose balance, where a code can go and where the latest went, how
    many tries it has left, and from when a new one may be requested (the countdown)."""

    order: Order
    payer_login: str  # whose balance pays: this account's (余额支付, or the main account's for 代付)
    channel_options: list[RadioOption]
    channel: str
    sent_to: str | None  # the masked destination of the latest code while it can be entered
    state: CodeState
    resend_in: int  # seconds until a new code may be requested (0: at once)
    errors: dict[str, str]
    code_hint: str

    @property
    def resend_at(self) -> datetime:
        return self.state.resend_at

    @classmethod
    def of(
        cls,
        account: Account,
        order: Order,
        destinations: dict[Channel, str],
        state: CodeState,
        now: datetime,
        *,
        channel: str | None = None,
        errors: dict[str, str] | None = None,
    ) -> VerifyPage:
        labels = {Channel.PHONE: _("手机"), Channel.EMAIL: _("邮箱")}
        options: list[RadioOption] = [
            (where, label, destinations[where], False) for where, label in labels.items() if destinations.get(where)
        ]
        chosen = channel or (state.channel if state.channel in destinations else None) or Channel.PHONE
        hint = _("6位数字")
        if state.live and state.tries_left < MAX_TRIES and not errors:  # after an error its message says it
            hint = ngettext(
                "6位数字；该验证码还可以输入%(num)s次。", "6位数字；该验证码还可以输入%(num)s次。", state.tries_left
            )
        sent_to = destinations.get(state.channel) if state.live and state.channel else None
        return cls(
            order=order,
            payer_login=account.login,
            channel_options=options,
            channel=chosen,
            sent_to=sent_to,
            state=state,
            resend_in=max(0, int((state.resend_at - now).total_seconds())),
            errors=errors or {},
            code_hint=hint,
        )


def wrong_code_message(tries_left: int) -> str:
    """验证码错误 with how many tries the code has left (5 wrong tries void it, SPEC.md §7)."""
    return ngettext(
        "验证码错误，还可以再输入%(num)s次；输错5次后验证码失效。",
        "验证码错误，还可以再输入%(num)s次；输错5次后验证码失效。",
        tries_left,
    )


@dataclass(frozen=True, slots=True)
class OrderDetailPage:
    """订单详情: the order, whether this account may pay or cancel it here, and whom a 代付 request waits for."""

    order: Order
    payable: bool  # pending and placed by this account: it may pay or cancel it here
    pay_href: str | None  # where 去支付 leads (the main account pays a 代付 request after 身份验证)
    partner_login: str | None  # the main account a 合作伙伴代付 request waits for
    partner_request: PartnerRequest | None = None  # the newest 代付 request (issue 13), shown to the member
    refund_reason: str | None = None  # a 退订 refund order's reason (请选择退订原因), translated
    explanation: Explanation | None = None  # 怎么算的 of its amount, as kept when the order was made

    @classmethod
    def of(
        cls,
        account: Account,
        order: Order,
        partner_login: str | None = None,
        *,
        partner_request: PartnerRequest | None = None,
        explanation: Explanation | None = None,
    ) -> OrderDetailPage:
        own = order.is_pending and order.account == account.id
        asked = order.is_pending and order.method == PaymentMethod.PARTNER and order.payer == account.id
        href = f"/orders/{order.id}/pay" if own else (f"/orders/{order.id}/verify" if asked else None)
        waits = order.is_pending and order.method == PaymentMethod.PARTNER and order.payer is not None
        return cls(
            order=order,
            payable=own,
            pay_href=href,
            partner_login=partner_login if waits else None,
            partner_request=partner_request,
            explanation=explanation,
            refund_reason=_(REASONS[order.refund_reason])
            if order.kind in REFUND_KINDS and order.refund_reason in REASONS
            else None,
        )
