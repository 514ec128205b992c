"""/ops/login and /ops/logout: an operator's sign-in (the partners' throttle, CSRF and headers)."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, Request, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template

from models.services import operators
from models.services.errors import DomainError
from web.forms import error_dict, form_data
from web.ops.guard import LOGIN_PATH, OPERATOR_KEY, safe_ops_next, sign_in_operator
from web.rendering import page


class OpsAuthController(Controller):
    path = "/ops"

    @get("/", sync_to_thread=False)
    def home(self) -> Redirect:
        return Redirect(path="/ops/partners", status_code=303)

    @get("/login")
    async def login_form(self, request: Request, next_: str | None = Parameter(query="next", default=None)) -> Template:
        return page(
            request,
            "ops/login.html",
            {"next": safe_ops_next(next_), "asked_to_sign_in": bool(next_), "errors": {}, "login": ""},
        )

    @post("/login")
    async def login(self, request: Request, now: datetime) -> Template | Redirect:
        data = await form_data(request)
        settings = request.app.state.settings
        try:
            operator_id = await operators.authenticate(
                data.get("login", ""),
                data.get("password", ""),
                now,
                max_failures=settings.login_failures_before_throttle,
                throttle_seconds=settings.login_throttle_seconds,
            )
        except DomainError as exc:
            return page(
                request,
                "ops/login.html",
                {
                    "next": safe_ops_next(data.get("next")),
                    "errors": error_dict(exc, "login"),
                    "login": data.get("login", ""),
                },
                status_code=exc.status_code,
            )
        sign_in_operator(request, operator_id)
        return Redirect(path=safe_ops_next(data.get("next")), status_code=303)

    @post("/logout")
    async def logout(self, request: Request) -> Redirect:
        if request.session.get(OPERATOR_KEY) is not None:
            request.clear_session()
        return Redirect(path=LOGIN_PATH, status_code=303)
