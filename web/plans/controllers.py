"""The support plan detail page (支持计划详情页)."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, Request, get
from litestar.di import Provide
from litestar.response import Template

from models.records import Account
from models.rules.service_items import SERVICE_ITEMS
from models.services.plans import plan_state
from web.auth import provide_account
from web.rendering import page


class PlanController(Controller):
    path = "/plan"
    dependencies = {"account": Provide(provide_account)}

    @get("/")
    async def detail(self, request: Request, account: Account, now: datetime) -> Template:
        state = await plan_state(account.partner, now)
        return page(
            request, "plans/detail.html", {"state": state, "items": SERVICE_ITEMS[state.level], "account": account}
        )
