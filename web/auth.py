"""The signed-in account, from the signed session cookie (any worker can read it)."""

from __future__ import annotations

from datetime import datetime

from litestar import Request
from litestar.exceptions import NotAuthorizedException

from models.services.accounts import get_account

SESSION_KEY = "account_id"


async def provide_account(request: Request) -> dict:
    account_id = request.session.get(SESSION_KEY) if request.session else None
    account = await get_account(account_id) if isinstance(account_id, int) else None
    if account is None:
        raise NotAuthorizedException("sign in")
    request.state.account = account
    return account


def provide_now(request: Request) -> datetime:
    return request.app.state.settings.clock.now()


def sign_in(request: Request, account_id: int) -> None:
    request.clear_session()
    request.set_session({SESSION_KEY: account_id})


def sign_out(request: Request) -> None:
    request.clear_session()
