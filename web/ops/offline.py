"""线下合同订单 (/ops/offline-orders, SPEC.md §15): the orders waiting for an offline contract payment, oldest first;
an order's page with 确认到账 (the payment reference) and 驳回 (a reason). The same service as `partner-console orders
confirm-offline` (models.services.offline_payments); an order no longer waiting is a 409 page saying what happened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from litestar import Request, get, post
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from models.records import Operator
from models.services import offline_payments
from models.services.errors import Conflict, DomainError
from models.services.offline_payments import WaitingOrder
from models.services.partner_requests import REASON_MAX
from web.forms import error_dict, form_data
from web.i18n import _
from web.ops.guard import OpsController
from web.ops.pages import Pager, page_number
from web.orders.listing import spec_label
from web.rendering import page
from web.template_globals import money, order_kind_name, when

PATH = "/ops/offline-orders"


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """An offline contract order as the operator sees it before confirming or rejecting it."""

    id: str
    login: str
    company: str
    kind: str
    spec: str
    list_amount: str
    discount: str | None
    due: str
    created: str
    href: str


def facts(waiting: WaitingOrder) -> OrderFacts:
    order = waiting.order
    return OrderFacts(
        id=order.id,
        login=waiting.login,
        company=waiting.company,
        kind=order_kind_name(order.kind),
        spec=spec_label(order),
        list_amount=money(order.list_fen),
        discount=money(order.discount_fen) if order.discount_fen else None,
        due=money(order.due_fen),
        created=when(order.created_at),
        href=f"{PATH}/{order.id}",
    )


@dataclass(frozen=True, slots=True)
class DecisionPage:
    order: OrderFacts
    reference: str
    reason: str
    reference_max: int = offline_payments.REFERENCE_MAX
    reason_max: int = REASON_MAX


class OpsOfflineController(OpsController):
    path = PATH

    @get("/")
    async def index(self, request: Request, operator: Operator) -> Template:
        found = await offline_payments.waiting(page_number(request.query_params.get("page")))
        context = {
            "operator": operator,
            "nav": "offline",
            "rows": [facts(w) for w in found.orders],
            "found": found,
            "pager": Pager(PATH, found.page, found.pages, {}),
        }
        return page(request, "ops/offline.html", context)

    @get("/{order_id:str}")
    async def detail(self, request: Request, operator: Operator, order_id: str) -> Template:
        waiting = await offline_payments.waiting_order(order_id[:32])
        problem = offline_payments.closed(waiting.order)
        if problem is not None:
            return self._closed(request, operator, waiting, problem)
        return self._decision(request, operator, waiting, {}, "", "", 200)

    @post("/{order_id:str}/confirm")
    async def confirm(self, request: Request, operator: Operator, order_id: str, now: datetime) -> Template | Redirect:
        """确认到账: pays the order once (a resent form with the same reference shows the first result)."""
        data = await form_data(request)
        reference = data.get("reference", "")
        try:
            done = await offline_payments.confirm(operator, order_id[:32], reference, now)
        except DomainError as exc:
            return await self._refused(request, operator, order_id, exc, reference=reference)
        flash(
            request,
            _(
                "订单 %(order)s 已确认到账（付款参考号 %(reference)s），订单已支付。",
                order=done.order.id,
                reference=done.order.payment_ref or "",
            ),
            "success",
        )
        return Redirect(path=PATH, status_code=303)

    @post("/{order_id:str}/reject")
    async def reject(self, request: Request, operator: Operator, order_id: str, now: datetime) -> Template | Redirect:
        """驳回: the order is cancelled and its placer told the reason."""
        data = await form_data(request)
        reason = data.get("reason", "")
        try:
            rejected = await offline_payments.reject(operator, order_id[:32], reason, now)
        except DomainError as exc:
            return await self._refused(request, operator, order_id, exc, reason=reason)
        flash(request, _("已驳回订单 %(order)s，订单已取消，已通知下单帐号。", order=rejected.id), "success")
        return Redirect(path=PATH, status_code=303)

    async def _refused(
        self,
        request: Request,
        operator: Operator,
        order_id: str,
        exc: DomainError,
        *,
        reference: str = "",
        reason: str = "",
    ) -> Template:
        waiting = await offline_payments.waiting_order(order_id[:32])  # an unknown order: 404
        if isinstance(exc, Conflict):
            return self._closed(request, operator, waiting, exc)
        errors = error_dict(exc)
        return self._decision(request, operator, waiting, errors, reference, reason, exc.status_code)

    def _decision(
        self,
        request: Request,
        operator: Operator,
        waiting: WaitingOrder,
        errors: dict[str, str],
        reference: str,
        reason: str,
        status: int,
    ) -> Template:
        model = DecisionPage(order=facts(waiting), reference=reference, reason=reason)
        context = {"operator": operator, "nav": "offline", "page": model, "errors": errors}
        return page(request, "ops/offline_order.html", context, status_code=status)

    def _closed(self, request: Request, operator: Operator, waiting: WaitingOrder, problem: DomainError) -> Template:
        context = {
            "operator": operator,
            "nav": "offline",
            "order": facts(waiting),
            "status": waiting.order.status,
            "message": _(problem.message, **problem.params),
        }
        return page(request, "ops/offline_closed.html", context, status_code=409)
