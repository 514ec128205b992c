"""Server-side sessions (SPEC.md §11): the cookie holds a random key, the data lives in the `web_session` table,
so any worker on any machine serves it and 退出 ends it at once (a copied cookie is then worthless).

Litestar's server-side session middleware does the cookie work; two pieces are ours:
- `DatabaseSessionStore`, a Litestar `Store` over the table. A session expires a fixed time after sign-in
  (writes keep the expiry), so an 8-hour session is 8 hours however busy it is.
- `RotatingSessionBackend`: a key is reused only if it was found in the store (a client cannot choose its own
  key, nor revive a revoked one), signing in always starts a new key, nothing is written for an anonymous
  visitor with an empty session, and an unchanged session is not written again. The store is read at most once
  a request (on arrival, when the cookie names a key) and written at most once (when the session changed)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.stores.base import Store
from litestar.types import Empty, Message, ScopeSession
from litestar.utils.dataclass import extract_dataclass_items

from models.prepared import Param, Prepared
from models.tables import WebSession
from web.clock import Clock

STORE_NAME = "sessions"
ACCOUNT_KEY = "account_id"  # the session field naming the signed-in account (web.auth)
_FOUND = "console.session_found"  # scope keys: the key the request's cookie named, if the store had it
_LOADED = "console.session_loaded"  # … and the data it held
_ROTATE = "console.session_rotate"  # set at sign-in: the new key


def _seconds(expires_in: int | timedelta | None) -> float | None:
    if expires_in is None:
        return None
    return expires_in.total_seconds() if isinstance(expires_in, timedelta) else float(expires_in)


def _account_of(value: bytes) -> int | None:
    try:
        account = json.loads(value).get(ACCOUNT_KEY)
    except (ValueError, AttributeError):
        return None
    return account if isinstance(account, int) else None


#: Every request with a session cookie reads its row: prepared (models.prepared).
_LIVE_SESSION = Prepared(
    lambda: (
        WebSession.select(WebSession.data)
        .where((WebSession.key == Param("key")) & (WebSession.expires_at > Param("now")))
        .limit(1)
    )
)


class DatabaseSessionStore(Store):
    """A Litestar store over `web_session`; time comes from the app's clock."""

    def __init__(self, clock: Clock, default_ttl: int) -> None:
        self.clock = clock
        self.default_ttl = default_ttl

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        data = value.encode() if isinstance(value, str) else value
        text = data.decode()
        updated = (
            await WebSession.update({WebSession.data: text, WebSession.account: _account_of(data)})
            .where(WebSession.key == key)
            .returning(WebSession.key)
        )
        if updated:
            return  # the expiry stays the one set at sign-in
        ttl = _seconds(expires_in) or self.default_ttl
        await WebSession.insert(
            WebSession(
                key=key,
                account=_account_of(data),
                data=text,
                expires_at=self.clock.now() + timedelta(seconds=ttl),
            )
        )

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        row = await _LIVE_SESSION.first(key=key, now=self.clock.now())
        return row["data"].encode() if row else None

    async def delete(self, key: str) -> None:
        await WebSession.delete().where(WebSession.key == key)

    async def delete_all(self) -> None:
        await WebSession.delete(force=True)

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        row = await WebSession.select(WebSession.expires_at).where(WebSession.key == key).first()
        if row is None:
            return None
        return max(0, int((row["expires_at"] - self.clock.now()).total_seconds()))


async def end_sessions_of(account_id: int) -> int:
    """ "Sign out everywhere": every session of the account ends now. Returns how many there were."""
    rows = await WebSession.delete().where(WebSession.account == account_id).returning(WebSession.key)
    return len(rows)


async def purge_expired(clock: Clock) -> int:
    """Removes the rows of sessions that have ended by age (the scheduler calls it)."""
    rows = await WebSession.delete().where(WebSession.expires_at <= clock.now()).returning(WebSession.key)
    return len(rows)


class RotatingSessionBackend(ServerSideSessionBackend):
    async def load_from_connection(self, connection: ASGIConnection) -> dict[str, Any]:
        key = connection.cookies.get(self.config.key)
        if not key or len(key) > 128:
            return {}
        data = await self.get(key, store=self.config.get_store_from_app(connection.scope["app"]))
        if data is None:
            return {}
        loaded = self.deserialize_data(data)
        scope: Any = connection.scope
        scope[_FOUND], scope[_LOADED] = key, dict(loaded)
        return loaded

    def get_session_id(self, connection: ASGIConnection) -> str:
        """The key the session has so far ("" for none yet: a new key is drawn only when one is stored)."""
        scope: Any = connection.scope
        return scope.get(_ROTATE) or scope.get(_FOUND) or ""

    @cached_property
    def _cookie(self) -> dict[str, Any]:
        """The cookie's attributes from the config (the same for every response: read once)."""
        return dict(extract_dataclass_items(self.config, exclude_none=True, include=Cookie.__dict__.keys()))

    async def store_in_message(self, scope_session: ScopeSession, message: Message, connection: ASGIConnection) -> None:
        scope: Any = connection.scope
        found, rotated = scope.get(_FOUND), scope.get(_ROTATE)
        empty = scope_session is Empty or not scope_session
        if empty and not found and not rotated and not connection.cookies.get(self.config.key):
            return  # an anonymous visitor with nothing to keep: no row, no cookie (most requests of /login)
        if not empty and not rotated and found and scope.get(_LOADED) == scope_session:
            return  # unchanged: the row and the cookie stay as they are (most requests of a signed-in partner)
        store = self.config.get_store_from_app(scope["app"])
        headers = MutableScopeHeaders.from_message(message)
        cookie = self._cookie
        if found and rotated:
            await self.delete(found, store=store)  # signing in ends the session the browser had before
        if scope_session is Empty or not scope_session:
            if found and not rotated:
                await self.delete(found, store=store)
            if connection.cookies.get(self.config.key):
                headers.add(
                    "Set-Cookie", Cookie(value="null", key=self.config.key, expires=0, **cookie).to_header(header="")
                )
            return
        key = self.get_session_id(connection) or self.generate_session_id()
        await self.set(session_id=key, data=self.serialize_data(scope_session, scope), store=store)
        headers.add("Set-Cookie", Cookie(value=key, key=self.config.key, **cookie).to_header(header=""))


@dataclass
class DatabaseSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend


def rotate(connection: ASGIConnection) -> None:
    """At sign-in: the session gets a key no one has seen (the old one, if any, is deleted)."""
    scope: Any = connection.scope
    scope[_ROTATE] = secrets.token_hex(32)
