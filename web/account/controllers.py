"""Sign in, sign out and the language switch."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlparse

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.params import Parameter
from litestar.response import Redirect, Template

from models.i18n import LOCALES
from models.records import Account
from models.services import accounts, ledger, order_queries
from models.services.errors import DomainError
from web.account.balance import LEDGER_LIMIT, BalancePage
from web.auth import provide_account, sign_in, sign_out
from web.forms import error_dict, form_data
from web.orders.exports import CONTENT_TYPE, disposition, ledger_csv
from web.rendering import page


def safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect would hand the session to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or urlparse(target).netloc:
        return "/plan"
    return target


class AccountController(Controller):
    @get("/", sync_to_thread=False)
    def home(self) -> Redirect:
        return Redirect(path="/plan", status_code=303)

    @get("/login")
    async def login_form(self, request: Request, next_: str | None = Parameter(query="next", default=None)) -> Template:
        return page(
            request,
            "account/login.html",
            {
                "next": safe_next(next_),
                "asked_to_sign_in": bool(next_),
                "ended_all": request.query_params.get("ended") == "all",
                "errors": {},
                "login": "",
            },
        )

    @post("/login")
    async def login(self, request: Request, now: datetime) -> Template | Redirect:
        data = await form_data(request)
        settings = request.app.state.settings
        try:
            account_id = await accounts.authenticate(
                data.get("login", ""),
                data.get("password", ""),
                now,
                max_failures=settings.login_failures_before_throttle,
                throttle_seconds=settings.login_throttle_seconds,
            )
        except DomainError as exc:
            return page(
                request,
                "account/login.html",
                {
                    "next": safe_next(data.get("next")),
                    "errors": error_dict(exc, "login"),
                    "login": data.get("login", ""),
                },
                status_code=exc.status_code,
            )
        sign_in(request, account_id)
        return Redirect(path=safe_next(data.get("next")), status_code=303)

    @post("/logout")
    async def logout(self, request: Request) -> Redirect:
        sign_out(request)
        return Redirect(path="/login", status_code=303)

    @get("/lang/{code:str}", sync_to_thread=False)
    def switch_language(self, code: str, next_: str | None = Parameter(query="next", default=None)) -> Redirect:
        response = Redirect(path=safe_next(next_), status_code=303)
        if code in LOCALES:
            response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
        return response

    @get("/balance", dependencies={"account": Provide(provide_account)})
    async def balance(self, request: Request, account: Account) -> Template:
        model = BalancePage.of(account, await ledger.entries(account.id, LEDGER_LIMIT))
        return page(request, "account/balance.html", {"account": account, "page": model})

    @get("/balance/export.csv", dependencies={"account": Provide(provide_account)})
    async def export_ledger(self, account: Account, now: datetime) -> Response[bytes]:
        """导出CSV of 收支明细: every ledger row of this account, oldest first."""
        return Response(
            content=ledger_csv(await order_queries.ledger_of(account.id)),
            media_type=CONTENT_TYPE,
            headers={"Content-Disposition": disposition("ledger", now)},
        )
