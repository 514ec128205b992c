"""The signed-in account, from the server-side session (web/sessions.py: any worker, any machine reads it).
The store ends a session 退出 or by age; the session also carries its sign-in time, checked here as well."""

from __future__ import annotations

from datetime import datetime, timedelta

from litestar import Request
from litestar.exceptions import NotAuthorizedException

from models.records import Account
from models.services.accounts import find_account, find_account_and_unread
from web import sessions
from web.clock import TEST_CLOCK_KEY
from web.messages.pages import UNREAD_STATE, shows_top_bar

SESSION_KEY = sessions.ACCOUNT_KEY
SIGNED_IN_AT = "signed_in_at"


def provide_now(request: Request) -> datetime:
    """Every request's `now`: in demo mode this browser's test clock (/demo/clock, web.clock.BrowserClock) if it
    has one, else the server's clock (CONSOLE_NOW when pinned). Outside demo mode a stored test clock is ignored."""
    settings = request.app.state.settings
    if settings.demo:
        return settings.clock.now_for(request.scope.get("session"))
    return settings.clock.now()


def server_now(request: Request) -> datetime:
    """The server's clock, for what a test clock must not move: a session's age is real time."""
    return request.app.state.settings.clock.now()


def session_window(request: Request) -> tuple[datetime, datetime] | None:
    """When this session began and when it ends by age; None without a readable sign-in time."""
    try:
        signed_in_at = datetime.fromisoformat(request.session.get(SIGNED_IN_AT, ""))
    except (TypeError, ValueError):
        return None
    return signed_in_at, signed_in_at + timedelta(seconds=request.app.state.settings.session_max_age)


def _session_alive(request: Request) -> bool:
    window = session_window(request)
    return window is not None and server_now(request) <= window[1]


async def provide_account(request: Request) -> Account:
    account_id = request.session.get(SESSION_KEY) if request.session else None
    account = None
    if isinstance(account_id, int) and _session_alive(request):
        if shows_top_bar(request):  # with the top bar's 消息中心 count, in the same query
            account, unread = await find_account_and_unread(account_id)
            request.state[UNREAD_STATE] = unread
        else:
            account = await find_account(account_id)
    if account is None:
        raise NotAuthorizedException("sign in")
    return account


def sign_in(request: Request, account_id: int) -> None:
    """A new session under a new key: a key known before signing in (fixation) is worthless after it."""
    kept = {TEST_CLOCK_KEY: request.session[TEST_CLOCK_KEY]} if TEST_CLOCK_KEY in request.session else {}
    sessions.rotate(request)  # a demo test clock set before signing in stays with the browser
    request.set_session({**kept, SESSION_KEY: account_id, SIGNED_IN_AT: server_now(request).isoformat()})


def sign_out(request: Request) -> None:
    """Ends this session on the server: the row is deleted, so a copy of the cookie is dead too."""
    request.clear_session()


async def sign_out_everywhere(request: Request, account_id: int) -> int:
    """Ends every session of the account (every browser, every machine), this one included."""
    request.clear_session()
    return await sessions.end_sessions_of(account_id)
