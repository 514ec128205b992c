"""The support plan detail page (支持计划详情页) and its 自动续费 setting.

GET /plan              the page
POST /plan/auto-renew  自动续费 on (with a term) or off → back to the page, or the page again with the error;
                       the account that switches it on is the one whose balance pays (SPEC.md §12)
"""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from models.records import Account
from models.services import renewal
from models.services.errors import DomainError
from models.services.plans import plan_state
from web.auth import provide_account
from web.forms import error_dict, form_data, parse_int
from web.i18n import _
from web.pending import pending_orders
from web.plans.pages import DetailPage, five_day_for
from web.rendering import page
from web.template_globals import term_label


async def may_pay(account: Account) -> bool:
    """Whether the account may pay for renewals of its company's plan (and so switch auto-renew on)."""
    return await renewal.payer_refusal(account, account.partner) is None


class PlanController(Controller):
    path = "/plan"
    dependencies = {"account": Provide(provide_account)}

    @get("/")
    async def detail(self, request: Request, account: Account, now: datetime) -> Template:
        state = await plan_state(account.partner, now)
        five_day = await five_day_for(account, state, now, request.app.state.settings.five_day_quota)
        model = DetailPage.of(
            state,
            now,
            viewer=account,
            may_pay=await may_pay(account),
            pending=await pending_orders(account),
            five_day=five_day,
        )
        return page(request, "plans/detail.html", {"account": account, "page": model})

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
            model = DetailPage.of(
                state,
                now,
                viewer=account,
                may_pay=await may_pay(account),
                submitted=(enabled, months),
                errors=errors,
                pending=await pending_orders(account),
                five_day=await five_day_for(account, state, now, request.app.state.settings.five_day_quota),
            )
            return page(
                request,
                "plans/detail.html",
                {"account": account, "errors": errors, "page": model},
                status_code=exc.status_code,
            )
        if state.auto_renew:
            flash(
                request,
                _(
                    "自动续费已开启：到期前7天起从帐号 %(login)s 的余额自动续费%(term)s。",
                    login=account.login,
                    term=term_label(state.auto_renew_months),
                ),
                "success",
            )
        else:
            flash(request, _("自动续费已关闭。"), "success")
        return Redirect(path="/plan", status_code=303)
