"""Pages of text: the service agreement, and the honest "not built yet" page for flows still to come."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.di import Provide
from litestar.response import Template

from web.auth import provide_account
from web.rendering import page

# Addresses the detail page links to whose flows are not built yet: each says so plainly.
NOT_YET_BUILT: list[str] = []


class PagesController(Controller):
    dependencies = {"account": Provide(provide_account)}

    @get("/agreement")
    async def agreement(self, request: Request, account: dict) -> Template:
        return page(request, "pages/agreement.html", {"account": account})

    @get(NOT_YET_BUILT or "/not-yet-built")  # an empty list would mean "/" to Litestar
    async def not_available(self, request: Request, account: dict) -> Template:
        return page(request, "pages/not_available.html", {"account": account})
