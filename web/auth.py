"""The signed-in account, from the signed session cookie (any worker can read it).
The session carries its sign-in time, so an old cookie stops working even if a browser keeps it."""

from __future__ import annotations

from datetime import datetime, timedelta

from litestar import Request
from litestar.exceptions import NotAuthorizedException

from models.records import Account
from models.services.accounts import find_account

SESSION_KEY = "account_id"
SIGNED_IN_AT = "signed_in_at"


def provide_now(request: Request) -> datetime:
    return request.app.state.settings.clock.now()


def _session_alive(request: Request) -> bool:
    settings = request.app.state.settings
    try:
        signed_in_at = datetime.fromisoformat(request.session.get(SIGNED_IN_AT, ""))
    except (TypeError, ValueError):
        return False
    return settings.clock.now() - signed_in_at <= timedelta(seconds=settings.session_max_age)


async def provide_account(request: Request) -> Account:
    account_id = request.session.get(SESSION_KEY) if request.session else None
    account = None
    if isinstance(account_id, int) and _session_alive(request):
        account = await find_account(account_id)
    if account is None:
        raise NotAuthorizedException("sign in")
    return account


def sign_in(request: Request, account_id: int) -> None:
    request.clear_session()
    request.set_session({SESSION_KEY: account_id, SIGNED_IN_AT: provide_now(request).isoformat()})


def sign_out(request: Request) -> None:
    request.clear_session()
