"""Pages of text: the service agreement."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.di import Provide
from litestar.response import Template

from models.records import Account
from web.auth import provide_account
from web.rendering import page


class PagesController(Controller):
    dependencies = {"account": Provide(provide_account)}

    @get("/agreement")
    async def agreement(self, request: Request, account: Account) -> Template:
        return page(request, "pages/agreement.html", {"account": account})
