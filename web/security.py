"""Headers on every response, 404s and 405s included (a `before_send` hook runs for all of them):
no inline script, no framing, no sniffing; signed-in pages never cached, versioned static files cached for a
year; over HTTPS, cookies `Secure` and HSTS. Also the versioned static URLs templates use."""

from __future__ import annotations

import hashlib
import re
from functools import cache

from litestar.datastructures import MutableScopeHeaders
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import Message, Scope

from web.settings import ASSETS, Settings

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}
HSTS = "max-age=31536000; includeSubDomains"
STATIC_PREFIX = "/static/"
# A versioned URL (…?v=<content hash>) never changes content, so browsers may keep it; anything else is
# revalidated, and every page is no-store (Back after 退出 must not show a balance).
STATIC_VERSIONED = "public, max-age=31536000, immutable"
STATIC_PLAIN = "no-cache"
PAGE = "no-store"
_SECURE = re.compile(r";\s*secure\s*(;|$)", re.IGNORECASE)


@cache
def static_version(name: str) -> str:
    """A short hash of a static file's content (computed once per process)."""
    try:
        return hashlib.sha256((ASSETS / "static" / name).read_bytes()).hexdigest()[:12]
    except OSError:
        return "0"


def static_url(name: str) -> str:
    return f"{STATIC_PREFIX}{name}?v={static_version(name)}"


def is_https(scope: Scope, settings: Settings) -> bool:
    """Served over HTTPS: the public URL says so, or the connection (uvicorn sets the scheme from a trusted
    proxy's X-Forwarded-Proto, CONSOLE_TRUSTED_PROXIES)."""
    return settings.https or scope.get("scheme") == "https"


def _cache_control(scope: Scope) -> str:
    path: str = scope.get("path", "")
    if path.startswith(STATIC_PREFIX):
        return STATIC_VERSIONED if b"v=" in scope.get("query_string", b"") else STATIC_PLAIN
    return PAGE


_RAW_HEADERS = [(name.encode(), value.encode()) for name, value in HEADERS.items()]
_OURS = {name for name, _ in _RAW_HEADERS}
_CACHE_CONTROL = {value: value.encode() for value in (STATIC_VERSIONED, STATIC_PLAIN, PAGE)}


async def add_headers(message: Message, scope: Scope) -> None:
    """before_send: the headers above, on every response start. (On the raw header list: this runs for every
    response, and Litestar's header views scan the list once per header set.)"""
    if message["type"] != "http.response.start":
        return
    raw: list[tuple[bytes, bytes]] = list(message.get("headers") or [])
    names = {name.lower() for name, _ in raw}
    if names & _OURS:
        raw = [(name, value) for name, value in raw if name.lower() not in _OURS]
    raw.extend(_RAW_HEADERS)
    if b"cache-control" not in names:
        raw.append((b"cache-control", _CACHE_CONTROL[_cache_control(scope)]))
    message["headers"] = raw
    settings: Settings = scope["app"].state.settings
    if is_https(scope, settings):
        headers = MutableScopeHeaders.from_message(message)
        headers["strict-transport-security"] = HSTS
        cookies = headers.getall("set-cookie", [])
        if cookies:
            del headers["set-cookie"]
            for cookie in cookies:
                headers.add("set-cookie", cookie if _SECURE.search(cookie) else cookie + "; Secure")


class CsrfMiddleware(CSRFMiddleware):
    """Litestar's CSRF check, refusing (403) a token no page of ours could have made: compare_digest raises
    TypeError on non-ASCII text, which would otherwise be a 500."""

    def _decode_csrf_token(self, token: str) -> str | None:
        if not token.isascii():
            return None
        return super()._decode_csrf_token(token)
