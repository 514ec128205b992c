"""The payment pages' model (确认付款 → 身份验证) and the order pages': the options offered, decided here."""

from __future__ import annotations

from dataclasses import dataclass

from models.enums import PAYMENT_METHOD_NAMES, Channel, CouponKind, PaymentMethod
from models.records import Account, Order
from models.services.coupons import UsableCoupon
from web.i18n import _
from web.template_globals import RadioOption, money, when


def coupon_label(coupon: UsableCoupon) -> str:
    """代金券 ¥500.00, or 折扣券 8.5折 (a rate of 850‰ reads 8.5, 900‰ reads 9)."""
    if coupon.kind == CouponKind.VOUCHER:
        return _("代金券 %(amount)s", amount=money(coupon.amount_fen or 0))
    rate = str(round((coupon.rate_permille or 0) / 100, 1)).replace(".0", "")
    return _("折扣券 %(rate)s折", rate=rate)


def coupon_hint(coupon: UsableCoupon) -> str:
    hint = _("优惠 %(discount)s，应付 %(due)s", discount=money(coupon.discount), due=money(coupon.due))
    if coupon.expires_at:
        hint += "；" + _("有效期至 %(date)s", date=when(coupon.expires_at))
    return hint


def coupon_options(usable: list[UsableCoupon]) -> list[RadioOption]:
    return [("", _("不使用优惠券"), None, False)] + [
        (str(coupon.id), coupon_label(coupon), coupon_hint(coupon), False) for coupon in usable
    ]


def method_options(account: Account, online: bool) -> list[RadioOption]:
    """Every method, each with what it means; a main account pays itself, so 合作伙伴代付 is not for it.
    在线支付 only when a gateway is configured (SPEC.md §11)."""
    hints = {
        PaymentMethod.BALANCE: _("可用额度 %(balance)s", balance=money(account.balance_fen)),
        PaymentMethod.ONLINE: _("支持多种在线支付方式（当前为沙箱支付网关）"),
        PaymentMethod.PARTNER: _("申请由合作伙伴提交并支付该订单（不可使用优惠券）"),
        PaymentMethod.CONTRACT: _("下载合同，线下申请款项后再完成支付；您已选择的折扣优惠会保存至相应的待支付订单。"),
    }
    return [
        (method, _(PAYMENT_METHOD_NAMES[method]), hint, method == PaymentMethod.PARTNER and account.is_main)
        for method, hint in hints.items()
        if online or method != PaymentMethod.ONLINE
    ]


@dataclass(frozen=True, slots=True)
class PayPage:
    """确认付款: the order, its coupons and methods, and what was chosen (or is stored)."""

    order: Order
    coupon_options: list[RadioOption]
    method_options: list[RadioOption]
    method: str
    coupon: str
    errors: dict[str, str]
    shortfall: bool  # the balance was short: the page says to top up first
    cancelled: bool  # back from a cancelled online payment

    @classmethod
    def of(
        cls,
        account: Account,
        order: Order,
        usable: list[UsableCoupon],
        *,
        errors: dict[str, str] | None = None,
        method: str | None = None,
        coupon: str | None = None,
        shortfall: bool = False,
        cancelled: bool = False,
        online: bool = True,
    ) -> PayPage:
        return cls(
            order=order,
            coupon_options=coupon_options(usable),
            method_options=method_options(account, online),
            method=method or order.method or PaymentMethod.BALANCE,
            coupon=coupon if coupon is not None else str(order.coupon or ""),
            errors=errors or {},
            shortfall=shortfall,
            cancelled=cancelled,
        )


def takes_coupons(order: Order) -> bool:
    """An order asked of the main account (合作伙伴代付) takes no coupon."""
    return not (order.method == PaymentMethod.PARTNER and order.payer)


@dataclass(frozen=True, slots=True)
class VerifyPage:
    """身份验证: where a code can go, which was chosen, where one was sent."""

    order: Order
    channel_options: list[RadioOption]
    channel: str
    sent_to: str | None
    errors: dict[str, str]

    @classmethod
    def of(
        cls,
        order: Order,
        destinations: dict[Channel, str],
        *,
        channel: str = Channel.PHONE,
        sent_to: str | None = None,
        errors: dict[str, str] | None = None,
    ) -> VerifyPage:
        labels = {Channel.PHONE: _("手机"), Channel.EMAIL: _("邮箱")}
        options: list[RadioOption] = [
            (where, label, destinations[where], False) for where, label in labels.items() if destinations.get(where)
        ]
        return cls(order=order, channel_options=options, channel=channel, sent_to=sent_to, errors=errors or {})


@dataclass(frozen=True, slots=True)
class OrderDetailPage:
    """订单详情: the order, and whether this account may pay or cancel it here."""

    order: Order
    payable: bool  # pending and placed by this account: it may pay or cancel it here

    @classmethod
    def of(cls, account: Account, order: Order) -> OrderDetailPage:
        return cls(order=order, payable=order.is_pending and order.account == account.id)
