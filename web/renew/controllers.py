"""Renewing the plan (续费管理, guide chapter 5) and the auto-renew setting of the detail page.

GET /plan/renew?months=N  the page, its preview block alone for htmx (the term select asks on change)
POST /plan/renew          去支付 → the renewal order → /orders/{id}/pay; without JavaScript, 计算费用 posts
                          the same form with action=preview and gets the page back with the new amount
POST /plan/auto-renew     自动续费 on (with a term) or off → back to the detail page
"""

from __future__ import annotations

import secrets
from datetime import datetime

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from models.records import Account
from models.rules.service_items import SERVICE_ITEMS
from models.services import renewal
from models.services.errors import DomainError
from models.services.plans import plan_state
from web.auth import provide_account
from web.forms import error_dict, form_data, parse_int
from web.i18n import _
from web.rendering import page
from web.template_globals import term_label


def _months(values) -> tuple[int | None, dict[str, str]]:
    months = parse_int(values.get("months") or "1")
    try:
        renewal.check_term(months)
    except DomainError as exc:
        return months, error_dict(exc)
    return months, {}


def renew_context(
    account: Account, info: renewal.RenewPage, months: int | None, errors: dict[str, str], request_key: str
) -> dict:
    if info.last is None or info.refusal:  # the page says why there is nothing to choose; no field errors
        errors = {}
    quote = renewal.quote_for(info.last, months) if info.last and not errors else None
    return {
        "account": account,
        "state": info.state,
        "last": info.last,
        "months": months,
        "errors": errors,
        "quote": quote,
        "items": SERVICE_ITEMS[info.last.level] if info.last else [],
        "refusal": _(info.refusal.message, **info.refusal.params) if info.refusal else None,
        "not_renewable": _(renewal.NOT_RENEWABLE),
        "request_key": request_key,
    }


def _status(info: renewal.RenewPage, errors: dict) -> int:
    if info.last is None:
        return 409
    if info.refusal:
        return 403
    return 400 if errors else 200


class RenewController(Controller):
    path = "/plan"
    dependencies = {"account": Provide(provide_account)}

    @get("/renew")
    async def renew_page(self, request: Request, account: Account, now: datetime) -> Template:
        months, errors = _months(request.query_params)
        info = await renewal.renew_page(account, now)
        context = renew_context(account, info, months, errors, secrets.token_hex(16))
        return page(request, "renew/renew.html", context, block="preview", status_code=_status(info, errors))

    @post("/renew")
    async def place_order(self, request: Request, account: Account, now: datetime) -> Template | Redirect:
        data = await form_data(request)
        months, errors = _months(data)
        request_key = data.get("request_key") or secrets.token_hex(16)
        refused: DomainError | None = None
        if not errors and data.get("action") != "preview":
            try:
                order_id = await renewal.place(account, months, request_key, now)
                return Redirect(path=f"/orders/{order_id}/pay", status_code=303)
            except DomainError as exc:
                refused = exc
        info = await renewal.renew_page(account, now)
        context = renew_context(account, info, months, errors, request_key)
        if refused is not None:
            if info.last is not None and info.refusal is None:  # e.g. the plan changed since the page was shown
                context["errors"] = error_dict(refused, "months")
            return page(request, "renew/renew.html", context, status_code=refused.status_code)
        return page(request, "renew/renew.html", context, status_code=_status(info, errors))

    @post("/auto-renew")
    async def auto_renew(self, request: Request, account: Account, now: datetime) -> Template | Redirect:
        data = await form_data(request)
        enabled, months = data.get("auto_renew", ""), parse_int(data.get("auto_renew_months"))
        try:
            state = await renewal.set_auto_renew(account, enabled, months, now)
        except DomainError as exc:
            state = await plan_state(account.partner, now)
            if not state.current:  # the plan ended meanwhile: the detail page has no setting to show it beside
                raise
            errors = error_dict(exc, "auto_renew")
            return page(
                request,
                "plans/detail.html",
                {
                    "state": state,
                    "items": SERVICE_ITEMS[state.level],
                    "account": account,
                    "errors": errors,
                    "auto_errors": errors,
                    "auto_form": {"auto_renew": enabled, "auto_renew_months": months},
                },
                status_code=exc.status_code,
            )
        if state.auto_renew:
            flash(
                request,
                _("自动续费已开启：到期前7天起从余额自动续费%(term)s。", term=term_label(state.auto_renew_months)),
                "success",
            )
        else:
            flash(request, _("自动续费已关闭。"), "success")
        return Redirect(path="/plan", status_code=303)
