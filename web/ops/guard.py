"""Who may use /ops: a signed-in operator (SPEC.md §15). One session is one kind: an operator's session holds
OPERATOR_KEY and never the partner's account key (web.sessions.ACCOUNT_KEY), and signing in as either replaces
the whole session under a new key.

- A request with a partner session gets 404 under /ops (the operator console does not exist for partners);
  /ops/login itself still answers, and signing in there ends the partner session (web.ops.auth).
- A request with no operator session is sent to /ops/login (303; htmx: HX-Redirect).
- The partner console reads only the account key, so an operator's session is simply not signed in there.

Every /ops controller but the sign-in subclasses `OpsController`, and each handler takes the signed-in
`operator: Operator` (the dependency) to render the layout's header:

    class CouponsController(OpsController):
        path = "/ops/coupons"

        @get("/")
        async def index(self, request: Request, operator: Operator) -> Template:
            return page(request, "ops/coupons.html", {"operator": operator, "nav": "coupons", ...})

`nav` names the current menu link of templates/ops/base.html: partners, top_ups, coupons, offline, catalog,
notifications, audit. A subclass that needs its own dependencies merges them: `{**OpsController.dependencies, …}`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Redirect

from models.records import Operator
from models.services.operators import find_operator
from web import sessions
from web.auth import SIGNED_IN_AT, provide_now, session_window
from web.rendering import is_htmx

OPERATOR_KEY = "operator_id"  # the session field naming the signed-in operator
LOGIN_PATH = "/ops/login"
HOME_PATH = "/ops/partners"


class OperatorSignInRequired(NotAuthorizedException):
    """No operator session: answered by a redirect to /ops/login (a 401 wherever the handler below is missing)."""


def _session(connection: ASGIConnection) -> dict[str, Any]:
    return connection.session if connection.scope.get("session") else {}


def _check_kind(connection: ASGIConnection) -> int:
    """The operator id of the session, or the refusal: 404 for a partner session, sign-in for none."""
    session = _session(connection)
    if session.get(sessions.ACCOUNT_KEY) is not None:
        raise NotFoundException()
    operator_id = session.get(OPERATOR_KEY)
    window = session_window(connection)  # type: ignore[arg-type]
    alive = window is not None and provide_now(connection) <= window[1]  # type: ignore[arg-type]
    if not isinstance(operator_id, int) or not alive:
        raise OperatorSignInRequired("operator sign-in")
    return operator_id


def operator_guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """A Litestar guard on every OpsController handler, whether or not it asks for the operator."""
    _check_kind(connection)


async def provide_operator(request: Request) -> Operator:
    operator = await find_operator(_check_kind(request))
    if operator is None:  # removed or disabled since signing in
        raise OperatorSignInRequired("operator sign-in")
    return operator


def to_ops_login(request: Request, exc: OperatorSignInRequired) -> Response:
    target = LOGIN_PATH + "?next=" + quote(request.url.path, safe="/")
    if is_htmx(request):
        return Response(content="", status_code=401, headers={"HX-Redirect": target})
    return Redirect(path=target, status_code=303)


def sign_in_operator(request: Request, operator_id: int) -> None:
    """A new session under a new key, holding only the operator: a partner session the browser had ends."""
    sessions.rotate(request)
    request.set_session({OPERATOR_KEY: operator_id, SIGNED_IN_AT: provide_now(request).isoformat()})


def safe_ops_next(target: str | None) -> str:
    """Only a path under /ops on this site (no open redirect, no partner page after an operator sign-in)."""
    if not target or not target.startswith("/ops/") or target.startswith("//") or "\\" in target:
        return HOME_PATH
    return target


class OpsController(Controller):
    """The base of every /ops controller that needs a signed-in operator."""

    guards = [operator_guard]
    dependencies = {"operator": Provide(provide_operator)}
    exception_handlers = {OperatorSignInRequired: to_ops_login}
