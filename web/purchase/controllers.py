"""Buying a plan from Basic (guide chapter 1): change page → 购买确认 → 规格确认 → order."""

from __future__ import annotations

import secrets
from datetime import datetime

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.response import Redirect, Template

from models.records import Account
from models.rules.pricing import BASIC, PREMIUM, STANDARD
from models.services import purchase
from models.services.errors import DomainError
from models.services.plans import plan_state
from web.auth import provide_account
from web.forms import error_dict, form_data, parse_int
from web.i18n import _
from web.rendering import page
from web.template_globals import level_name


def choice_from(values) -> tuple[str, int | None, dict[str, str]]:
    """The level and term from the query or form; errors say which field is wrong."""
    level = values.get("level") or STANDARD
    months = parse_int(values.get("months") or "1")
    errors: dict[str, str] = {}
    try:
        purchase.check_choice(level, months)
    except DomainError as exc:
        errors.update(error_dict(exc))
    return level, months, errors


def purchase_context(account: Account, level: str, months: int | None, errors: dict, now: datetime) -> dict:
    ok = not errors
    start, end = purchase.preview_period(now, months) if ok else (None, None)
    return {
        "account": account,
        "level": level,
        "months": months,
        "errors": errors,
        "amount": purchase.amount(level, months) if ok else None,
        "start": start,
        "end": end,
        "level_options": [(STANDARD, level_name(STANDARD), None, False), (PREMIUM, level_name(PREMIUM), None, False)],
    }


class PurchaseController(Controller):
    path = "/plan/change"
    dependencies = {"account": Provide(provide_account)}

    async def _guard(self, account: Account, now: datetime) -> purchase.PurchaseRefused | None:
        return await purchase.refusal(account, now)

    @get("/")
    async def change_page(self, request: Request, account: Account, now: datetime) -> Template:
        state = await plan_state(account.partner, now)
        if state.level != BASIC:
            from web.changes.controllers import change_page  # upgrade and downgrade of a running plan

            return await change_page(request, account, state, now)
        level, months, errors = choice_from(request.query_params)
        context = purchase_context(account, level, months, errors, now)
        refused = await self._guard(account, now)
        context["refusal"] = _(refused.message, **refused.params) if refused else None
        status = 403 if refused else (400 if errors else 200)
        return page(request, "purchase/change.html", context, block="preview", status_code=status)

    @get("/confirm")
    async def confirm_page(self, request: Request, account: Account, now: datetime) -> Template | Redirect:
        level, months, errors = choice_from(request.query_params)
        refused = await self._guard(account, now)
        if errors or refused:
            return Redirect(path="/plan/change", status_code=303)
        return page(request, "purchase/confirm.html", purchase_context(account, level, months, errors, now))

    @get("/spec")
    async def spec_page(self, request: Request, account: Account, now: datetime) -> Template | Redirect:
        level, months, errors = choice_from(request.query_params)
        if errors or await self._guard(account, now):
            return Redirect(path="/plan/change", status_code=303)
        context = purchase_context(account, level, months, {}, now)
        context["request_key"] = secrets.token_hex(16)
        return page(request, "purchase/spec.html", context)

    @post("/spec")
    async def place_order(self, request: Request, account: Account, now: datetime) -> Template | Redirect:
        data = await form_data(request)
        level, months, errors = choice_from(data)
        if errors:  # the hidden choice was tampered with: start again from the change page
            return Redirect(path="/plan/change", status_code=303)
        status = 400
        if data.get("agree") != "yes":
            errors["agree"] = _("请阅读并勾选同意《合作伙伴支持计划服务协议》。")
        else:
            try:
                order_id = await purchase.place(account, level, months, data.get("request_key") or None, now)
                return Redirect(path=f"/orders/{order_id}/pay", status_code=303)
            except DomainError as exc:
                errors, status = error_dict(exc, "agree"), exc.status_code
        context = purchase_context(account, level, months, {}, now)
        context.update(errors=errors, request_key=data.get("request_key") or secrets.token_hex(16))
        return page(request, "purchase/spec.html", context, status_code=status)
