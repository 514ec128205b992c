"""Orders and paying them — shared by every kind of order (purchase, upgrade, renewal, pack):
确认付款 (method and coupon) → 身份验证 (balance payments) → result; the order list, detail and contract."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from models.enums import Channel, PaymentMethod
from models.records import Account, Order
from models.rules.money import to_decimal
from models.services import captures, coupons, order_explanations, order_queries, orders, payments, verification
from models.services.accounts import find_account
from models.services.errors import N_, DomainError
from models.services.gateway import SandboxGateway
from models.services.notifications import deliver_email
from models.services.partner_requests import latest as latest_partner_request  # 代付 as a request (issue 13)
from web.auth import provide_account
from web.forms import error_dict, form_data, parse_int
from web.i18n import _
from web.orders.exports import CONTENT_TYPE, disposition, orders_csv
from web.orders.listing import PAGE_SIZE, Filters, OrderListPage, history, page_number
from web.orders.pages import OrderDetailPage, PayPage, UnpayablePage, VerifyPage, wrong_code_message
from web.orders.pdf import pdf_response
from web.rendering import is_htmx, page

COUPON_UNUSABLE = N_("该优惠券不能用于此订单（已使用、已过期或未达到使用门槛）。")


def gateway_of(request: Request) -> SandboxGateway:
    return SandboxGateway(request.app.state.settings.secret_bytes)


def online_payment(request: Request) -> bool:
    """在线支付 is offered only with a configured gateway (SPEC.md §11)."""
    return request.app.state.settings.gateway is not None


async def _partner_login(order: Order) -> str | None:
    """The main account a pending 合作伙伴代付 request waits for."""
    if not (order.is_pending and order.method == PaymentMethod.PARTNER and order.payer):
        return None
    payer = await find_account(order.payer)
    return payer.login if payer else None


async def _stale(account: Account, order: Order, now: datetime, *, verify: bool = False) -> UnpayablePage | None:
    """Why this account cannot pay ORDER on the payment page (or, VERIFY, by 身份验证), or None when it can.
    The placer pays on 确认付款; 身份验证 pays a 余额支付 order of the placer's or a 代付 request of the payer's."""
    if order.is_pending:
        own = order.account == account.id
        asked = order.method == PaymentMethod.PARTNER and order.payer == account.id
        if own or asked:  # first: can it still be paid at all (the plan may have changed since)?
            refusal = await payments.refusal(order, now)
            if refusal is not None:
                return UnpayablePage.of(account, order, refusal)
        if ((own and order.method == PaymentMethod.BALANCE) or asked) if verify else own:
            return None
    return UnpayablePage.of(account, order, partner_login=await _partner_login(order) or "")


def _stale_page(request: Request, account: Account, stale: UnpayablePage) -> Template:
    return page(request, "orders/unpayable.html", {"account": account, "stale": stale}, status_code=stale.status_code)


async def _pay_page(
    request: Request,
    account: Account,
    order: Order,
    now: datetime,
    *,
    coupon: str | None = None,
    method: str | None = None,
    errors: dict[str, str] | None = None,
    cancelled: bool = False,
    status_code: int = 200,
) -> Template:
    """确认付款 for COUPON (None: the one stored with the order), its amounts by the rule the payment charges
    (payments.price). A coupon that does not apply is said next to the coupons; the amounts are then without one."""
    errors = dict(errors or {})
    usable = await coupons.usable(account.id, to_decimal(order.list_fen), now)
    coupon_id = order.coupon if coupon is None else parse_int(coupon)
    try:
        if coupon and coupon_id is None:
            raise DomainError(COUPON_UNUSABLE, field="coupon")
        priced = await payments.price(account, order, coupon_id, now)
    except DomainError as exc:
        errors.setdefault(exc.field or "coupon", _(exc.message, **exc.params))
        priced = await payments.price(account, order, None, now)
        if coupon is not None and status_code == 200:
            status_code = 400
    htmx = is_htmx(request)
    model = PayPage.of(
        account,
        order,
        usable,
        priced,
        errors=errors,
        method=method,
        cancelled=cancelled,
        online=online_payment(request),
        partner_login=await _partner_login(order),
        partner_request=await latest_partner_request(order.id),
        oob=htmx,
    )
    return page(
        request,
        "orders/pay.html",
        {"account": account, "errors": model.errors, "page": model},
        block="preview",
        # htmx swaps only 2xx answers: a refused coupon comes back as the amounts without it, saying why
        status_code=200 if htmx else status_code,
    )


async def _verify_page(
    request: Request,
    account: Account,
    order: Order,
    now: datetime,
    *,
    errors: dict[str, str] | None = None,
    channel: str | None = None,
    status_code: int = 200,
) -> Template:
    state = await verification.code_state(account, order.id, now)
    model = VerifyPage.of(
        account, order, verification.destinations(account), state, now, channel=channel, errors=errors
    )
    return page(
        request,
        "orders/verify.html",
        {"account": account, "errors": model.errors, "page": model},
        status_code=status_code,
    )


async def _list_page(request: Request, account: Account, filters: Filters) -> Template:
    """The list for FILTERS; filters with errors show the form again with its errors and no results (400)."""
    number = page_number(request.query_params.get("page"))
    if filters.errors:
        model = OrderListPage.of(filters, [], 0, 1, main=account.is_main)
    else:
        total = await order_queries.count_of(account.id, filters.wanted)
        found = await order_queries.page_of(account.id, filters.wanted, PAGE_SIZE, (number - 1) * PAGE_SIZE)
        model = OrderListPage.of(filters, found, total, number, main=account.is_main)
    return page(
        request,
        "orders/list.html",
        {"account": account, "page": model, "errors": filters.errors},
        status_code=400 if filters.errors else 200,
    )


class OrdersController(Controller):
    path = "/orders"
    dependencies = {"account": Provide(provide_account)}

    @get("/")
    async def list_orders(self, request: Request, account: Account) -> Template:
        """订单管理: this account's orders, filtered by the GET form, 20 a page, newest first."""
        return await _list_page(request, account, Filters.read(request.query_params))

    @get("/export.csv")
    async def export_orders(self, request: Request, account: Account, now: datetime) -> Response[bytes] | Template:
        """导出CSV: the filtered list, all pages (the same filters as the list's link)."""
        filters = Filters.read(request.query_params)
        if filters.errors:
            return await _list_page(request, account, filters)
        rows = await order_queries.all_of(account.id, filters.wanted)
        return Response(
            content=orders_csv(rows),
            media_type=CONTENT_TYPE,
            headers={"Content-Disposition": disposition("orders", now)},
        )

    @get("/{order_id:str}")
    async def detail(self, request: Request, account: Account, order_id: str) -> Template:
        order = await orders.get_for(account, order_id)
        model = OrderDetailPage.of(
            account,
            order,
            await _partner_login(order),
            partner_request=await latest_partner_request(order.id),
            explanation=await order_explanations.of(order.id),
        )
        events = history(order, await order_queries.history_facts(order))
        return page(request, "orders/detail.html", {"account": account, "page": model, "history": events})

    @get("/{order_id:str}/pay")
    async def pay_page(self, request: Request, account: Account, order_id: str, now: datetime) -> Template:
        """确认付款; with ?coupon= (and ?method=) the amounts for that coupon (the 使用优惠券 button's answer), and
        for htmx the amounts block alone. An order that can no longer be paid here says why."""
        order = await orders.get_for(account, order_id)
        stale = await _stale(account, order, now)
        if stale:
            return _stale_page(request, account, stale)
        query = request.query_params
        return await _pay_page(
            request,
            account,
            order,
            now,
            coupon=query.get("coupon") if "coupon" in query else None,
            method=query.get("method") if "method" in query else None,
            cancelled=bool(query.get("cancelled")),
        )

    @post("/{order_id:str}/pay")
    async def choose_method(
        self, request: Request, account: Account, order_id: str, now: datetime
    ) -> Template | Redirect:
        data = await form_data(request)
        method, coupon = data.get("method", ""), data.get("coupon", "")
        if data.get("action") == "coupon":  # 使用优惠券 without JavaScript: the page again, for that coupon
            query = urlencode({"coupon": coupon, **({"method": method} if method else {})})
            return Redirect(path=f"/orders/{order_id}/pay?{query}", status_code=303)
        try:
            if method == PaymentMethod.ONLINE and not online_payment(request):
                raise DomainError(N_("在线支付未开通，请选择其他支付方式。"), field="method")
            if coupon and parse_int(coupon) is None:
                raise DomainError(COUPON_UNUSABLE, field="coupon")
            order = await payments.choose(account, order_id, method, parse_int(coupon) if coupon else None, now)
        except DomainError as exc:
            order = await orders.get_for(account, order_id)
            stale = await _stale(account, order, now)
            if stale:
                return _stale_page(request, account, stale)
            return await _pay_page(
                request,
                account,
                order,
                now,
                coupon=coupon,
                method=method,
                errors=error_dict(exc, "method"),
                status_code=exc.status_code,
            )
        if method == PaymentMethod.ONLINE:
            return Redirect(path=gateway_of(request).checkout_url(order_id, order.due_fen), status_code=303)
        if method == PaymentMethod.BALANCE:
            return Redirect(path=f"/orders/{order_id}/verify", status_code=303)
        return Redirect(path=f"/orders/{order_id}/result", status_code=303)

    @get("/{order_id:str}/verify")
    async def verify_page(self, request: Request, account: Account, order_id: str, now: datetime) -> Template:
        """身份验证; a paid, cancelled or otherwise unpayable order says so (the Back button, a stale tab)."""
        order = await orders.get_for(account, order_id)
        stale = await _stale(account, order, now, verify=True)
        if stale:
            return _stale_page(request, account, stale)
        return await _verify_page(request, account, order, now)

    @post("/{order_id:str}/verify/send")
    async def send_code(self, request: Request, account: Account, order_id: str, now: datetime) -> Template | Redirect:
        """获取验证码: POST → 303 back to 身份验证, so a reload of the page sends nothing."""
        data = await form_data(request)
        order = await orders.get_for(account, order_id)
        stale = await _stale(account, order, now, verify=True)
        if stale:
            return _stale_page(request, account, stale)
        channel = data.get("channel", "")
        try:
            await verification.send_code(account, order_id, channel, now)
        except DomainError as exc:
            return await _verify_page(
                request,
                account,
                order,
                now,
                errors=error_dict(exc, "channel"),
                channel=channel or None,
                status_code=exc.status_code,
            )
        if channel == Channel.EMAIL:  # the code is in the outbox; by e-mail too when CONSOLE_SMTP_URL is set
            await deliver_email(request.app.state.settings.smtp_url, now)
        return Redirect(path=f"/orders/{order_id}/verify", status_code=303)

    @post("/{order_id:str}/verify")
    async def confirm_payment(
        self, request: Request, account: Account, order_id: str, now: datetime
    ) -> Template | Redirect:
        data = await form_data(request)
        try:
            await payments.pay_verified(account, order_id, data.get("code", ""), now)
        except DomainError as exc:
            order = await orders.get_for(account, order_id)
            stale = await _stale(account, order, now, verify=True)
            if stale:
                return _stale_page(request, account, stale)
            errors = error_dict(exc, "code")
            if exc.message == verification.WRONG_CODE:
                state = await verification.code_state(account, order_id, now)
                errors = {"code": wrong_code_message(state.tries_left)}
            elif exc.field not in (None, "code", "channel"):
                errors = {"": _(exc.message, **exc.params)}
            return await _verify_page(
                request,
                account,
                order,
                now,
                errors=errors,
                channel=data.get("channel") or None,
                status_code=exc.status_code,
            )
        return Redirect(path=f"/orders/{order_id}/result", status_code=303)

    @get("/{order_id:str}/result")
    async def result(self, request: Request, account: Account, order_id: str) -> Template:
        order = await orders.get_for(account, order_id)
        return page(request, "orders/result.html", {"account": account, "order": order})

    @get("/{order_id:str}/cancel")
    async def cancel_page(self, request: Request, account: Account, order_id: str) -> Template:
        """取消订单's confirmation (without JavaScript; with it a dialog asks on the page)."""
        order = await orders.get_own(account, order_id)
        if not order.is_pending:
            return _stale_page(request, account, UnpayablePage.of(account, order))
        back = {"pay": f"/orders/{order_id}/pay", "plan": "/plan"}.get(
            request.query_params.get("from", ""), f"/orders/{order_id}"
        )
        return page(request, "orders/cancel.html", {"account": account, "order": order, "back_href": back})

    @post("/{order_id:str}/cancel")
    async def cancel(self, request: Request, account: Account, order_id: str, now: datetime) -> Template | Redirect:
        try:
            await orders.cancel(account, order_id, now)
        except DomainError:
            order = await orders.get_own(account, order_id)
            return _stale_page(request, account, UnpayablePage.of(account, order))
        flash(request, _("订单 %(order)s 已取消。", order=order_id), "success")
        return Redirect(path=f"/orders/{order_id}", status_code=303)

    @get("/{order_id:str}/contract")
    async def contract(self, request: Request, account: Account, order_id: str, download: bool = False) -> Template:
        """The contract as a printable page (orders/contract.html in the console's layout); ?download=true as a file."""
        order = await orders.get_for(account, order_id)
        context = {"account": account, "order": order, "layout": "base.html", "printing": False}
        response = page(request, "orders/contract.html", context)
        if download:
            response.headers["Content-Disposition"] = f'attachment; filename="contract-{order_id}.html"'
        return response

    @get("/{order_id:str}/contract.pdf")
    async def contract_pdf(self, request: Request, account: Account, order_id: str) -> Response[bytes]:
        """下载合同（PDF）: the same document in the print layout, laid out off the event loop (web/orders/pdf.py)."""
        order = await orders.get_for(account, order_id)
        context = {"account": account, "order": order, "layout": "print_base.html", "printing": True}
        return await pdf_response(request, "orders/contract.html", context, f"contract-{order_id}.pdf")


class SandboxGatewayController(Controller):
    """The sandbox payment site. Its page is clearly marked; paying sends the signed callback."""

    path = "/payments/sandbox"

    @get("/{order_id:str}", dependencies={"account": Provide(provide_account)})
    async def checkout(
        self, request: Request, account: Account, order_id: str, amount_fen: int, token: str
    ) -> Template:
        order = await orders.get_for(account, order_id)
        if not gateway_of(request).verify(
            {"order_id": order_id, "amount_fen": str(amount_fen), "purpose": "checkout"}, token
        ):
            raise DomainError(_("支付链接无效或已被修改。"))
        return page(
            request,
            "payments/sandbox.html",
            {"account": account, "order": order, "amount_fen": amount_fen, "token": token},
        )

    @post("/{order_id:str}", dependencies={"account": Provide(provide_account)})
    async def decide(self, request: Request, account: Account, order_id: str, now: datetime) -> Redirect:
        data = await form_data(request)
        order = await orders.get_for(account, order_id)
        gateway = gateway_of(request)
        if data.get("decision") != "pay":
            return Redirect(path=f"/orders/{order_id}/pay?cancelled=1", status_code=303)
        amount = data.get("amount_fen", "")
        if not gateway.verify(
            {"order_id": order_id, "amount_fen": amount, "purpose": "checkout"}, data.get("token", "")
        ):
            raise DomainError(_("支付链接无效或已被修改。"))
        # The sandbox "takes" the amount it was asked for (signed in the link) and reports it as a capture.
        payload, signature = gateway.notification(order.id, int(amount))
        await captures.capture(gateway, payload, signature, now)
        return Redirect(path=f"/orders/{order_id}/result", status_code=303)

    @post("/notify", status_code=200)
    async def notify(self, request: Request, now: datetime) -> Response[dict[str, object]]:
        """The callback as the payment site sends it: form fields plus an X-Signature header."""
        payload = await form_data(request)
        try:
            recorded = await captures.capture(gateway_of(request), payload, request.headers.get("x-signature", ""), now)
        except DomainError as exc:
            return Response(content={"ok": False, "error": exc.message}, status_code=exc.status_code)
        order = await orders.get(recorded.order_id)
        return Response(
            content={
                "ok": True,
                "transaction_id": recorded.transaction_id,
                "outcome": recorded.outcome,
                "order_id": order.id,
                "status": order.status,
            }
        )
