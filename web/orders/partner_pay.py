"""待代付订单 (SPEC.md §13, 合作伙伴代付 as a request): the main account's list of its members' requests, each with
去支付 (身份验证 with its own code: /orders/{id}/verify) and 驳回 (a form with a required reason). A request
already decided (paid, rejected, withdrawn) answers 驳回 with a 409 page that says what happened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from models.enums import OrderStatus, PartnerRequestState
from models.records import Account, PartnerRequest
from models.services import orders, partner_requests
from models.services.errors import N_, DomainError, NotFound
from web.auth import provide_account
from web.forms import form_data
from web.i18n import _
from web.rendering import page

ONLY_MAIN = N_("只有合作伙伴主帐号可以处理代付申请。")


@dataclass(frozen=True, slots=True)
class RejectPage:
    """驳回代付申请: the request being rejected, the reason typed so far and what is wrong with it."""

    request: PartnerRequest
    reason: str
    errors: dict[str, str]
    max_length: int = partner_requests.REASON_MAX


@dataclass(frozen=True, slots=True)
class DecidedPage:
    """A 驳回 of a request that was already decided: what happened to it, and the way on (409)."""

    request: PartnerRequest
    title: str
    message: str
    kind: str


def decided_page(request: PartnerRequest, message: str) -> DecidedPage:
    titles = {
        PartnerRequestState.PAID: (_("订单已代付"), "success"),
        PartnerRequestState.REJECTED: (_("代付申请已驳回"), "warning"),
        PartnerRequestState.WITHDRAWN: (_("代付申请已撤回"), "warning"),
    }
    title, kind = titles.get(request.state, (_("代付申请已结束"), "warning"))
    return DecidedPage(request=request, title=title, message=message, kind=kind)


def _require_main(account: Account) -> None:
    if not account.is_main:
        raise NotFound(ONLY_MAIN)


class PartnerPayController(Controller):
    path = "/orders/partner-requests"
    dependencies = {"account": Provide(provide_account)}

    @get("/")
    async def list_requests(self, request: Request, account: Account) -> Template:
        """待代付订单: requester, order, level, term, amount and requested time, with 去支付 and 驳回."""
        _require_main(account)
        waiting = await partner_requests.awaiting(account)
        return page(request, "orders/partner_requests.html", {"account": account, "requests": waiting})

    @get("/{order_id:str}/reject")
    async def reject_page(self, request: Request, account: Account, order_id: str) -> Template:
        _require_main(account)
        found = await partner_requests.get_for_payer(account, order_id)
        if not found.is_open or found.order_status != OrderStatus.PENDING:
            return await self._decided(request, account, found)
        model = RejectPage(request=found, reason="", errors={})
        return page(request, "orders/partner_reject.html", {"account": account, "page": model, "errors": {}})

    @post("/{order_id:str}/reject")
    async def reject(self, request: Request, account: Account, order_id: str, now: datetime) -> Template | Redirect:
        """驳回 with a reason (1–200 characters): the member is told and may pay the order another way."""
        _require_main(account)
        data = await form_data(request)
        reason = data.get("reason", "")
        try:
            await partner_requests.reject(account, order_id, reason, now)
        except DomainError as exc:
            found = await partner_requests.get_for_payer(account, order_id)
            if exc.status_code == 409:
                return page(
                    request,
                    "orders/partner_decided.html",
                    {"account": account, "page": decided_page(found, _(exc.message, **exc.params))},
                    status_code=409,
                )
            errors = {exc.field or "": _(exc.message, **exc.params)}
            model = RejectPage(request=found, reason=reason, errors=errors)
            return page(
                request,
                "orders/partner_reject.html",
                {"account": account, "page": model, "errors": errors},
                status_code=exc.status_code,
            )
        flash(request, _("已驳回订单 %(order)s 的代付申请。", order=order_id), "success")
        return Redirect(path="/orders/partner-requests", status_code=303)

    async def _decided(self, request: Request, account: Account, found: PartnerRequest) -> Template:
        conflict = partner_requests.decided(found, await orders.get(found.order_id))
        return page(
            request,
            "orders/partner_decided.html",
            {"account": account, "page": decided_page(found, _(conflict.message, **conflict.params))},
            status_code=409,
        )
