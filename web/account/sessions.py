"""登录会话: when this session began and ends, and 退出所有会话 (every browser, every machine)."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.response import Redirect, Template

from models.records import Account
from web.auth import provide_account, session_window, sign_out_everywhere
from web.rendering import page


class SessionsController(Controller):
    path = "/account/sessions"
    dependencies = {"account": Provide(provide_account)}

    @get("/")
    async def sessions(self, request: Request, account: Account) -> Template:
        window = session_window(request)
        assert window is not None  # provide_account let this request in: its session has a sign-in time
        signed_in_at, ends_at = window
        return page(
            request,
            "account/sessions.html",
            {"account": account, "signed_in_at": signed_in_at, "ends_at": ends_at},
        )

    @post("/end-all")
    async def end_all(self, request: Request, account: Account) -> Redirect:
        await sign_out_everywhere(request, account.id)
        return Redirect(path="/login?ended=all", status_code=303)
