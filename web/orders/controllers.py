"""Orders and paying them — shared by every kind of order (purchase, upgrade, renewal, pack):
确认付款 (method and coupon) → 身份验证 (balance payments) → result; the order list, detail and contract."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.response import Redirect, Template

from models.enums import Channel, PaymentMethod
from models.records import Account, Order
from models.rules.money import to_decimal
from models.services import captures, coupons, orders, payments, verification
from models.services.errors import N_, DomainError
from models.services.gateway import SandboxGateway
from models.services.ledger import InsufficientBalance
from models.services.notifications import deliver_email
from web.auth import provide_account
from web.forms import error_dict, form_data, parse_int
from web.i18n import _
from web.orders.pages import OrderDetailPage, PayPage, VerifyPage, takes_coupons
from web.rendering import page


def gateway_of(request: Request) -> SandboxGateway:
    return SandboxGateway(request.app.state.settings.secret_bytes)


def online_payment(request: Request) -> bool:
    """在线支付 is offered only with a configured gateway (SPEC.md §11)."""
    return request.app.state.settings.gateway is not None


async def _usable_coupons(account: Account, order: Order, now: datetime) -> list[coupons.UsableCoupon]:
    if not takes_coupons(order):
        return []
    return await coupons.usable(account.id, to_decimal(order.list_fen), now)


def _verify_page(
    request: Request,
    account: Account,
    order: Order,
    *,
    errors: dict[str, str] | None = None,
    sent_to: str | None = None,
    channel: str = Channel.PHONE,
    status_code: int = 200,
) -> Template:
    model = VerifyPage.of(order, verification.destinations(account), channel=channel, sent_to=sent_to, errors=errors)
    return page(
        request,
        "orders/verify.html",
        {"account": account, "errors": model.errors, "page": model},
        status_code=status_code,
    )


class OrdersController(Controller):
    path = "/orders"
    dependencies = {"account": Provide(provide_account)}

    @get("/")
    async def list_orders(self, request: Request, account: Account) -> Template:
        return page(
            request,
            "orders/list.html",
            {
                "account": account,
                "orders": await orders.list_for(account),
                "awaiting": await orders.awaiting_partner_payment(account) if account.is_main else [],
            },
        )

    @get("/{order_id:str}")
    async def detail(self, request: Request, account: Account, order_id: str) -> Template:
        order = await orders.get_for(account, order_id)
        return page(request, "orders/detail.html", {"account": account, "page": OrderDetailPage.of(account, order)})

    @get("/{order_id:str}/pay")
    async def pay_page(self, request: Request, account: Account, order_id: str, now: datetime) -> Template | Redirect:
        order = await orders.get_for(account, order_id)
        if not order.is_pending or order.account != account.id:
            return Redirect(path=f"/orders/{order_id}/result", status_code=303)
        model = PayPage.of(
            account,
            order,
            await _usable_coupons(account, order, now),
            cancelled=bool(request.query_params.get("cancelled")),
            online=online_payment(request),
        )
        return page(request, "orders/pay.html", {"account": account, "errors": model.errors, "page": model})

    @post("/{order_id:str}/pay")
    async def choose_method(
        self, request: Request, account: Account, order_id: str, now: datetime
    ) -> Template | Redirect:
        data = await form_data(request)
        method, coupon = data.get("method", ""), data.get("coupon", "")
        try:
            if method == PaymentMethod.ONLINE and not online_payment(request):
                raise DomainError(N_("在线支付未开通，请选择其他支付方式。"), field="method")
            order = await payments.choose(account, order_id, method, parse_int(coupon) if coupon else None, now)
        except DomainError as exc:
            order = await orders.get_for(account, order_id)
            if not order.is_pending:
                return Redirect(path=f"/orders/{order_id}/result", status_code=303)
            model = PayPage.of(
                account,
                order,
                await _usable_coupons(account, order, now),
                errors=error_dict(exc, "method"),
                method=method,
                coupon=coupon,
                shortfall=isinstance(exc, InsufficientBalance),
                online=online_payment(request),
            )
            return page(
                request,
                "orders/pay.html",
                {"account": account, "errors": model.errors, "page": model},
                status_code=exc.status_code,
            )
        if method == PaymentMethod.ONLINE:
            return Redirect(path=gateway_of(request).checkout_url(order_id, order.due_fen), status_code=303)
        if method == PaymentMethod.BALANCE:
            return Redirect(path=f"/orders/{order_id}/verify", status_code=303)
        return Redirect(path=f"/orders/{order_id}/result", status_code=303)

    @get("/{order_id:str}/verify")
    async def verify_page(self, request: Request, account: Account, order_id: str) -> Template | Redirect:
        order = await orders.get_for(account, order_id)
        if not order.is_pending:
            return Redirect(path=f"/orders/{order_id}/result", status_code=303)
        return _verify_page(request, account, order)

    @post("/{order_id:str}/verify/send")
    async def send_code(self, request: Request, account: Account, order_id: str, now: datetime) -> Template:
        data = await form_data(request)
        order = await orders.get_for(account, order_id)
        channel = data.get("channel", "")
        try:
            sent_to = await verification.send_code(account, order_id, channel, now)
        except DomainError as exc:
            return _verify_page(
                request, account, order, errors=error_dict(exc, "channel"), channel=channel, status_code=exc.status_code
            )
        if channel == Channel.EMAIL:  # the code is in the outbox; by e-mail too when CONSOLE_SMTP_URL is set
            await deliver_email(request.app.state.settings.smtp_url, now)
        return _verify_page(request, account, order, sent_to=sent_to, channel=channel)

    @post("/{order_id:str}/verify")
    async def confirm_payment(
        self, request: Request, account: Account, order_id: str, now: datetime
    ) -> Template | Redirect:
        data = await form_data(request)
        try:
            await payments.pay_verified(account, order_id, data.get("code", ""), now)
        except DomainError as exc:
            order = await orders.get_for(account, order_id)
            return _verify_page(
                request,
                account,
                order,
                errors=error_dict(exc, "code"),
                channel=data.get("channel", Channel.PHONE),
                status_code=exc.status_code,
            )
        return Redirect(path=f"/orders/{order_id}/result", status_code=303)

    @get("/{order_id:str}/result")
    async def result(self, request: Request, account: Account, order_id: str) -> Template:
        order = await orders.get_for(account, order_id)
        return page(request, "orders/result.html", {"account": account, "order": order})

    @post("/{order_id:str}/cancel")
    async def cancel(self, request: Request, account: Account, order_id: str, now: datetime) -> Redirect:
        await orders.cancel(account, order_id, now)
        return Redirect(path=f"/orders/{order_id}", status_code=303)

    @get("/{order_id:str}/contract")
    async def contract(self, request: Request, account: Account, order_id: str, download: bool = False) -> Template:
        order = await orders.get_for(account, order_id)
        response = page(request, "orders/contract.html", {"account": account, "order": order})
        if download:
            response.headers["Content-Disposition"] = f'attachment; filename="contract-{order_id}.html"'
        return response


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
