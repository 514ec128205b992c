"""Generated bad input on every route (SPEC.md §12, issue 11): whatever a form field, query parameter, path
parameter, header or body holds, the answer is below 500, and an answer in the 4xx wrote nothing.

- The routes come from the app (every path and method of `client.app.routes`, HEAD wherever GET is, and a method
  the route does not take), so a new route is fuzzed without a change here.
- The fields come from the console's own pages: every form, link and htmx attribute on the pages the accounts of
  the world below see (a running Standard plan, a Premium plan, Basic with a pending order, a member, the operator
  of /ops with a contract order, a coupon and a failed e-mail to act on, signed out) names the fields of the route
  it targets, with the values the page put there; a handler's declared query parameters come from its signature,
  the sandbox callback's fields from the gateway; KNOWN_QUERY adds the few that no page links to.
- Each request then gets generated values: Unicode digits, NUL and other control characters, 1 MB strings, huge
  and negative numbers, empty, duplicated and unknown fields, JSON, multipart or broken bodies where a form is
  expected, a missing or foreign CSRF token, odd cookies and non-ASCII headers (X-Signature among them), real and
  made-up order ids in the path.
- Two in three requests start from one that a page makes (its hidden fields, options and path, as the account that
  saw it would send it) with one or two values replaced, dropped, repeated or joined by a stranger, so that they
  get past the first check to the services; the others have every field generated.
- Every route and method gets its own hypothesis run with a fixed number of examples (EXAMPLES; a fixed seed, no
  shrinking), and failures are collected rather than raised, so one run reports every failing request with the
  server's log and traceback, not only the first one hypothesis met. A request that changed the database is undone
  before the next one (the rows as the crawl left them are put back), so each meets the same world.
- "Wrote nothing" compares every row of every table in ALL_TABLES before and after the request, except
  web_session (any answer may start or refresh a session) and the writes EXPECTED_4XX_WRITES lists with the reason
  a 4xx makes them by design."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import traceback
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from litestar.constants import RESERVED_KWARGS
from piccolo.columns import Serial
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table, sort_table_classes

from models.db import write_transaction
from models.enums import Channel, LedgerKind
from models.i18n import LOCALES
from models.services import accounts, coupons, ledger, notifications, packs, payments, purchase, verification
from models.services.accounts import account_by_login
from models.services.demo import DEMO_OPERATOR, PASSWORD
from models.services.gateway import SandboxGateway
from models.services.operators import THROTTLE_PREFIX
from models.tables import ALL_TABLES, LoginAttempt, Outbox, SupportOrder, WebSession
from tests.helpers.http import csrf_token, sign_in
from tests.helpers.ops import sign_in_operator
from tests.helpers.plans import buy_plan

# --- what a 4xx may write by design --------------------------------------------------------------------------


@dataclass(frozen=True)
class Allowed:
    method: str
    route: str  # the route's path as the app declares it
    table: str
    kinds: frozenset[str]  # "insert", "update", "delete"
    columns: frozenset[str] | None  # for an update: the only columns it may change (None: any)
    reason: str


EXPECTED_4XX_WRITES = [
    Allowed(
        "POST",
        "/login",
        "login_attempt",
        frozenset({"insert", "update"}),
        frozenset({"failures", "last_failed_at"}),
        "a wrong password is counted (the throttle, SPEC.md §12); the row is created at a login's first failure",
    ),
    Allowed(
        "POST",
        "/ops/login",
        "login_attempt",
        frozenset({"insert", "update"}),
        frozenset({"failures", "last_failed_at"}),
        "an operator's wrong password is counted like a partner's (the same throttle, key ops:<login>); the row is "
        "created at a login's first failure",
    ),
    Allowed(
        "POST",
        "/orders/{order_id:str}/verify",
        "verification_code",
        frozenset({"update"}),
        frozenset({"attempts", "void"}),
        "a wrong code is counted against the code (at most 5 are checked); the fifth wrong one voids it",
    ),
    *(
        Allowed(
            "POST",
            f"/plan/change/{kind}/spec",
            "quote",
            frozenset({"insert"}),
            None,
            "the spec page shown again (agreement not ticked: 400; the price changed: 409) stores the quote it now "
            "shows, whose id its form carries",
        )
        for kind in ("upgrade", "downgrade")
    ),
]
#: Not compared at all: a session row may be written by any answer (a sign-in, a flash message).
CHECKED = [table for table in ALL_TABLES if table is not WebSession]

# --- how many examples ---------------------------------------------------------------------------------------

#: The longest URL sent: a server's HTTP parser (and the test client, at 64 KiB) refuses longer ones before the
#: app sees them; 16,000 characters are still far over the console's own limits for a path and a query.
MAX_URL = 16_000
#: Examples per route and method, by method ("*" is a method the route does not take).
EXAMPLES = {"POST": 14, "GET": 5, "HEAD": 1, "*": 2}

# --- values --------------------------------------------------------------------------------------------------


class Big(str):
    """A long string that prints as its length (hypothesis and the failure report show it short)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<{len(self)} × {self[:1]!r}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


UNICODE_DIGITS = "²³¹١٢٣٤٥۰۱۲۳߀०१२३১৩੧૧୧௧౧೧൧๑໑༡၁፩០᠑᥆᧑᪁᭑᮱᱁᱑꘡꣐꤁꧑꩑꯱０１２３𝟎𝟏𝟙𝟡①⑴⒈⓵❶➀Ⅻ½¼"
SPECIALS = [
    "",
    " ",
    "\x00",
    "1\x00",
    "\x00" * 3,
    "\t",
    "\r\n",
    "\n1",
    "\x1b[31m",
    "\x7f",
    "\x08",
    "\u2028",
    "\ufeff1",
    "\u200b",
    "\u00a0",
    "\ud7ff",
    "\U0010ffff",
    "²",
    "١",
    "١٢",
    "۳",
    "𝟙",
    "①",
    "½",
    "Ⅻ",
    "1e9",
    "1e309",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "-0",
    "+1",
    "0x1f",
    "1_000",
    "1.5",
    "1,5",
    "-1",
    "0",
    "00",
    "007",
    "9" * 20,
    "-" + "9" * 20,
    str(2**63),
    str(-(2**63) - 1),
    str(2**31),
    "true",
    "null",
    "None",
    "[]",
    "{}",
    "'; DROP TABLE account; --",
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "%(login)s",
    "../../pyproject.toml",
    "%00",
    "%zz",
    "//evil.example",
    "http://evil.example/",
    "中文",
    "🙂" * 10,
    "x" * 65,
    "k" * 64,
    "a" * 201,
    "1" * 33,
    " 1 ",
    "1 ",
    "２",
]
BIG = st.builds(
    Big,
    st.builds(
        lambda char, size: char * size,
        st.sampled_from("a9²中\x00 "),
        st.sampled_from([1_000_000, 1024 * 1024 + 1, 20_001, 20_001, 4_097, 4_097, 1_025, 1_025]),
    ),
)
NUMBERS = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40),
    st.integers(min_value=-3, max_value=40),
    st.sampled_from([2**31 - 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, 10**15, 10**18]),
).map(str)
NASTY: SearchStrategy[str] = st.one_of(
    st.sampled_from(SPECIALS),
    st.text(alphabet=st.sampled_from(UNICODE_DIGITS + "0123456789-"), min_size=1, max_size=6),
    NUMBERS,
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    BIG,
)
FIELD_NAMES_NASTY = st.one_of(
    st.sampled_from(["", "\x00", "x" * 200, "a[]", "a.b", "中文", "_csrf_token", "%00", "next", "id"]),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=12),
)
ODD_METHODS = ["PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "GET", "POST", "HEAD"]
ENCODINGS = [
    *["form"] * 30,
    "form-charset",
    "multipart",
    "multipart-file",
    "json",
    "json-as-form",
    "text",
    "none",
    "bad-bytes",
    "form-as-json",
]
CSRF_MODES = [*["field"] * 30, "header", "missing", "garbage", "foreign", "twice", "non-ascii", "non-ascii-header"]
NON_ASCII = [
    "签名".encode(),
    "é".encode("latin-1"),
    b"\xff\xfe",
    b"\x80",
    "ü".encode(),
    b"abc\xe9",
    "🙂".encode(),
]
SIGNATURES = st.sampled_from([*NON_ASCII, b"", b"0" * 64, b"z" * 1000, "a\u00e9".encode("latin-1")])
HEADER_CHOICES: list[tuple[str, SearchStrategy[bytes]]] = [
    ("x-signature", SIGNATURES),
    ("hx-request", st.just(b"true")),
    ("hx-target", st.sampled_from([b"preview", b"\xff", b"x" * 500])),
    ("accept-language", st.sampled_from([b"en", b"zh-CN", b"xx", b"en;q=1e400", b"*;q=abc", *NON_ASCII])),
    ("x-forwarded-proto", st.sampled_from([b"https", b"gopher", *NON_ASCII])),
    ("x-forwarded-for", st.sampled_from([b"1.2.3.4", b"not-an-ip", *NON_ASCII])),
    ("user-agent", st.sampled_from(NON_ASCII)),
    ("referer", st.sampled_from([b"http://evil.example/", *NON_ASCII])),
    ("accept", st.sampled_from([b"application/json", b"*/*;q=x", *NON_ASCII])),
    ("x-csrftoken", st.sampled_from([b"", b"garbage", *NON_ASCII])),
    ("accept-encoding", st.sampled_from([b"gzip", b"br", b"identity;q=0", *NON_ASCII])),
]
HEADERS = st.lists(
    st.sampled_from(range(len(HEADER_CHOICES))).flatmap(
        lambda i: st.tuples(st.just(HEADER_CHOICES[i][0]), HEADER_CHOICES[i][1])
    ),
    max_size=3,
)

# --- the world: accounts in every state, their sessions, the routes, the fields of the pages -----------------

#: (actor, weight): who sends a request; None logs in nobody, "forged" sends a made-up session cookie.
ACTORS = [
    ("partner-a", 4),  # certified main account, Standard plan: upgrade, renew, packs, tickets, unsubscribe
    ("fuzz-premium", 3),  # certified main account, Premium plan: downgrade
    ("partner-b-buyer", 3),  # Basic, a pending purchase order: buying a plan
    ("partner-a-ops", 2),  # a member of partner-a: pays with the main account's balance
    (DEMO_OPERATOR, 2),  # the demo's operator: the console under /ops (signed in at /ops/login)
    (None, 2),
    ("forged", 1),
]
WEIGHTED_ACTORS = [login for login, weight in ACTORS for _ in range(weight)]
PREMIUM_LOGIN = "fuzz-premium"

#: Query parameters that a handler reads but that no page links to and no signature declares.
KNOWN_QUERY = {
    ("GET", "/login"): {"ended": ["all"]},  # the redirect after "sign out of every session"
    ("GET", "/orders/{order_id:str}/pay"): {"cancelled": ["1"]},  # the sandbox's "cancel" redirect
}


@dataclass(frozen=True)
class Slot:
    route: str  # the path as the app declares it
    method: str  # a method, or "*" for one the route does not take
    methods: frozenset[str]  # the methods the route takes
    params: tuple[tuple[str, str], ...]  # (name, type) of the path parameters
    query: tuple[str, ...]  # the query parameters its handler's signature declares


@dataclass
class Actor:
    login: str | None
    cookies: dict[str, str] = field(default_factory=dict)
    token: str = ""
    stale: bool = False


@dataclass(frozen=True)
class Drawn:
    """One generated request, as the failure report shows it."""

    actor: str | None
    method: str
    path_values: tuple[tuple[str, str], ...]
    query: tuple[tuple[str, str], ...]
    fields: tuple[tuple[str, str], ...]
    encoding: str
    csrf: str
    headers: tuple[tuple[str, bytes], ...]
    cookies: tuple[tuple[str, str], ...]
    signed: bool
    from_page: bool


@dataclass
class Failure:
    slot: Slot
    drawn: Drawn
    url: str
    status: int | None
    problem: str
    detail: str


class LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not any(seen is record for seen in self.records):  # the handler sits on several loggers
            self.records.append(record)

    def text(self) -> str:
        lines = []
        for record in self.records:
            lines.append(f"{record.levelname} {record.name}: {record.getMessage()}")
            if record.exc_info:
                lines.append("".join(traceback.format_exception(*record.exc_info)))
        return "\n".join(lines)


def route_regex(route: str) -> re.Pattern[str]:
    pattern = ""
    for part in re.split(r"(\{[^}]+\})", route):
        if part.startswith("{"):
            name, _, kind = part[1:-1].partition(":")
            pattern += f"(?P<{name}>.+)" if kind == "path" else f"(?P<{name}>[^/]+)"
        else:
            pattern += re.escape(part)
    return re.compile(pattern + "/?")


def slots_of(app: Any) -> list[Slot]:
    """Every route of the app and each method it takes, HEAD wherever GET is, and one method it does not take."""
    slots = []
    for route in app.routes:
        methods = frozenset(route.methods) - {"OPTIONS"}
        params = tuple((name, kind or "str") for name, kind in re.findall(r"\{(\w+):?(\w*)\}", route.path))
        path_names = {name for name, _ in params}
        for method in sorted(methods | ({"HEAD"} if "GET" in methods else set())):
            query: list[str] = []
            for handler in route.route_handlers:
                if method not in handler.http_methods and not (method == "HEAD" and "GET" in handler.http_methods):
                    continue
                dependencies = set(handler.resolve_dependencies())
                for name, definition in handler.parsed_fn_signature.parameters.items():
                    if name in RESERVED_KWARGS or name in dependencies or name in path_names or name == "self":
                        continue
                    kwarg = definition.kwarg_definition
                    query.append(getattr(kwarg, "query", None) or name)
            slots.append(Slot(route.path, method, methods, params, tuple(sorted(set(query)))))
        slots.append(Slot(route.path, "*", methods, params, ()))
    return slots


#: An ordered set of values (a dict's keys): the order the pages showed them in, so a run draws the same examples.
Seen = dict[str, None]


@dataclass
class Form:
    """A form as a page shows it: every value each field may take, and what a browser sends with every box ticked."""

    values: dict[str, Seen] = field(default_factory=dict)
    sent: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, value: str, *, chosen: bool = False) -> None:
        if name == "_csrf_token":
            return
        self.values.setdefault(name, {})[value] = None
        if chosen or name not in self.sent:
            self.sent[name] = value


class FormParser(HTMLParser):
    """The targets of one page: forms (their action, formaction and htmx URLs), links and htmx attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.targets: list[tuple[str, str, Form]] = []  # (method, url, form)
        self._form: tuple[str, Form] | None = None  # (method, form) of the open <form>
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            method, form = a.get("method", "get").upper(), Form()
            self._form = (method, form)
            self.targets.append((method, a.get("action", ""), form))
        elif tag == "a" and "href" in a:
            self.targets.append(("GET", a["href"], Form()))
        form = self._form[1] if self._form else Form()
        for attribute, method in (("hx-get", "GET"), ("hx-post", "POST")):
            if attribute in a:
                self.targets.append((method, a[attribute], form))
        if self._form is None:
            return
        if "formaction" in a:
            self.targets.append((self._form[0], a["formaction"], form))
        name, value, kind = a.get("name"), a.get("value", ""), a.get("type", "text")
        if tag == "select":
            self._select = name
        elif tag == "option" and self._select:
            form.add(self._select, value, chosen="selected" in a)
        elif tag == "textarea" and name:
            self._textarea = name
            form.add(name, "fuzz text")
        elif tag == "input" and name:
            if kind in ("text", "number", "tel", "email", "search", "password") and not value:
                # What a person would type, so that the form goes through to the code behind it (a code of
                # 6 digits is a wrong code, a password a wrong one).
                if kind == "number" or a.get("inputmode") == "numeric":
                    value = "1" * int(a.get("maxlength") or 1)
                else:
                    value = "not-the-password" if kind == "password" else "fuzz"
            form.add(name, value, chosen="checked" in a)
        elif tag == "button" and name:
            form.add(name, value)

    def handle_data(self, data: str) -> None:
        if self._textarea and self._form:
            self._form[1].add(self._textarea, data.strip() or "fuzz", chosen=True)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


@dataclass(frozen=True)
class Sample:
    """A request one of the console's pages makes (for the account that saw it): where a mutation starts."""

    actor: str | None
    path_values: tuple[tuple[str, str], ...]
    query: tuple[tuple[str, str], ...]
    fields: tuple[tuple[str, str], ...]


class World:
    """The fixture's state, shared by every example of the test (one database)."""

    def __init__(self, client: Any, loop: asyncio.AbstractEventLoop, gateway: SandboxGateway) -> None:
        self.client = client
        self.loop = loop
        self.gateway = gateway
        self.slots = slots_of(client.app)
        self.regexes = [(route_regex(slot.route), slot.route) for slot in self.slots if slot.method != "*"]
        self.actors: dict[str | None, Actor] = {}
        self.order_ids: list[str] = []
        # (method, route) → field → values seen on the pages
        self.fields: dict[tuple[str, str], dict[str, Seen]] = {}
        self.forms_found: set[tuple[str, str]] = set()
        # (method, route) → the requests the pages make
        self.samples: dict[tuple[str, str], list[Sample]] = {}
        self.log = LogCapture()
        self.failures: list[Failure] = []
        self.sent: Counter[tuple[str, str]] = Counter()
        self.statuses: Counter[tuple[str, str, int]] = Counter()
        # The database as the crawl left it, and whether a request changed it since.
        self.baseline: dict[str, dict[Any, dict[str, Any]]] = {}
        self.dirty = False
        # The rows as they are now, when nothing can have changed them since they were read (after a restore, or
        # the snapshot after a request); None when unknown (a sign-in, a GET that is not compared). A request's
        # "before" is this when known: one snapshot fewer a request (~25 queries; the test's cost on PostgreSQL).
        self.known: dict[str, dict[Any, dict[str, Any]]] | None = None

    # -- pages ----------------------------------------------------------------------------------------------------

    def route_of(self, path: str) -> str | None:
        """The route that serves `path`: as the router decides, a literal segment wins over a parameter."""
        matches = [route for regex, route in self.regexes if regex.fullmatch(path)]
        return min(matches, key=lambda route: (route.count("{"), -len(route)), default=None)

    def learn(self, method: str, url: str, form: Form, actor: str | None = None) -> str | None:
        """Records the fields a page sends to `url` (and the request as the page makes it); returns the URL when it
        is a page of the console to visit."""
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            return None
        route = self.route_of(parts.path)
        if route is None:
            return None
        known = self.fields.setdefault((method, route), {})
        for name, values in form.values.items():
            known.setdefault(name, {}).update(values)
        query = parse_qsl(parts.query, keep_blank_values=True)
        for name, value in query:
            known.setdefault(name, {})[value] = None
        match = route_regex(route).fullmatch(parts.path)
        path_values = tuple((name, unquote(value)) for name, value in match.groupdict().items()) if match else ()
        sent = tuple(form.sent.items())
        sample = Sample(
            actor, path_values, tuple(query) + (sent if method == "GET" else ()), sent if method != "GET" else ()
        )
        samples = self.samples.setdefault((method, route), [])
        if sample not in samples:
            samples.append(sample)
        if method == "POST":
            self.forms_found.add((method, route))
        if method != "GET" or parts.path.startswith("/static/"):
            return None
        return parts.path + ("?" + encode(sample.query) if sample.query else "")

    async def crawl(self, actor: Actor, seeds: Iterable[str], limit: int = 60) -> None:
        """Visits the pages an account reaches from `seeds` (following links and GET forms), learning every form:
        every seed and up to `limit` pages more."""
        queue, seen = list(seeds), set()
        limit += len(queue)
        while queue and len(seen) < limit:
            url = queue.pop(0)
            if url in seen or url.startswith(("/lang/", "/static/")):
                continue
            seen.add(url)
            response = await self.client.get(url, headers=self.cookie_header(actor), follow_redirects=False)
            if "location" in response.headers:
                found = self.learn("GET", response.headers["location"], Form(), actor.login)
                if found:
                    queue.append(found)
            if "html" not in response.headers.get("content-type", ""):
                continue
            parser = FormParser()
            parser.feed(response.text)
            for method, target, form in parser.targets:
                found = self.learn(method, target or url, form, actor.login)
                if found and found not in seen:
                    queue.append(found)

    # -- sessions -------------------------------------------------------------------------------------------------

    def cookie_header(self, actor: Actor, extra: Iterable[tuple[str, str]] = ()) -> list[tuple[str, bytes]]:
        """The actor's cookies (and any generated ones) as one raw Cookie header: the client's own jar would
        refuse a non-ASCII value, and it keeps the Set-Cookie answers, which must not carry over."""
        self.client.cookies.clear()
        pairs = [*actor.cookies.items(), *extra]
        if not pairs:
            return []
        return [("cookie", "; ".join(f"{name}={value}" for name, value in pairs).encode("utf-8", "surrogatepass"))]

    async def sign_in(self, actor: Actor) -> None:
        self.client.cookies.clear()
        if actor.login == DEMO_OPERATOR:
            await LoginAttempt.delete().where(LoginAttempt.login == THROTTLE_PREFIX + actor.login)
            await sign_in_operator(self.client, actor.login, PASSWORD)
        elif actor.login and actor.login != "forged":
            # The fuzz may have throttled this login with wrong passwords: setup, not the request under test.
            await LoginAttempt.delete().where(LoginAttempt.login == actor.login)
            await sign_in(self.client, actor.login)
        actor.token = await csrf_token(self.client, "/login")
        actor.cookies = dict(self.client.cookies.items())
        self.client.cookies.clear()
        actor.stale = False
        self.known = None

    async def reset(self) -> None:
        """Back to the baseline when a request changed the database: each request meets the same world (else the
        first downgrade or unsubscription of a run would leave the rest of it only refusals to answer)."""
        if not self.dirty:
            return
        await restore(self.baseline)
        self.dirty = False
        self.known = self.baseline
        for actor in self.actors.values():
            actor.stale = bool(actor.login) and actor.login != "forged" and not await self.still_signed_in(actor)

    async def still_signed_in(self, actor: Actor) -> bool:
        key = actor.cookies.get("console_session")
        return bool(key) and await WebSession.exists().where(WebSession.key == key)

    # -- one request ----------------------------------------------------------------------------------------------

    async def send(self, slot: Slot, drawn: Drawn) -> None:
        actor = self.actors[drawn.actor]
        if actor.stale:
            await self.sign_in(actor)
        url = url_of(slot, drawn)
        body, headers = self.body_of(actor, drawn)
        headers += self.cookie_header(actor, drawn.cookies)
        before = self.known if self.known is not None else await snapshot()
        self.log.records.clear()
        status, problem, detail = None, "", ""
        try:
            response = await self.client.request(
                drawn.method, url, content=body, headers=headers, follow_redirects=False
            )
            status = response.status_code
            if status >= 500:
                problem = f"status {status}"
            elif "Traceback (most recent call last)" in response.text:
                problem = "a traceback in the page"
        except Exception as exc:
            problem = f"raised {type(exc).__name__}"
            detail = "".join(traceback.format_exception(exc))
        self.statuses[(slot.method, slot.route, status or 0)] += 1
        self.sent[(slot.method, slot.route)] += 1
        writes = drawn.method not in ("GET", "HEAD") or (status or 0) >= 400
        self.known = await snapshot() if writes else None
        changes = diff(before, self.known) if self.known is not None else []
        self.dirty = self.dirty or bool(changes)
        if status is not None and 400 <= status < 500:
            written = unexpected_writes(drawn.method, slot.route, changes)
            if written:
                problem = problem or f"status {status} but wrote"
                detail += "\n".join(written)
        if problem:
            log_text = self.log.text()
            self.failures.append(Failure(slot, drawn, url, status, problem, (detail + "\n" + log_text).strip()))
        cookie_set = status is None or "console_session=" in ";".join(response.headers.get_list("set-cookie"))
        if cookie_set and actor.login and actor.login != "forged" and not await self.still_signed_in(actor):
            actor.stale = True  # signed out, or signed in anew, by this request

    def body_of(self, actor: Actor, drawn: Drawn) -> tuple[bytes | None, list[tuple[str, bytes]]]:
        fields = list(drawn.fields)
        headers = list(drawn.headers)
        token = {
            "field": actor.token,
            "header": actor.token,
            "missing": "",
            "garbage": "x" * 40,
            "foreign": next((a.token for a in self.actors.values() if a is not actor and a.token), ""),
            "twice": actor.token,
            "non-ascii": actor.token[:-1] + "é",
            "non-ascii-header": actor.token[:-1] + "é",
        }[drawn.csrf]
        if drawn.csrf in ("field", "foreign", "garbage", "non-ascii"):
            fields.append(("_csrf_token", token))
        elif drawn.csrf == "twice":
            fields = [("_csrf_token", "x" * 40), *fields, ("_csrf_token", token)]
        elif drawn.csrf in ("header", "non-ascii-header"):
            headers.append(("x-csrftoken", token.encode("utf-8")))
        if drawn.signed:  # signed as the gateway signs: the fields as the console will read them (the first of each)
            payload = {}
            for name, value in fields:
                payload.setdefault(name, value)
            headers = [(n, v) for n, v in headers if n != "x-signature"]
            headers.append(("x-signature", self.gateway.sign(payload).encode()))
        kind = drawn.encoding
        if kind == "none":
            return None, headers
        if kind in ("form", "form-charset", "text", "form-as-json"):
            content_type = {
                "form": "application/x-www-form-urlencoded",
                "form-charset": "application/x-www-form-urlencoded; charset=latin-1",
                "text": "text/plain",
                "form-as-json": "application/json",
            }[kind]
            return encode(fields).encode(), [("content-type", content_type.encode()), *headers]
        if kind == "bad-bytes":
            raw = b"&".join([b"%ff%fe=%c0%af", b"months=\xff\xfe", b"%=%&&==&a=%", encode(fields).encode()])
            return raw, [("content-type", b"application/x-www-form-urlencoded"), *headers]
        if kind in ("json", "json-as-form"):
            content_type = b"application/json" if kind == "json" else b"application/x-www-form-urlencoded"
            return json.dumps(dict(fields)).encode(), [("content-type", content_type), *headers]
        boundary = "fuzz-boundary-7MA4YWxkTrZu0gW"
        parts = []
        for name, value in fields:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n')
        if kind == "multipart-file":
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{fields[0][0] if fields else "file"}"; '
                f'filename="a.txt"\r\nContent-Type: text/plain\r\n\r\n\x00\x01 binary\r\n'
            )
        content = ("".join(parts) + f"--{boundary}--\r\n").encode("utf-8", "surrogatepass")
        return content, [("content-type", f"multipart/form-data; boundary={boundary}".encode()), *headers]


def fit(value: str, budget: int) -> str:
    """A long value cut to `budget` characters once percent-encoded (a long value is one character repeated)."""
    if not isinstance(value, Big):
        return value
    return Big(value[: max(1, budget // len(percent(value[:1])))])


def url_of(slot: Slot, drawn: Drawn) -> str:
    """The request's path and query string. A server's HTTP parser refuses a URL over 64 KiB before the app sees
    it, and so does the test client: long values in a URL are cut to fit (still far over the console's limits)."""
    bigs = sum(isinstance(value, Big) for _name, value in (*drawn.path_values, *drawn.query))
    budget = MAX_URL // max(1, bigs) - 100
    given = dict(drawn.path_values)
    path = re.sub(
        r"\{(\w+)(:\w+)?\}",
        lambda match: percent(fit(given[match.group(1)], budget)),
        slot.route,
    )
    query = [(name, fit(value, budget)) for name, value in drawn.query]
    return path + ("?" + encode(query) if query else "")


def percent(value: str) -> str:
    """Percent-encoded UTF-8 (a long value, one character repeated, is encoded once: quote is slow on 1 MB)."""
    if isinstance(value, Big) and value:
        return quote(value[0].encode("utf-8", "surrogatepass"), safe="") * len(value)
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def encode(pairs: Iterable[tuple[str, str]]) -> str:
    return "&".join(f"{percent(name)}={percent(value)}" for name, value in pairs)


# --- before and after ----------------------------------------------------------------------------------------


async def snapshot(tables: Iterable[type[Table]] = CHECKED) -> dict[str, dict[Any, dict[str, Any]]]:
    """Every row of the tables by primary key, read in one transaction (one connection, one consistent view)."""
    rows = {}
    async with ALL_TABLES[0]._meta.db.transaction():
        for table in tables:
            key = table._meta.primary_key._meta.db_column_name
            rows[table._meta.tablename] = {row[key]: row for row in await table.select()}
    return rows


async def restore(saved: dict[str, dict[Any, dict[str, Any]]]) -> None:
    """Puts every table back as `saved` holds it (rows, ids and, on PostgreSQL, the id sequences)."""
    engine = ALL_TABLES[0]._meta.db
    ordered = sort_table_classes(list(ALL_TABLES))
    async with engine.transaction():
        for table in reversed(ordered):
            await table.delete(force=True)
        for table in ordered:
            rows = list(saved[table._meta.tablename].values())
            if rows:
                await table.insert(*(table(**row) for row in rows))
            if isinstance(engine, PostgresEngine) and isinstance(table._meta.primary_key, Serial):
                name, key = table._meta.tablename, table._meta.primary_key._meta.db_column_name
                await engine.run_ddl(
                    f"SELECT setval(pg_get_serial_sequence('{name}', '{key}'), "
                    f"COALESCE((SELECT MAX({key}) FROM {name}), 0) + 1, false)"
                )


def diff(before: dict, after: dict) -> list[tuple[str, str, Any, frozenset[str]]]:
    """(table, kind, row id, changed columns) for every row that differs."""
    changes = []
    for table, rows in after.items():
        old = before[table]
        for key, row in rows.items():
            if key not in old:
                changes.append((table, "insert", key, frozenset(row)))
            elif row != old[key]:
                changes.append((table, "update", key, frozenset(c for c in row if row[c] != old[key][c])))
        changes.extend((table, "delete", key, frozenset()) for key in old if key not in rows)
    return changes


def unexpected_writes(method: str, route: str, changes: list[tuple[str, str, Any, frozenset[str]]]) -> list[str]:
    def allowed(table: str, kind: str, columns: frozenset[str]) -> bool:
        return any(
            rule.method == method
            and rule.route == route
            and rule.table == table
            and kind in rule.kinds
            and (kind != "update" or rule.columns is None or columns <= rule.columns)
            for rule in EXPECTED_4XX_WRITES
        )

    return [
        f"wrote on a 4xx: {kind} {table} {key!r} {sorted(columns) if kind == 'update' else ''}".rstrip()
        for table, kind, key, columns in changes
        if not allowed(table, kind, columns)
    ]


# --- the generated requests ----------------------------------------------------------------------------------


def values(plausible: Iterable[str]) -> SearchStrategy[str]:
    """A value for one field: one the pages use (a real order id, a hidden field, an option), or a nasty one, or
    a real one with something nasty around it."""
    real = list(dict.fromkeys(plausible))
    if not real:
        return NASTY
    return st.one_of(
        st.sampled_from(real),
        NASTY,
        NASTY,
        st.tuples(st.sampled_from(real), st.sampled_from(["\x00", "²", " ", "\u200b", "0" * 30, "'", "x" * 70])).map(
            lambda pair: pair[0] + pair[1]
        ),
    )


def path_values(world: World, kind: str, name: str) -> SearchStrategy[str]:
    if name == "order_id":
        return st.one_of(
            st.sampled_from(world.order_ids), st.sampled_from(world.order_ids), NASTY, st.just("CS" + "9" * 30)
        )
    if kind == "int":
        return st.one_of(NUMBERS, NASTY)
    if kind == "path":
        return st.one_of(
            st.sampled_from(["app.css", "htmx.min.js", "../pyproject.toml", "..%2fpyproject.toml", "app.css\x00"]),
            NASTY,
        )
    if name == "code":
        return st.one_of(st.sampled_from(sorted(LOCALES)), NASTY)
    return values([])


@st.composite
def requests_for(draw: Any, world: World, slot: Slot) -> Drawn:
    """A request for one route: either one that a page of the console makes, with one or two of its values (or
    path parameters) replaced, dropped, repeated or joined by a stranger; or one whose every field is generated."""
    method = slot.method
    if method == "*":
        method = draw(st.sampled_from([m for m in ODD_METHODS if m not in slot.methods]))
    page_method = "GET" if method in ("GET", "HEAD") else method
    query_known: dict[str, Seen] = {name: {} for name in slot.query}
    for key in (("GET", slot.route), (page_method, slot.route)):
        for name, seen in KNOWN_QUERY.get(key, {}).items():
            query_known.setdefault(name, {}).update(dict.fromkeys(seen))
    for name, seen in world.fields.get(("GET", slot.route), {}).items():
        query_known.setdefault(name, {}).update(seen)
    form_known = world.fields.get((page_method, slot.route), {}) if page_method != "GET" else {}
    all_names = sorted({name for fields in world.fields.values() for name in fields})
    names = st.one_of(st.sampled_from(all_names), FIELD_NAMES_NASTY) if all_names else FIELD_NAMES_NASTY

    def generated(known: dict[str, Seen], extra: bool) -> tuple[tuple[str, str], ...]:
        out: list[tuple[str, str]] = []
        for name in sorted(known):
            how = draw(st.sampled_from(["value", "value", "value", "absent", "twice"]))
            if how == "absent":
                continue
            out.append((name, draw(values(known[name]))))
            if how == "twice":
                out.append((name, draw(values(known[name]))))
        if extra:
            out.extend(draw(st.lists(st.tuples(names, NASTY), max_size=2)))
        return tuple(draw(st.permutations(out))) if len(out) > 1 and draw(st.booleans()) else tuple(out)

    def mutated(pairs: tuple[tuple[str, str], ...], known: dict[str, Seen]) -> tuple[tuple[str, str], ...]:
        out = list(pairs)
        for _ in range(draw(st.integers(0, 2))):
            how = draw(st.sampled_from(["replace", "replace", "replace", "drop", "twice", "stranger"]))
            if how == "stranger" or not out:
                out.append((draw(names), draw(NASTY)))
                continue
            index = draw(st.integers(0, len(out) - 1))
            name = out[index][0]
            if how == "replace":
                out[index] = (name, draw(st.one_of(NASTY, values(known.get(name, {})))))
            elif how == "drop":
                del out[index]
            else:
                out.insert(draw(st.integers(0, len(out))), (name, draw(values(known.get(name, {})))))
        return tuple(out)

    samples = world.samples.get((page_method, slot.route), [])
    sample = draw(st.sampled_from(samples)) if samples and draw(st.integers(0, 2)) > 0 else None
    if sample is not None:
        actor = sample.actor if draw(st.integers(0, 3)) else draw(st.sampled_from(WEIGHTED_ACTORS))
        given = dict(sample.path_values)
        params = tuple(
            (name, given[name] if name in given and draw(st.integers(0, 3)) else draw(path_values(world, kind, name)))
            for name, kind in slot.params
        )
        query = mutated(sample.query, query_known) if page_method == "GET" else sample.query
        fields = mutated(sample.fields, form_known) if page_method != "GET" else ()
    else:
        actor = draw(st.sampled_from(WEIGHTED_ACTORS))
        params = tuple((name, draw(path_values(world, kind, name))) for name, kind in slot.params)
        query = generated(query_known, extra=page_method == "GET" or draw(st.booleans()))
        fields = generated(form_known, extra=True) if page_method != "GET" else ()
    if page_method == "GET":
        encoding = draw(st.sampled_from(["none"] * 9 + ENCODINGS))
    else:
        encoding = draw(st.sampled_from(ENCODINGS))
    headers = tuple(draw(HEADERS))
    signed = False
    if slot.route.endswith("/notify"):  # the gateway's callback: its X-Signature is what it is about
        signed = draw(st.booleans())
        if not signed:
            headers += (("x-signature", draw(SIGNATURES)),)
    cookies: list[tuple[str, str]] = []
    if actor == "forged":
        cookies.append(("console_session", draw(st.text(alphabet="0123456789abcdefnul", max_size=130))))
    if draw(st.integers(0, 5)) == 0:
        cookies.append(("lang", draw(st.sampled_from(["en", "zh_CN", "xx", "", "%00", "a" * 300, "..", "中"]))))
    return Drawn(
        actor=actor,
        method=method,
        path_values=params,
        query=query,
        fields=fields,
        encoding=encoding,
        csrf=draw(st.sampled_from(CSRF_MODES)),
        headers=headers,
        cookies=tuple(cookies),
        signed=signed,
        from_page=sample is not None,
    )


# --- the world and the test ----------------------------------------------------------------------------------


async def build_state(now: datetime) -> None:
    """Accounts in every state a route cares about (the demo's accounts plus one on Premium)."""
    await buy_plan("partner-a", "standard", 3, now)
    await accounts.create_partner(
        PREMIUM_LOGIN,
        "demo-pass-2026",
        "云端科技有限公司",
        now,
        certified=True,
        phone="13700000001",
        email="p@x.example",
    )
    premium = await account_by_login(PREMIUM_LOGIN)
    async with write_transaction():
        await ledger.credit(premium.id, 10_000_000, now, kind=LedgerKind.TOP_UP, note="fuzz")
    await buy_plan(PREMIUM_LOGIN, "premium", 3, now)
    main = await account_by_login("partner-a")
    waiting = await packs.place(main, 2, None, now)  # paid from the balance after a code: the verify page
    await payments.choose(main, waiting, "balance", None, now)
    await verification.send_code(main, waiting, "phone", now)
    member = await account_by_login("partner-a-ops")
    await packs.place(member, 1, None, now)  # no method chosen yet: the pay page
    asked = await packs.place(member, 1, None, now)  # 合作伙伴代付: partner-a's 待代付订单 and its 驳回 form
    await payments.choose(member, asked, "partner", None, now)
    buyer = await account_by_login("partner-b-buyer")
    online = await purchase.place(buyer, "standard", 1, None, now)
    await payments.choose(buyer, online, "online", None, now)  # the sandbox's checkout
    # The operator console's: a contract order waiting (线下合同订单's 确认到账 and 驳回), an unused coupon (作废) and a
    # failed e-mail (重新发送).
    contract = await packs.place(main, 1, None, now)
    await payments.choose(main, contract, "contract", None, now)
    await coupons.grant(premium.id, now, voucher=Decimal("100"))
    await notifications.notify(premium.id, "fuzz", "fuzz", now, Channel.EMAIL)
    await Outbox.update({Outbox.attempts: notifications.MAX_ATTEMPTS, Outbox.last_error: "fuzz: mail is down"}).where(
        Outbox.channel == Channel.EMAIL
    )


@pytest.fixture
async def world(client, demo, settings):
    client_log = logging.getLogger("httpx")  # one line per request, some of them 16,000 characters long
    level = client_log.level
    client_log.setLevel(logging.WARNING)
    await build_state(settings.clock.now())
    gateway = SandboxGateway(settings.secret_bytes)
    state = World(client, asyncio.get_running_loop(), gateway)
    for login, _weight in ACTORS:
        state.actors[login] = Actor(login)
        await state.sign_in(state.actors[login])
    # Order ids are random: listed by whose and what they are, so that every run draws the same examples.
    orders = await SupportOrder.select(SupportOrder.id, SupportOrder.due_fen).order_by(
        SupportOrder.account, SupportOrder.kind
    )
    state.order_ids = [row["id"] for row in orders]
    checkouts = [gateway.checkout_url(row["id"], row["due_fen"]) for row in orders]
    # The sandbox callback's fields are what the gateway sends for a real order.
    for row in orders:
        payload, _signature = gateway.notification(row["id"], row["due_fen"])
        callback = Form()
        for name, value in payload.items():
            callback.add(name, value)
        state.learn("POST", "/payments/sandbox/notify", callback, None)
    # Every page of the app without parameters, every order's pages, and the gateway's checkout links.
    seeds = [slot.route for slot in state.slots if slot.method == "GET" and not slot.params]
    for slot in state.slots:
        if slot.method == "GET" and [name for name, _kind in slot.params] == ["order_id"]:
            seeds += [re.sub(r"\{order_id(:\w+)?\}", order_id, slot.route) for order_id in state.order_ids]
    for login, actor in state.actors.items():
        if login == "forged":  # a forged session sees what a signed-out visitor sees
            continue
        if login == DEMO_OPERATOR:  # the operator's pages (they link to the partners, orders and coupons)
            await state.crawl(actor, [url for url in seeds if url.startswith("/ops")])
        elif login is None:
            await state.crawl(actor, [*seeds, *checkouts])
        else:  # a partner's /ops answers are the sign-in redirect that the signed-out crawl has seen
            await state.crawl(actor, [*checkouts, *(url for url in seeds if not url.startswith("/ops"))])
    loggers = [logging.getLogger(name) for name in ("", "console", "litestar")]
    for logger in loggers:
        logger.addHandler(state.log)
    try:
        yield state
    finally:
        client_log.setLevel(level)
        for logger in loggers:
            logger.removeHandler(state.log)


def summary(value: str | bytes, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"…({len(value)} chars)"


def pairs_text(pairs: Iterable[tuple[str, str | bytes]]) -> str:
    return "[" + ", ".join(f"{summary(name, 30)}: {summary(value)}" for name, value in pairs) + "]"


def statistics(world: World) -> str:
    by_route: dict[tuple[str, str], Counter[int]] = {}
    for (method, route, status), count in world.statuses.items():
        by_route.setdefault((method, route), Counter())[status] += count
    return "\n".join(
        f"{method:>7} {route:<50} " + " ".join(f"{status}×{n}" for status, n in sorted(counts.items()))
        for (method, route), counts in sorted(by_route.items(), key=lambda item: (item[0][1], item[0][0]))
    )


def report(failures: list[Failure]) -> str:
    """Every failing request, grouped by route, method and problem (the first example of each in full)."""
    groups: dict[tuple[str, str, str, str], list[Failure]] = {}
    for failure in failures:
        lines = [line for line in failure.detail.splitlines() if line.strip()]
        last = next((line for line in reversed(lines) if not line.startswith(" ")), "")
        groups.setdefault((failure.drawn.method, failure.slot.route, failure.problem, last[:160]), []).append(failure)
    out = [f"{len(failures)} failing requests in {len(groups)} groups"]
    for (method, route, problem, last), group in sorted(groups.items()):
        first = group[0]
        d = first.drawn
        out.append(
            f"\n=== {method} {route}: {problem} × {len(group)} ({last})\n"
            f"  actor={d.actor} url={summary(first.url, 200)} encoding={d.encoding} csrf={d.csrf} signed={d.signed} "
            f"from_page={d.from_page}\n"
            f"  fields={pairs_text(d.fields)}\n"
            f"  headers={pairs_text(d.headers)} cookies={pairs_text(d.cookies)}\n"
            + "\n".join("  | " + line for line in first.detail.splitlines()[-40:])
        )
    return "\n".join(out)


def fuzz_route(world: World, slot: Slot) -> Any:
    """One hypothesis run for one route and method; it records failures in the world instead of raising."""

    # A fixed seed per route and method: every run draws the same examples, and no two routes draw alike.
    @seed(zlib.crc32(f"{slot.method} {slot.route}".encode()))
    @hypothesis_settings(
        max_examples=EXAMPLES.get(slot.method, 1),
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(drawn=requests_for(world, slot))
    def fuzz(drawn: Drawn) -> None:
        world.loop.run_until_complete(world.reset())
        world.loop.run_until_complete(world.send(slot, drawn))

    return fuzz


def test_every_route_answers_below_500_and_a_4xx_writes_nothing(world):
    missing_forms = {
        (slot.method, slot.route)
        for slot in world.slots
        if slot.method == "POST" and (slot.method, slot.route) not in world.forms_found
    }
    assert not missing_forms, f"no page has a form for {sorted(missing_forms)}: the fuzz would not know its fields"

    world.baseline = world.loop.run_until_complete(snapshot(ALL_TABLES))
    world.known = world.baseline
    for slot in world.slots:
        fuzz_route(world, slot)()

    print(statistics(world))  # shown with -s: what each route answered
    unsent = [(slot.method, slot.route) for slot in world.slots if not world.sent[(slot.method, slot.route)]]
    assert not unsent, f"routes never fuzzed: {unsent}"
    if world.failures:
        pytest.fail(report(world.failures), pytrace=False)
