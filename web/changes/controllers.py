"""Changing the level of a running plan (upgrade / downgrade, guide chapter 4).

GET /plan/change (for a Standard or Premium plan, called from web/purchase) → 立即变更 →
upgrade: 购买确认 (dialog, or /plan/change/upgrade/confirm without JavaScript) → 规格确认 /plan/change/upgrade/spec
         → 确认变更 → /orders/{id}/pay;
downgrade: 规格确认 /plan/change/downgrade/spec → 确认变更 → /plan/change/downgrade/{id}/result (refund on the balance).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.response import Redirect, Template

from models.records import Account
from models.rules.pricing import PREMIUM, STANDARD
from models.services import changes
from models.services.errors import DomainError
from models.services.plans import PlanState, plan_state
from web.auth import provide_account
from web.forms import error_dict, form_data, parse_int
from web.i18n import _
from web.rendering import page
from web.template_globals import level_name

BACK = "/plan/change"


def _level_options(current: str) -> list[tuple[str, str, str | None, bool]]:
    """Both paid levels as radios; the current one is shown, marked and not selectable."""
    return [
        (level, level_name(level), _("当前规格") if level == current else None, level == current)
        for level in (STANDARD, PREMIUM)
    ]


async def change_page(request: Request, account: Account, state: PlanState, now: datetime) -> Template:
    """更改合作伙伴支持计划 for a running plan: the change on offer with its live preview, or why not."""
    offer = await changes.options(account, state, request.query_params.get("level"), now)
    errors = {name: _(message) for name, message in offer.errors.items()}
    refusal = offer.refusal
    context = {
        "account": account,
        "state": state,
        "offer": offer,
        "quote": offer.quote,
        "kind": offer.kind,
        "target": offer.target,
        "current_level": offer.current_level,
        "errors": errors,
        "level_options": _level_options(offer.current_level),
        "refusal": _(refusal.message, **refusal.params) if refusal else None,
    }
    status = refusal.status_code if refusal else (400 if errors else 200)
    return page(request, "changes/change.html", context, block="preview", status_code=status)


def _spec_context(
    account: Account,
    state: PlanState,
    quote: changes.ChangeQuote,
    *,
    request_key: str,
    errors: dict | None = None,
    agree: bool = False,
) -> dict:
    return {
        "account": account,
        "state": state,
        "quote": quote,
        "kind": quote.kind,
        "errors": errors or {},
        "request_key": request_key,
        "agree": agree,
    }


class ChangeController(Controller):
    """The steps after 立即变更; the change page itself is GET /plan/change (PurchaseController hands it over)."""

    path = "/plan/change"
    dependencies = {"account": Provide(provide_account)}

    @get("/upgrade/confirm")
    async def upgrade_confirm(self, request: Request, account: Account, now: datetime) -> Template | Redirect:
        """购买确认 without JavaScript (with it, the same question is a dialog on the change page)."""
        state = await plan_state(account.partner, now)
        offer = await changes.options(account, state, request.query_params.get("level"), now)
        if offer.kind != changes.UPGRADE or offer.refusal or offer.errors:
            return Redirect(path=BACK, status_code=303)
        return page(request, "changes/confirm.html", {"account": account, "state": state, "quote": offer.quote})

    async def _spec_page(self, request: Request, account: Account, kind: str, now: datetime) -> Template | Redirect:
        state = await plan_state(account.partner, now)
        offered, target = changes.TARGETS.get(state.level, (None, None))
        if offered != kind or request.query_params.get("level", target) != target:
            return Redirect(path=BACK, status_code=303)
        try:
            quote = await changes.quote(account, kind, now)
        except DomainError:
            return Redirect(path=BACK, status_code=303)  # the change page says why
        return page(
            request, "changes/spec.html", _spec_context(account, state, quote, request_key=secrets.token_hex(16))
        )

    async def _confirm(self, request: Request, account: Account, kind: str, now: datetime):
        """确认变更: (order id, None) when done, or (None, the spec page again) when something must be fixed."""
        data = await form_data(request)
        quote_id, request_key = parse_int(data.get("quote_id")), data.get("request_key") or None
        agreed = data.get("agree") == "yes"
        try:
            if agreed:
                try:
                    if kind == changes.UPGRADE:
                        return await changes.place_upgrade(account, quote_id, request_key, now), None
                    return (await changes.downgrade(account, quote_id, request_key, now)).id, None
                except changes.QuoteChanged:
                    quote, changed = await changes.requote(account, kind, quote_id, now)
            else:
                quote, changed = await changes.requote(account, kind, quote_id, now)
        except DomainError:
            return None, Redirect(path=BACK, status_code=303)  # no longer possible: the change page says why
        errors = {}
        if changed:
            errors.update(error_dict(changed, "quote"))
        if not agreed:
            errors["agree"] = _("请阅读并勾选同意《合作伙伴支持计划服务协议》。")
        state = await plan_state(account.partner, now)
        context = _spec_context(
            account, state, quote, request_key=request_key or secrets.token_hex(16), errors=errors, agree=agreed
        )
        return None, page(request, "changes/spec.html", context, status_code=409 if changed else 400)

    @get("/upgrade/spec")
    async def upgrade_spec(self, request: Request, account: Account, now: datetime) -> Template | Redirect:
        return await self._spec_page(request, account, changes.UPGRADE, now)

    @post("/upgrade/spec")
    async def place_upgrade(self, request: Request, account: Account, now: datetime) -> Template | Redirect:
        order_id, response = await self._confirm(request, account, changes.UPGRADE, now)
        return Redirect(path=f"/orders/{order_id}/pay", status_code=303) if order_id else response

    @get("/downgrade/spec")
    async def downgrade_spec(self, request: Request, account: Account, now: datetime) -> Template | Redirect:
        return await self._spec_page(request, account, changes.DOWNGRADE, now)

    @post("/downgrade/spec")
    async def downgrade(self, request: Request, account: Account, now: datetime) -> Template | Redirect:
        order_id, response = await self._confirm(request, account, changes.DOWNGRADE, now)
        return Redirect(path=f"/plan/change/downgrade/{order_id}/result", status_code=303) if order_id else response

    @get("/downgrade/{order_id:str}/result")
    async def downgrade_result(self, request: Request, account: Account, order_id: str) -> Template:
        order, fresh = await changes.downgrade_result(account, order_id)
        return page(request, "changes/result.html", {"account": fresh, "order": order})
