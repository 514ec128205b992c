"""Reliability benchmark (issue 11): races, kill -9 and a fuzz against a live console. Prints every figure.

    .venv/bin/python bench/reliability.py                                   # SQLite, one process
    .venv/bin/python bench/reliability.py --postgres URL --workers 4        # PostgreSQL, 4 uvicorn workers
    .venv/bin/python bench/reliability.py --quick                           # smaller: 50-way, 10 kills, 1,000 fuzz

The console runs as `partner-console serve` in its own process group (tests/e2e/server.py: migrate, demo data,
CONSOLE_DEMO=1 so the sandbox gateway is on). With --postgres, a fresh database is created on that server for the
run (and dropped at the end unless --keep). The benchmark drives it over HTTP only, each client with its own
signed-in session and CSRF token as a browser would; it reads the database directly (read-only) for the codes it
was "sent" and for the figures.

1. Races (--ways, 200 by default): one balance payment confirmed N× at once; N wrong codes at once at one code;
   N code requests for one order at once; N wrong passwords at once for one login; downgrade against unsubscribe
   of one Premium period (N/2 of each); two gateway captures of one order (N/2 deliveries of each), and captures
   racing a balance payment of the same order.
2. A kill -9 loop (--kills, 30): start the server, run concurrent payment / refund / renewal flows (--flows, 20),
   SIGKILL the server's process group at a random moment of the burst, restart; then the money invariants.
3. A fuzz (--fuzz, 10,000 requests): GET / POST / HEAD (and a few other methods) to every route of the app with
   generated values, on signed-in sessions with CSRF tokens; the count per status class and every 5xx.

Exit status: 0 when every figure holds (no 5xx, limits held, no invariant broken), 1 otherwise. When one fails,
the requests and the server's log lines (its stderr) are printed."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html.parser
import json
import os
import random
import re
import secrets
import signal
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from server import ConsoleServer  # noqa: E402

SECRET_KEY = "reliability-bench-secret-key-0123456789"  # the server's CONSOLE_SECRET_KEY (signs the sandbox too)
PASSWORD = "bench-pass-2026"
DEMO_PASSWORD = "demo-pass-2026"
TOP_UP_YUAN = "10000000"
CODE_SUBJECT = "身份验证码"
CODE_IN_BODY = re.compile(r"验证码\s*(\d{6})")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
MONEY = re.compile(r"¥\s*(-?[\d,]+\.\d{2})")


def yuan(fen: int | None) -> str:
    return "?" if fen is None else f"¥{fen / 100:,.2f}"


def say(text: str = "") -> None:
    print(text, flush=True)


# --------------------------------------------------------------------------------------------- the database


class Database:
    """The server's database, read directly (never written): an SQLite file or a PostgreSQL URL.
    SQL is written with `?` placeholders; for PostgreSQL they become $1, $2, …"""

    def __init__(self, url: str) -> None:
        self.url = url
        self.postgres = url.startswith(("postgres://", "postgresql://"))
        self._pg: Any = None
        self._lock = asyncio.Lock()

    async def rows(self, sql: str, *args: object) -> list[dict[str, Any]]:
        if self.postgres:
            async with self._lock:
                if self._pg is None or self._pg.is_closed():
                    import asyncpg

                    self._pg = await asyncpg.connect(self.url)
                numbered = iter(range(1, 1000))
                pg_sql = re.sub(r"\?", lambda _: f"${next(numbered)}", sql)
                return [dict(r) for r in await self._pg.fetch(pg_sql, *args)]
        return await asyncio.to_thread(self._sqlite_rows, sql, args)

    def _sqlite_rows(self, sql: str, args: tuple[object, ...]) -> list[dict[str, Any]]:
        path = self.url.removeprefix("sqlite:///")
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60)
        try:
            connection.row_factory = sqlite3.Row
            return [dict(r) for r in connection.execute(sql, args).fetchall()]
        finally:
            connection.close()

    async def one(self, sql: str, *args: object) -> dict[str, Any] | None:
        found = await self.rows(sql, *args)
        return found[0] if found else None

    async def value(self, sql: str, *args: object) -> Any:
        row = await self.one(sql, *args)
        return None if row is None else next(iter(row.values()))

    async def close(self) -> None:
        if self._pg is not None:
            await self._pg.close()
            self._pg = None


async def fresh_postgres_database(url: str) -> tuple[str, Callable[[], Awaitable[None]]]:
    """A new empty database on the server of URL, and how to drop it."""
    import asyncpg

    name = f"reliability_{os.getpid()}_{secrets.token_hex(3)}"
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    parts = urlsplit(url)
    fresh = urlunsplit(parts._replace(path="/" + name))

    async def drop() -> None:
        admin = await asyncpg.connect(url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()

    return fresh, drop


# ------------------------------------------------------------------------------------------------ the browser


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    radios: dict[str, list[str]] = field(default_factory=dict)
    checked: dict[str, str] = field(default_factory=dict)
    checkboxes: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)

    def data(self, values: dict[str, str | None], button: str | None = None) -> list[tuple[str, str]]:
        """What a browser posts: hidden and text fields, the checked (or first) radio, every checkbox ticked,
        then `values` over them (None drops a field); `button` names the submit button's value."""
        out: dict[str, str] = {}
        for name, value in self.fields:
            out.setdefault(name, value)
        for name, options in self.radios.items():
            out[name] = self.checked.get(name, options[0])
        out.update(self.checkboxes)
        for name, value in self.buttons:
            if button is not None and value == button:
                out[name] = value
        for name, given in values.items():
            if given is None:
                out.pop(name, None)
            else:
                out[name] = given
        return list(out.items())


class _FormParser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._text: tuple[str, list[str]] | None = None  # a textarea's name and content
        self._select: tuple[str, list[str], list[str]] | None = None  # name, option values, selected values

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(action=a.get("action", ""), method=(a.get("method") or "get").lower())
            self.forms.append(self._form)
            return
        form = self._form
        if form is None or "disabled" in a:
            return
        name = a.get("name", "")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image"):
                form.buttons.append((name, a.get("value", "")))
            elif kind == "radio":
                form.radios.setdefault(name, []).append(a.get("value", "on"))
                if "checked" in a:
                    form.checked[name] = a.get("value", "on")
            elif kind == "checkbox":
                form.checkboxes[name] = a.get("value", "on")
            else:
                form.fields.append((name, a.get("value", "")))
        elif tag == "button" and name:
            form.buttons.append((name, a.get("value", "")))
        elif tag == "textarea" and name:
            self._text = (name, [])
        elif tag == "select" and name:
            self._select = (name, [], [])
        elif tag == "option" and self._select is not None:
            self._select[1].append(a.get("value", ""))
            if "selected" in a:
                self._select[2].append(a.get("value", ""))

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._text is not None and self._form is not None:
            self._form.fields.append((self._text[0], "".join(self._text[1])))
            self._text = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, options, selected = self._select
            if options:
                self._form.fields.append((name, (selected or options)[0]))
            self._select = None


def forms_of(text: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(text)
    return parser.forms


def shown_amount(text: str, label: str) -> int | None:
    """The amount (fen) a summary list shows next to LABEL (`<dt>LABEL</dt><dd>¥…</dd>`)."""
    match = re.search(re.escape(f"<dt>{label}</dt>") + r"\s*<dd>(.*?)</dd>", text, re.S)
    if not match:
        return None
    money = MONEY.search(match.group(1))
    return None if money is None else int(money.group(1).replace(",", "").replace(".", ""))


@dataclass
class Sample:
    """One request worth showing: a 5xx, or an answer that did not come."""

    method: str
    path: str
    body: str
    status: int | str
    answer: str = ""

    def __str__(self) -> str:
        text = f"{self.method} {self.path} → {self.status}"
        if self.body:
            text += f"\n      body: {self.body}"
        if self.answer:
            text += f"\n      answer: {self.answer}"
        return text


def _shorten(value: object, limit: int = 240) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} chars)"


class Tally:
    """Every answer of one part of the benchmark: statuses, the 5xx (kept for the report), the lost answers."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.statuses: Counter[int] = Counter()
        self.server_errors: list[Sample] = []
        self.no_answer: Counter[str] = Counter()
        self.unanswered: list[Sample] = []

    @property
    def count_5xx(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def classes(self) -> dict[str, int]:
        out: Counter[str] = Counter()
        for status, n in self.statuses.items():
            out[f"{status // 100}xx"] += n
        return dict(sorted(out.items()))

    async def on_response(self, response: httpx.Response) -> None:
        self.statuses[response.status_code] += 1
        if response.status_code >= 500:
            await response.aread()
            request = response.request
            try:
                body = request.content.decode(errors="replace")
            except httpx.RequestNotRead:
                body = "(streamed body)"
            self.server_errors.append(
                Sample(
                    request.method,
                    request.url.raw_path.decode(errors="replace"),
                    _shorten(body),
                    response.status_code,
                    _shorten(_page_text(response.text), 300),
                )
            )


def condensed(lines: list[str]) -> list[str]:
    """A server log, shortened: each traceback to its log line, its innermost frame of the console's own code
    and the exception; repeated records counted."""
    records: list[str] = []
    frame = ""
    in_traceback = False
    for line in lines:
        if line.startswith("Traceback"):
            in_traceback, frame = True, ""
            continue
        if in_traceback and line.startswith(" "):
            own = re.match(r'\s+File "(?:.*/)?((?:web|models)/[^"]+)", line (\d+), in (\S+)', line)
            if own and ".venv" not in line:
                frame = f"{own.group(1)}:{own.group(2)} in {own.group(3)}"
            continue
        if in_traceback and not line.startswith(" "):
            in_traceback = False
            if records and not line.startswith(("ERROR", "WARNING", "INFO", "CRITICAL")):
                records[-1] += f" — {line.strip()}" + (f" (at {frame})" if frame else "")
                continue
        records.append(line.strip())
    counted: list[str] = []
    seen: Counter[str] = Counter()
    for record in records:
        key = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ - ", "", record)
        key = re.sub(r"/orders/CS\d+", "/orders/{id}", key)
        if not seen[key]:
            counted.append(key)
        seen[key] += 1
    return [f"{seen[key]}× {key}" if seen[key] > 1 else key for key in counted]


def _log_rank(record: str) -> tuple[int, int]:
    """Errors first, then the most repeated records."""
    count = re.match(r"(\d+)× ", record)
    severe = re.search(r"\b(ERROR|CRITICAL)\b|Traceback|Exception", record) is not None
    return (0 if severe else 1, -int(count.group(1)) if count else -1)


def _page_text(text: str) -> str:
    """A page's main text, for a short report of what it said."""
    main = re.search(r"<main.*?</main>", text, re.S)
    plain = re.sub(r"<[^>]+>", " ", main.group(0) if main else text)
    return " ".join(plain.split())


class Browser:
    """One browser: its own cookies (session, CSRF), one connection kept alive."""

    def __init__(self, url: str, tally: Tally, timeout: float = 120.0) -> None:
        self.tally = tally
        self.client = httpx.AsyncClient(
            base_url=url,
            timeout=timeout,
            trust_env=False,
            follow_redirects=False,
            event_hooks={"response": [self._hook]},
            # Idle connections are dropped before uvicorn's 5 s keep-alive closes them, so no request is sent on a
            # connection the server is closing at that moment (that would read as a lost answer).
            limits=httpx.Limits(max_connections=256, max_keepalive_connections=16, keepalive_expiry=2.0),
        )
        self.login: str | None = None
        self.token: str | None = None

    async def _hook(self, response: httpx.Response) -> None:
        await self.tally.on_response(response)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        response = await self.client.get(path, **kwargs)
        self._remember_token(response)
        return response

    async def post(self, path: str, data: Iterable[tuple[str, str]] | dict[str, str], **kwargs: Any) -> httpx.Response:
        items = list(data.items()) if isinstance(data, dict) else list(data)
        return await self.client.post(path, content=urlencode(items).encode(), headers=FORM, **kwargs)

    def _remember_token(self, response: httpx.Response) -> None:
        if "text/html" in response.headers.get("content-type", ""):
            match = re.search(r'name="_csrf_token" value="([^"]+)"', response.text)
            if match:
                self.token = match.group(1)

    async def submit(
        self,
        page: httpx.Response,
        action: str,
        values: dict[str, str | None] | None = None,
        *,
        button: str | None = None,
    ) -> httpx.Response:
        """Posts the form of PAGE whose action is ACTION, as a browser would (the page's CSRF token with it)."""
        for form in forms_of(page.text):
            if form.action == action:
                return await self.post(form.action, form.data(values or {}, button))
        raise FlowError(f"no form {action} on {page.request.url.path} ({page.status_code})")

    async def sign_in(self, login: str, password: str = PASSWORD) -> None:
        for attempt in range(40):
            page = await self.get("/login")
            answer = await self.submit(page, "/login", {"login": login, "password": password})
            if answer.status_code == 303:
                self.login = login
                return
            if answer.status_code == 429:  # throttled by concurrent sign-ins of the same login: wait
                await asyncio.sleep(1 + attempt * 0.2)
                continue
            raise FlowError(f"sign-in of {login} answered {answer.status_code}")
        raise FlowError(f"sign-in of {login} kept being throttled")

    async def aclose(self) -> None:
        await self.client.aclose()


class FlowError(Exception):
    """A flow could not go on (an answer it did not expect)."""


def checkout_amount(response: httpx.Response) -> int:
    """The amount of a redirect to the sandbox payment site (…?amount_fen=N&token=…)."""
    match = re.search(r"amount_fen=(\d+)", response.headers.get("location", ""))
    if match is None:
        raise FlowError(f"no amount in the checkout link {response.headers.get('location', '')}")
    return int(match.group(1))


def order_of(response: httpx.Response) -> str:
    """The order id of a redirect to /orders/{id}/…"""
    location = response.headers.get("location", "")
    match = re.match(r"/orders/([^/?]+)", location)
    if response.status_code != 303 or not match:
        raise FlowError(f"expected a redirect to an order, got {refusal(response)} {location}".strip())
    return match.group(1)


# ------------------------------------------------------------------------------------------------- the bench


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


class Bench:
    def __init__(self, args: argparse.Namespace, server: ConsoleServer, db: Database) -> None:
        self.args = args
        self.server = server
        self.db = db
        self.checks: list[Check] = []
        self.rng = random.Random(args.seed)
        self._log_offset = 0
        self._checks_at_mark = 0
        self.created: set[str] = set()

    # --- results -------------------------------------------------------------------------------------------------

    def check(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(Check(name, ok, detail))
        say(f"  {'ok  ' if ok else 'FAIL'} {name}: {detail}")
        return ok

    def mark_log(self) -> None:
        self._checks_at_mark = len(self.checks)
        try:
            self._log_offset = self.server.stderr_path.stat().st_size
        except FileNotFoundError:
            self._log_offset = 0

    def new_log_lines(self) -> list[str]:
        try:
            with open(self.server.stderr_path, "rb") as err:
                err.seek(self._log_offset)
                text = err.read().decode(errors="replace")
        except FileNotFoundError:
            return []
        return [line for line in text.splitlines() if line.strip() and not line.startswith("=====")]

    def log_digest(self) -> None:
        """What the server wrote on stderr during the part: all of it (shortened) when a figure failed, else the
        most frequent records."""
        lines = condensed(self.new_log_lines())
        failed = any(not c.ok for c in self.checks[self._checks_at_mark :])
        limit = 60 if failed else 10
        if not lines:
            say("  server stderr during this part: nothing")
            return
        if not failed:
            lines = sorted(lines, key=_log_rank)
        say(
            f"  server stderr during this part: {len(lines)} distinct records (tracebacks shortened), first {min(limit, len(lines))}:"
        )
        for line in lines[:limit]:
            say(f"    | {_shorten(line, 400)}")

    def report_failure(self, tally: Tally, limit: int = 8) -> None:
        """The first 5xx requests of a part, and the requests that got no answer (the log follows the part)."""
        for sample in tally.server_errors[:limit]:
            say(f"    5xx: {sample}")
        for sample in tally.unanswered[:limit]:
            say(f"    no answer: {sample}")
        if len(tally.server_errors) > limit:
            say(f"    … and {len(tally.server_errors) - limit} more 5xx")

    # --- setup -------------------------------------------------------------------------------------------------

    async def create_partners(self, logins: list[str]) -> None:
        """Main accounts of certified partners with a phone, an e-mail and ¥10,000,000 on the balance (CLI)."""
        gate = asyncio.Semaphore(3)

        async def one(login: str) -> None:
            async with gate:
                await asyncio.to_thread(
                    self.server.cli,
                    "account",
                    "create-partner",
                    login,
                    "--password",
                    PASSWORD,
                    "--company",
                    f"可靠性测试 {login}",
                    "--certified",
                    "--phone",
                    "13800138000",
                    "--email",
                    f"{login}@example.com",
                )
                await asyncio.to_thread(self.server.cli, "balance", "top-up", login, TOP_UP_YUAN)

        await asyncio.gather(*(one(login) for login in logins if login not in self.created))
        self.created.update(logins)

    async def browsers(self, tally: Tally, login: str, count: int, password: str = PASSWORD) -> list[Browser]:
        """COUNT browsers, each with its own session signed in as LOGIN (a few sign-ins at a time)."""
        gate = asyncio.Semaphore(4)
        made = [Browser(self.server.url, tally) for _ in range(count)]

        async def one(browser: Browser) -> None:
            async with gate:
                await browser.sign_in(login, password)

        await asyncio.gather(*(one(b) for b in made))
        return made

    async def account(self, login: str) -> dict[str, Any]:
        row = await self.db.one("SELECT id, partner, balance_fen FROM account WHERE login = ?", login)
        if row is None:
            raise FlowError(f"no account {login}")
        return row

    async def code_for(self, login: str, order_id: str) -> str:
        """The newest verification code sent to LOGIN for ORDER_ID, read from the outbox."""
        account = await self.account(login)
        for _ in range(50):
            row = await self.db.one(
                "SELECT body FROM outbox WHERE account = ? AND subject = ? AND body LIKE ? ORDER BY id DESC LIMIT 1",
                account["id"],
                CODE_SUBJECT,
                f"%{order_id}%",
            )
            match = CODE_IN_BODY.search(row["body"]) if row else None
            if match:
                return match.group(1)
            await asyncio.sleep(0.1)
        raise FlowError(f"no code for {login} / {order_id} in the outbox")

    async def place_purchase(self, browser: Browser, level: str = "premium", months: int = 1) -> str:
        page = await browser.get(f"/plan/change/spec?level={level}&months={months}")
        if page.status_code != 200:
            raise FlowError(f"purchase spec page answered {page.status_code} {page.headers.get('location', '')}")
        return order_of(await browser.submit(page, "/plan/change/spec", {"agree": "yes"}))

    async def choose(self, browser: Browser, order_id: str, method: str) -> httpx.Response:
        page = await browser.get(f"/orders/{order_id}/pay")
        if page.status_code != 200:
            raise FlowError(f"pay page of {order_id} answered {page.status_code}")
        answer = await browser.submit(page, f"/orders/{order_id}/pay", {"method": method})
        if answer.status_code != 303:
            raise FlowError(f"choosing {method} for {order_id} answered {answer.status_code}")
        return answer

    async def send_code(self, browser: Browser, order_id: str) -> httpx.Response:
        page = await browser.get(f"/orders/{order_id}/verify")
        if page.status_code != 200:
            raise FlowError(f"verify page of {order_id} answered {page.status_code}")
        return await browser.submit(page, f"/orders/{order_id}/verify/send", {"channel": "phone"})

    async def pay_by_balance(self, browser: Browser, order_id: str) -> httpx.Response:
        await self.choose(browser, order_id, "balance")
        sent = await self.send_code(browser, order_id)
        if sent.status_code != 200:
            raise FlowError(f"code request for {order_id} answered {sent.status_code}")
        assert browser.login is not None
        code = await self.code_for(browser.login, order_id)
        return await browser.submit(sent, f"/orders/{order_id}/verify", {"code": code})

    def gateway(self) -> Any:
        from models.services.gateway import SandboxGateway
        from web.settings import Settings

        return SandboxGateway(Settings(secret_key=SECRET_KEY).secret_bytes)

    async def notify(self, client: httpx.AsyncClient, payload: dict[str, str], signature: str) -> httpx.Response:
        return await client.post("/payments/sandbox/notify", data=payload, headers={"X-Signature": signature})

    # ============================================================================================ 1. races

    async def races(self) -> None:
        ways = self.args.ways
        say(f"== 1. races, {ways}-way ==")
        self.mark_log()
        tally = Tally("races")
        buyer, login_target, capturer = "rel-race", "rel-login", "rel-capture"
        await self.create_partners([buyer, login_target, capturer])
        started = time.perf_counter()
        sessions = await self.browsers(tally, buyer, min(ways, self.args.sessions or ways))
        tabs = [sessions[i % len(sessions)] for i in range(ways)]  # fewer sessions: several tabs share one
        say(f"  ({len(sessions)} sessions of {buyer} signed in in {time.perf_counter() - started:.1f} s)")
        first = tabs[0]
        # Three pending Premium purchases of one company: C for the code requests, B for the wrong codes, A to pay.
        order_a = await self.place_purchase(first)
        order_b = await self.place_purchase(first)
        order_c = await self.place_purchase(first)
        races: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            ("code requests", lambda: self.race_code_requests(tally, tabs, order_c)),
            ("wrong codes", lambda: self.race_wrong_codes(tally, tabs, order_b)),
            ("payment", lambda: self.race_payment(tally, tabs, order_a)),
            ("downgrade vs unsubscribe", lambda: self.race_refunds(tally, tabs)),
            ("wrong passwords", lambda: self.race_wrong_passwords(tally, login_target)),
            ("captures", lambda: self.race_captures(tally, capturer)),
        ]
        ran = True
        try:
            for name, race in races:
                try:
                    await race()
                except (FlowError, httpx.HTTPError) as exc:  # the next race does not depend on this one's end
                    ran = self.check(f"race {name}: ran to the end", False, f"{type(exc).__name__}: {exc}") and ran
        finally:
            await asyncio.gather(*(t.aclose() for t in sessions))
        ok = self.check("races: 5xx", tally.count_5xx == 0, f"{tally.count_5xx} of {sum(tally.statuses.values())}")
        violations = await self.invariants("after the races")
        if not (ok and ran) or violations:
            self.report_failure(tally)

    async def _tokens(self, tabs: list[Browser], path: str) -> list[httpx.Response]:
        """Every tab loads PATH (its form and CSRF token), a few at a time."""
        gate = asyncio.Semaphore(16)

        async def one(tab: Browser) -> httpx.Response:
            async with gate:
                return await tab.get(path)

        return list(await asyncio.gather(*(one(t) for t in tabs)))

    async def race_code_requests(self, tally: Tally, tabs: list[Browser], order_id: str) -> None:
        before = tally.count_5xx
        await self.choose(tabs[0], order_id, "balance")
        pages = await self._tokens(tabs, f"/orders/{order_id}/verify")
        answers = await asyncio.gather(
            *(
                t.submit(p, f"/orders/{order_id}/verify/send", {"channel": "phone"})
                for t, p in zip(tabs, pages, strict=True)
            )
        )
        statuses = Counter(a.status_code for a in answers)
        sent = await self.db.value("SELECT COUNT(*) FROM verification_code WHERE order_id = ?", order_id)
        self.check(
            f"{len(tabs)} code requests for one order at once",
            sent == 1 and tally.count_5xx == before,
            f"codes sent {sent} (must be 1; at most 5 an hour), 5xx {tally.count_5xx - before}, "
            f"statuses {dict(sorted(statuses.items()))}",
        )

    async def race_wrong_codes(self, tally: Tally, tabs: list[Browser], order_id: str) -> None:
        before = tally.count_5xx
        await self.choose(tabs[0], order_id, "balance")
        sent = await self.send_code(tabs[0], order_id)
        if sent.status_code != 200:
            raise FlowError(f"code request answered {sent.status_code}")
        right = await self.code_for(buyer_of(tabs), order_id)
        wrong = [f"{(int(right) + 1 + i) % 1_000_000:06d}" for i in range(len(tabs))]
        pages = await self._tokens(tabs, f"/orders/{order_id}/verify")
        answers = await asyncio.gather(
            *(
                t.submit(p, f"/orders/{order_id}/verify", {"code": w})
                for t, p, w in zip(tabs, pages, wrong, strict=True)
            )
        )
        statuses = Counter(a.status_code for a in answers)
        codes = await self.db.rows(
            "SELECT id, attempts FROM verification_code WHERE order_id = ? ORDER BY id", order_id
        )
        checked = max((c["attempts"] for c in codes), default=0)
        page = await tabs[0].get(f"/orders/{order_id}/verify")
        late = (
            await tabs[0].submit(page, f"/orders/{order_id}/verify", {"code": right})
            if page.status_code == 200
            else page
        )
        status = await self.db.value("SELECT status FROM support_order WHERE id = ?", order_id)
        paid = status == "paid"
        self.check(
            f"{len(tabs)} wrong codes at once at one code",
            checked <= 5 and not paid and tally.count_5xx == before,
            f"checked {checked} (attempts; must be ≤ 5), 5xx {tally.count_5xx - before}, "
            f"statuses {dict(sorted(statuses.items()))}; the right code afterwards: "
            f"{'PAID the order' if paid else 'refused'} ({late.status_code}, order {status})",
        )

    async def race_payment(self, tally: Tally, tabs: list[Browser], order_id: str) -> None:
        before = tally.count_5xx
        await self.choose(tabs[0], order_id, "balance")
        sent = await self.send_code(tabs[0], order_id)
        if sent.status_code != 200:
            raise FlowError(f"code request answered {sent.status_code}")
        code = await self.code_for(buyer_of(tabs), order_id)
        pages = await self._tokens(tabs, f"/orders/{order_id}/verify")
        answers = await asyncio.gather(
            *(t.submit(p, f"/orders/{order_id}/verify", {"code": code}) for t, p in zip(tabs, pages, strict=True))
        )
        statuses = Counter(a.status_code for a in answers)
        charges = await self.db.value("SELECT COUNT(*) FROM charge WHERE order_id = ?", order_id)
        debits = await self.db.value(
            "SELECT COUNT(*) FROM ledger_entry WHERE order_id = ? AND kind = 'charge'", order_id
        )
        self.check(
            f"one balance payment confirmed {len(tabs)}× at once",
            charges == 1 and debits == 1 and tally.count_5xx == before,
            f"5xx {tally.count_5xx - before}, charges for the order {charges} (must be 1), balance debits {debits}, "
            f"statuses {dict(sorted(statuses.items()))}",
        )

    async def race_refunds(self, tally: Tally, tabs: list[Browser]) -> None:
        """Half the tabs downgrade the Premium period, half unsubscribe it, all at once."""
        before = tally.count_5xx
        login = buyer_of(tabs)
        account = await self.account(login)
        half = len(tabs) // 2
        down_tabs, unsub_tabs = tabs[:half], tabs[half:]
        down_pages = await self._tokens(down_tabs, "/plan/change/downgrade/spec")
        unsub_pages = await self._tokens(unsub_tabs, "/plan/unsubscribe")
        bad = [p.status_code for p in down_pages + unsub_pages if p.status_code != 200]
        if bad:
            raise FlowError(f"refund pages answered {Counter(bad)}")
        jobs: list[tuple[str, int | None, Awaitable[httpx.Response]]] = []
        for tab, page in zip(down_tabs, down_pages, strict=True):
            shown = shown_amount(page.text, "退费金额")
            jobs.append(("downgrade", shown, tab.submit(page, "/plan/change/downgrade/spec", {"agree": "yes"})))
        for tab, page in zip(unsub_tabs, unsub_pages, strict=True):
            form = next(f for f in forms_of(page.text) if f.action == "/plan/unsubscribe")
            shown = int(dict(form.fields)["refund_fen"])
            jobs.append(("unsubscribe", shown, tab.submit(page, "/plan/unsubscribe", {"confirm": "yes"})))
        self.rng.shuffle(jobs)
        balance_before = (await self.account(login))["balance_fen"]
        answers = await asyncio.gather(*(job for _, _, job in jobs))
        balance_after = (await self.account(login))["balance_fen"]
        statuses = Counter(a.status_code for a in answers)
        refunds: dict[str, tuple[str, int]] = {}  # result page → (kind, amount paid)
        confirmed, mismatches = 0, []
        for (kind, shown, _), answer in zip(jobs, answers, strict=True):
            location = answer.headers.get("location", "")
            if answer.status_code != 303:
                continue
            confirmed += 1  # a replayed confirmation answers the same result page
            if location not in refunds:
                if kind == "downgrade":
                    paid = await self.db.value(
                        "SELECT COALESCE(SUM(amount_fen), 0) FROM ledger_entry WHERE order_id = ? AND kind = 'refund'",
                        location.split("/")[4],
                    )
                else:
                    paid = await self.db.value(
                        "SELECT refund_fen FROM unsubscription WHERE id = ? AND account = ?",
                        int(location.rsplit("/", 1)[1]),
                        account["id"],
                    )
                refunds[location] = (kind, int(paid if paid is not None else -1))
            if refunds[location][1] != shown:
                mismatches.append(f"{kind} page showed {yuan(shown)}, {location} paid {yuan(refunds[location][1])}")
        moved = balance_after - balance_before
        paid_total = sum(amount for _, amount in refunds.values())
        self.check(
            f"downgrade vs unsubscribe of one period ({half} + {len(tabs) - half} at once)",
            not mismatches and len(refunds) == 1 and moved == paid_total and tally.count_5xx == before,
            f"5xx {tally.count_5xx - before}, refunds paid {len(refunds)} (must be 1: "
            f"{', '.join(f'{kind} {yuan(amount)}' for kind, amount in refunds.values()) or 'none'}; "
            f"{confirmed} confirmations answered with it), every refund = the amount shown on its page: "
            f"{'yes' if not mismatches else 'NO: ' + '; '.join(mismatches[:5])}, balance moved {yuan(moved)}, "
            f"statuses {dict(sorted(statuses.items()))}",
        )

    async def race_wrong_passwords(self, tally: Tally, login: str) -> None:
        before = tally.count_5xx
        ways = self.args.ways
        clients = [Browser(self.server.url, tally) for _ in range(ways)]
        try:
            pages = await self._tokens(clients, "/login")
            answers = await asyncio.gather(
                *(
                    c.submit(p, "/login", {"login": login, "password": f"wrong-{i}"})
                    for i, (c, p) in enumerate(zip(clients, pages, strict=True))
                )
            )
        finally:
            await asyncio.gather(*(c.aclose() for c in clients))
        statuses = Counter(a.status_code for a in answers)
        failures = await self.db.value("SELECT failures FROM login_attempt WHERE login = ?", login)
        self.check(
            f"{ways} wrong passwords at once for one login",
            tally.count_5xx == before and not any(a.status_code == 303 for a in answers),
            f"5xx {tally.count_5xx - before}, statuses {dict(sorted(statuses.items()))}, failures counted {failures}",
        )

    async def race_captures(self, tally: Tally, login: str) -> None:
        """Two gateway transactions for one online order, each delivered N/2 times at once; then two transactions
        racing a balance confirmation of another order."""
        before = tally.count_5xx
        gateway = self.gateway()
        browser = (await self.browsers(tally, login, 1))[0]
        client = httpx.AsyncClient(
            base_url=self.server.url,
            timeout=120,
            trust_env=False,
            event_hooks={"response": [tally.on_response]},
            limits=httpx.Limits(max_connections=256, keepalive_expiry=2.0),
        )
        try:
            # A: two captures for one online order.
            order_a = await self.place_purchase(browser, "standard")
            checkout = await self.choose(browser, order_a, "online")
            amount = checkout_amount(checkout)
            sent_a = [gateway.notification(order_a, amount) for _ in range(2)]
            half = max(1, self.args.ways // 2)
            deliveries = [n for n in sent_a for _ in range(half)]
            self.rng.shuffle(deliveries)
            answers = await asyncio.gather(*(self.notify(client, p, s) for p, s in deliveries))
            lost_a, rows_a, credited_a = await self.capture_figures(order_a, [p for p, _ in sent_a])
            statuses = Counter(a.status_code for a in answers)
            kept_a = await self.kept(order_a, sent_a)
            self.check(
                f"two captures for one order ({half}× each at once)",
                rows_a == 2 and lost_a == 0 and credited_a == amount and kept_a == amount and tally.count_5xx == before,
                f"rows in gateway_transaction {rows_a} (must be 2), credited back ¥{credited_a / 100:,.2f} "
                f"(one capture: ¥{amount / 100:,.2f}), lost captures {lost_a} (must be 0), kept ¥{kept_a / 100:,.2f} "
                f"(must be the order's ¥{amount / 100:,.2f}), 5xx {tally.count_5xx - before}, "
                f"statuses {dict(sorted(statuses.items()))}",
            )
            # B: paid at the gateway, then by balance before the callback arrived (and a second transaction).
            before = tally.count_5xx
            order_b = await self.place_purchase(browser, "standard") if await self._is_basic(login) else None
            if order_b is None:  # A paid the plan: a second order of the same company is an upgrade
                order_b = await self.place_upgrade(browser)
            checkout = await self.choose(browser, order_b, "online")
            amount = checkout_amount(checkout)
            await self.choose(browser, order_b, "balance")
            sent = await self.send_code(browser, order_b)
            code = await self.code_for(login, order_b)
            sent_b = [gateway.notification(order_b, amount) for _ in range(2)]
            jobs: list[Awaitable[httpx.Response]] = [browser.submit(sent, f"/orders/{order_b}/verify", {"code": code})]
            jobs += [self.notify(client, p, s) for p, s in sent_b for _ in range(half)]
            self.rng.shuffle(jobs)
            answers = await asyncio.gather(*jobs)
            lost_b, rows_b, credited_b = await self.capture_figures(order_b, [p for p, _ in sent_b])
            kept_b = await self.kept(order_b, sent_b)
            self.check(
                "captures racing a balance payment of the same order",
                rows_b == 2 and lost_b == 0 and kept_b == amount and tally.count_5xx == before,
                f"rows in gateway_transaction {rows_b} (must be 2), credited back ¥{credited_b / 100:,.2f}, "
                f"lost captures {lost_b} (must be 0), kept ¥{kept_b / 100:,.2f} (must be the order's "
                f"¥{amount / 100:,.2f}), 5xx {tally.count_5xx - before}, "
                f"statuses {dict(sorted(Counter(a.status_code for a in answers).items()))}",
            )
        finally:
            await client.aclose()
            await browser.aclose()

    async def _is_basic(self, login: str) -> bool:
        account = await self.account(login)
        live = await self.db.value(
            "SELECT COUNT(*) FROM period p JOIN plan ON p.plan = plan.id WHERE plan.partner = ? AND p.status = 'active'",
            account["partner"],
        )
        return not live

    async def place_upgrade(self, browser: Browser) -> str:
        page = await browser.get("/plan/change/upgrade/spec")
        if page.status_code != 200:
            raise FlowError(f"upgrade spec page answered {page.status_code}")
        return order_of(await browser.submit(page, "/plan/change/upgrade/spec", {"agree": "yes"}))

    async def capture_figures(self, order_id: str, sent: list[dict[str, str]]) -> tuple[int, int, int]:
        """(lost captures, rows in gateway_transaction for the order, amount credited back)."""
        rows = await self.db.rows(
            "SELECT transaction_id, amount_fen, outcome FROM gateway_transaction WHERE order_id = ?", order_id
        )
        by_id = {r["transaction_id"]: r for r in rows}
        order = await self.db.one("SELECT status, method, payment_ref FROM support_order WHERE id = ?", order_id)
        lost = 0
        credited = 0
        for payload in sent:
            row = by_id.get(payload["transaction_id"])
            if row is None:
                lost += 1
            elif row["outcome"] == "applied":
                if not (order and order["status"] == "paid" and order["payment_ref"] == payload["transaction_id"]):
                    lost += 1
            else:
                back = await self.db.value(
                    "SELECT COALESCE(SUM(amount_fen), 0) FROM ledger_entry WHERE order_id = ? AND kind = 'refund' "
                    "AND note LIKE ?",
                    order_id,
                    f"%{payload['transaction_id']}%",
                )
                if back != row["amount_fen"]:
                    lost += 1
                credited += back
        return lost, len(rows), credited

    async def kept(self, order_id: str, sent: list[tuple[dict[str, str], str]]) -> int:
        """What the console kept of the money that came in for the order: captures + balance debits − credited."""
        captured = sum(int(p["amount_fen"]) for p, _ in sent)
        debited = -(
            await self.db.value(
                "SELECT COALESCE(SUM(amount_fen), 0) FROM ledger_entry WHERE order_id = ? AND kind = 'charge'",
                order_id,
            )
        )
        credited = await self.db.value(
            "SELECT COALESCE(SUM(amount_fen), 0) FROM ledger_entry WHERE order_id = ? AND kind = 'refund'", order_id
        )
        return int(captured + debited - credited)

    # ============================================================================================ 2. kill -9

    async def kill_loop(self) -> None:
        kills, flows = self.args.kills, self.args.flows
        say(f"== 2. kill -9 loop: {kills} kills, {flows} concurrent flows ==")
        self.mark_log()
        tally = Tally("kill")
        logins = [f"rel-kill-{i}" for i in range(max(1, min(flows, self.args.kill_partners)))]
        await self.create_partners(logins)
        done: Counter[str] = Counter()
        kills_done = 0
        started = time.perf_counter()
        tabs = [Browser(self.server.url, tally, timeout=60) for _ in range(flows)]
        try:
            self.server.start()
            await self.ensure_sessions(tabs, logins)
            # One burst without a kill: how long the flows take on this machine now; kills fall within that.
            # One burst without a kill: how many answers the flows take. Each kill then comes after a random number of
            # answers within that, so it lands inside the burst however slowly the workers start on this machine.
            warm, answered = time.perf_counter(), answers(tally)
            await asyncio.gather(*(self.one_flow(tab, done) for tab in tabs))
            burst = max(answers(tally) - answered, 2)
            say(f"  (a burst of {flows} flows: {burst} answers in {time.perf_counter() - warm:.1f} s)")
            for round_no in range(kills):
                if not self.server.running:
                    self.server.start()
                await self.ensure_sessions(tabs, logins)  # sessions live in the database: most survive a kill
                stop = asyncio.Event()
                runners = [asyncio.create_task(self.flow_loop(tab, stop, done)) for tab in tabs]
                kill_after, answered = self.rng.randint(1, burst), answers(tally)
                deadline = time.monotonic() + self.args.burst
                while answers(tally) - answered < kill_after and time.monotonic() < deadline:
                    await asyncio.sleep(0.005)
                self.kill9()
                kills_done += 1
                stop.set()
                await asyncio.gather(*runners)
                if round_no % 10 == 9:
                    say(f"  … {round_no + 1} kills, {time.perf_counter() - started:.0f} s")
            self.server.start()
        finally:
            await asyncio.gather(*(t.aclose() for t in tabs))
        finished = {k: n for k, n in sorted(done.items()) if " refused" not in k}
        refused = {k: n for k, n in sorted(done.items()) if " refused" in k}
        say(f"  flows finished: {finished}")
        say(f"  flows refused by the console (another flow of the same company got there first): {refused}")
        say(f"  answers: {dict(sorted(tally.statuses.items()))}, cut off by the kill: {dict(tally.no_answer)}")
        ok = self.check("kill -9 loop: kills done", kills_done >= kills, f"{kills_done}")
        ok = self.check("kill -9 loop: 5xx", tally.count_5xx == 0, f"{tally.count_5xx}") and ok
        violations = await self.invariants("after the kill -9 loop")
        if not ok or violations:
            self.report_failure(tally)

    async def ensure_sessions(self, tabs: list[Browser], logins: list[str]) -> None:
        """Every tab signed in (again, if its sign-in was cut off by a kill)."""
        gate = asyncio.Semaphore(4)

        async def one(index: int, tab: Browser) -> None:
            async with gate:
                if tab.login is not None:
                    page = await tab.get("/balance")
                    if page.status_code == 200:
                        return
                tab.client.cookies.clear()
                await tab.sign_in(logins[index % len(logins)])

        await asyncio.gather(*(one(i, t) for i, t in enumerate(tabs)))

    def kill9(self) -> None:
        """SIGKILL to the server's whole process group (the uvicorn supervisor and every worker), no warning."""
        proc = self.server.proc
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            if os.getpgid(proc.pid) == proc.pid:
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
        proc.wait(timeout=10)
        self.server.stop()  # forgets the process; the port is free again

    async def one_flow(self, tab: Browser, done: Counter[str]) -> None:
        """One payment, refund or renewal, chosen by what the company's plan allows now (its /plan page)."""
        plan = await tab.get("/plan")
        level = re.search(r"<dt>当前规格</dt><dd>(.*?)</dd>", plan.text)
        shown = level.group(1) if level else ""
        choices: list[tuple[str, Callable[[Browser], Awaitable[str]], int]]
        if "标准级" in shown:
            choices = [
                ("renewal", self.flow_renewal, 3),
                ("pack", self.flow_pack, 3),
                ("upgrade", self.flow_upgrade, 2),
                ("unsubscribe", self.flow_unsubscribe, 2),
            ]
        elif "尊享级" in shown:
            choices = [
                ("renewal", self.flow_renewal, 3),
                ("downgrade", self.flow_downgrade, 2),
                ("unsubscribe", self.flow_unsubscribe, 2),
            ]
        else:
            choices = [("purchase", self.flow_purchase, 1)]
        name, run, _ = self.rng.choices(choices, [c[2] for c in choices])[0]
        try:
            done[f"{name} {await run(tab)}"] += 1
        except FlowError as exc:
            done[f"{name} refused: {re.sub(r'CS[0-9A-Z]+|[0-9]{4,}', '…', str(exc))[:90]}"] += 1

    async def flow_loop(self, tab: Browser, stop: asyncio.Event, done: Counter[str]) -> None:
        """Flows one after another until the server dies under them."""
        while not stop.is_set():
            try:
                await self.one_flow(tab, done)
            except httpx.TransportError as exc:
                tab.tally.no_answer[type(exc).__name__] += 1
                if stop.is_set() or not self.server.running:
                    return
                await asyncio.sleep(0.05)

    async def _pay(self, tab: Browser, order_id: str) -> str:
        """Pays an order: mostly from the balance, sometimes online through the sandbox (some callbacks doubled)."""
        how = self.rng.random()
        if how < 0.7:
            answer = await self.pay_by_balance(tab, order_id)
            return "paid" if answer.status_code == 303 else refusal(answer)
        checkout = await self.choose(tab, order_id, "online")
        location = checkout.headers["location"]
        if how < 0.85:
            page = await tab.get(location)
            answer = await tab.submit(page, f"/payments/sandbox/{order_id}", button="pay")
            return "paid online" if answer.status_code == 303 else refusal(answer)
        gateway = self.gateway()
        notes = [gateway.notification(order_id, checkout_amount(checkout)) for _ in range(2)]
        answers = await asyncio.gather(
            *(tab.client.post("/payments/sandbox/notify", data=p, headers={"X-Signature": s}) for p, s in notes)
        )
        return "captured twice" if all(a.status_code == 200 for a in answers) else "capture refused"

    async def flow_purchase(self, tab: Browser) -> str:
        level = self.rng.choice(["standard", "premium"])
        order_id = await self.place_purchase(tab, level, self.rng.choice([1, 1, 3, 12]))
        return await self._pay(tab, order_id)

    async def flow_renewal(self, tab: Browser) -> str:
        page = await tab.get("/plan/renew")
        if page.status_code != 200:
            raise FlowError(f"renew page {page.status_code}")
        placed = await tab.submit(page, "/plan/renew", {"months": "1"}, button="pay")
        return await self._pay(tab, order_of(placed))

    async def flow_pack(self, tab: Browser) -> str:
        page = await tab.get("/plan/packs/confirm?count=1")
        if page.status_code != 200:
            raise FlowError(f"pack page {page.status_code}")
        placed = await tab.submit(page, "/plan/packs/confirm", {"agree": "yes"})
        return await self._pay(tab, order_of(placed))

    async def flow_unsubscribe(self, tab: Browser) -> str:
        page = await tab.get("/plan/unsubscribe")
        if page.status_code != 200 or 'action="/plan/unsubscribe"' not in page.text:
            raise FlowError(f"unsubscribe page {page.status_code}")
        answer = await tab.submit(page, "/plan/unsubscribe", {"confirm": "yes"})
        return "refunded" if answer.status_code == 303 else refusal(answer)

    async def flow_downgrade(self, tab: Browser) -> str:
        page = await tab.get("/plan/change/downgrade/spec")
        if page.status_code != 200:
            raise FlowError(f"downgrade page {page.status_code}")
        answer = await tab.submit(page, "/plan/change/downgrade/spec", {"agree": "yes"})
        return "refunded" if answer.status_code == 303 else refusal(answer)

    async def flow_upgrade(self, tab: Browser) -> str:
        return await self._pay(tab, await self.place_upgrade(tab))

    # ============================================================================================ invariants

    async def invariants(self, when: str) -> list[str]:
        """The money invariants, read from the database; prints them and returns the violations."""
        violations: list[str] = []
        db = self.db
        for row in await db.rows(
            "SELECT a.login, a.balance_fen, COALESCE(SUM(l.amount_fen), 0) AS ledger FROM account a "
            "LEFT JOIN ledger_entry l ON l.account = a.id GROUP BY a.id, a.login, a.balance_fen "
            "HAVING a.balance_fen <> COALESCE(SUM(l.amount_fen), 0) OR a.balance_fen < 0"
        ):
            violations.append(f"balance of {row['login']} is {row['balance_fen']}, its ledger sums to {row['ledger']}")
        # Every paid plan order has its charges (the cash of its periods), for the amount paid.
        for row in await db.rows(
            "SELECT o.id, o.kind, o.status, o.due_fen, COUNT(c.id) AS n, COALESCE(SUM(c.amount_fen), 0) AS total "
            "FROM support_order o LEFT JOIN charge c ON c.order_id = o.id "
            "WHERE o.status IN ('paid', 'refunded') AND o.kind IN ('purchase', 'upgrade', 'renewal') "
            "GROUP BY o.id, o.kind, o.status, o.due_fen HAVING COUNT(c.id) = 0 OR COALESCE(SUM(c.amount_fen), 0) <> o.due_fen"
        ):
            violations.append(
                f"{row['kind']} order {row['id']} ({row['status']}, due {row['due_fen']}) has {row['n']} charges "
                f"totalling {row['total']}"
            )
        # Charges only for paid orders.
        for row in await db.rows(
            "SELECT o.id, o.status, COUNT(c.id) AS n FROM support_order o JOIN charge c ON c.order_id = o.id "
            "WHERE o.status NOT IN ('paid', 'refunded') GROUP BY o.id, o.status"
        ):
            violations.append(f"order {row['id']} is {row['status']} but has {row['n']} charges")
        # At most one balance debit per order; exactly one for an order paid by balance; none for others.
        for row in await db.rows(
            "SELECT o.id, o.status, o.method, o.due_fen, COUNT(l.id) AS n, COALESCE(SUM(l.amount_fen), 0) AS total "
            "FROM support_order o LEFT JOIN ledger_entry l ON l.order_id = o.id AND l.kind = 'charge' "
            "GROUP BY o.id, o.status, o.method, o.due_fen"
        ):
            by_balance = row["status"] in ("paid", "refunded") and row["method"] in ("balance", "partner")
            if row["n"] > 1:
                violations.append(f"order {row['id']} has {row['n']} balance debits (total {row['total']})")
            elif by_balance and row["due_fen"] > 0 and (row["n"] != 1 or -row["total"] != row["due_fen"]):
                violations.append(
                    f"order {row['id']} paid by {row['method']} (due {row['due_fen']}) has debits {row['total']}"
                )
            elif not by_balance and row["n"]:
                violations.append(
                    f"order {row['id']} ({row['status']}, {row['method'] or 'no method'}) has a balance debit"
                )
        # Online orders: paid by exactly one applied gateway transaction of the amount due, named on the order.
        applied = await db.rows(
            "SELECT order_id, transaction_id, amount_fen FROM gateway_transaction WHERE outcome = 'applied'"
        )
        applied_by_order: dict[str, list[dict[str, Any]]] = {}
        for row in applied:
            applied_by_order.setdefault(row["order_id"], []).append(row)
        for row in await db.rows(
            "SELECT id, status, method, due_fen, payment_ref FROM support_order "
            "WHERE method = 'online' AND status IN ('paid', 'refunded')"
        ):
            found = applied_by_order.get(row["id"], [])
            if (
                len(found) != 1
                or found[0]["transaction_id"] != row["payment_ref"]
                or (found[0]["amount_fen"] != row["due_fen"])
            ):
                violations.append(f"online order {row['id']} ({row['status']}) has applied transactions {found}")
        for order_id, found in applied_by_order.items():
            status = await db.one("SELECT status, method FROM support_order WHERE id = ?", order_id)
            if len(found) > 1 or status is None or status["status"] not in ("paid", "refunded"):
                violations.append(f"applied gateway transactions {found} for order {order_id} ({status})")
        # Every credited capture is one refund entry of its amount; every such entry has its transaction row.
        credited = await db.rows(
            "SELECT transaction_id, order_id, amount_fen FROM gateway_transaction WHERE outcome = 'credited'"
        )
        credit_ids = {r["transaction_id"]: r for r in credited}
        gateway_refunds = await db.rows(
            "SELECT id, order_id, amount_fen, note FROM ledger_entry WHERE kind = 'refund' AND note LIKE ?",
            "在线支付交易 %",
        )
        seen: Counter[str] = Counter()
        for entry in gateway_refunds:
            match = re.match(r"在线支付交易 (\S+)", entry["note"])
            txn = credit_ids.get(match.group(1)) if match else None
            if txn is None or txn["amount_fen"] != entry["amount_fen"] or txn["order_id"] != entry["order_id"]:
                violations.append(f"money credited back without its gateway transaction row: ledger entry {entry}")
            else:
                seen[txn["transaction_id"]] += 1
        for txn_id, txn in credit_ids.items():
            if seen[txn_id] != 1:
                violations.append(f"credited gateway transaction {txn} has {seen[txn_id]} refund entries")
        # No order paid and its money credited back otherwise: a refund entry is a downgrade's, an unsubscribed
        # order's, or a credited capture's (above).
        for row in await db.rows(
            "SELECT l.id, l.order_id, l.amount_fen, l.note, o.status, o.kind FROM ledger_entry l "
            "JOIN support_order o ON o.id = l.order_id WHERE l.kind = 'refund' AND l.note NOT LIKE ?",
            "在线支付交易 %",
        ):
            explained = (row["kind"] == "downgrade" and row["note"] == "downgrade") or (
                row["note"] == "unsubscribe" and row["status"] == "refunded"
            )
            if not explained:
                violations.append(
                    f"order {row['order_id']} ({row['kind']}, {row['status']}) credited back {row['amount_fen']} "
                    f"({row['note']!r}) without a gateway transaction, a downgrade or an unsubscription"
                )
        counts = await db.one(
            "SELECT (SELECT COUNT(*) FROM account) AS accounts, (SELECT COUNT(*) FROM support_order) AS orders, "
            "(SELECT COUNT(*) FROM support_order WHERE status = 'paid') AS paid, "
            "(SELECT COUNT(*) FROM ledger_entry) AS ledger, (SELECT COUNT(*) FROM gateway_transaction) AS captures"
        )
        self.check(
            f"invariants {when}",
            not violations,
            f"{len(violations)} violations over {counts['accounts']} accounts, {counts['orders']} orders "
            f"({counts['paid']} paid), {counts['ledger']} ledger entries, {counts['captures']} gateway transactions"
            if counts
            else f"{len(violations)} violations",
        )
        for violation in violations[:20]:
            say(f"    violation: {violation}")
        return violations

    # ============================================================================================ 3. fuzz

    async def fuzz(self) -> None:
        total = self.args.fuzz
        say(f"== 3. fuzz: {total} requests ==")
        self.mark_log()
        tally = Tally("fuzz")
        fuzzer = Fuzzer(self, tally)
        await fuzzer.prepare()
        started = time.perf_counter()
        await fuzzer.run(total, workers=self.args.fuzz_workers)
        elapsed = time.perf_counter() - started
        say(
            f"  {sum(tally.statuses.values())} answers in {elapsed:.0f} s over {len(fuzzer.routes)} routes; "
            f"per status class {tally.classes()}; no answer {dict(tally.no_answer) or 0}; "
            f"signed in again {fuzzer.resigned}×, sent again on a new connection {fuzzer.retried}×"
        )
        say(f"  statuses {dict(sorted(tally.statuses.items()))}")
        missed = [r.path for r in fuzzer.routes if not fuzzer.visited[r.path]]
        self.check(
            "fuzz: every route of the app visited",
            not missed,
            f"{len(fuzzer.routes) - len(missed)} of {len(fuzzer.routes)}" + (f" (missed {missed})" if missed else ""),
        )
        ok = self.check("fuzz: 5xx", tally.count_5xx == 0, f"{tally.count_5xx} of {sum(tally.statuses.values())}")
        ok = self.check("fuzz: every request answered", not tally.no_answer, f"{dict(tally.no_answer) or 'yes'}") and ok
        if not ok:
            self.report_failure(tally, limit=12)
        await self.invariants("after the fuzz")


def answers(tally: Tally) -> int:
    return sum(tally.statuses.values())


def refusal(answer: httpx.Response) -> str:
    """A refused step, for the flow counts: its status and the page's first message."""
    summary = re.search(r'class="(?:error-summary|notice)"[^>]*>(.*?)</div>', answer.text, re.S)
    text = _page_text(summary.group(1)) if summary else ""
    return f"refused {answer.status_code}" + (f" ({text[:60]})" if text else "")


def buyer_of(tabs: list[Browser]) -> str:
    login = tabs[0].login
    if login is None:
        raise FlowError("the tab is not signed in")
    return login


# ------------------------------------------------------------------------------------------------- the fuzzer


NASTY: list[str] = [
    "",
    " ",
    "0",
    "-1",
    "1",
    "²",
    "١٢",
    "１２",
    "1e3",
    "1.5",
    "0x10",
    "NaN",
    "inf",
    "-0",
    "+1",
    "9" * 20,
    "-" + "9" * 20,
    str(2**63),
    str(-(2**63) - 1),
    "2147483648",
    "\x00",
    "a\x00b",
    "\x1b[31m",
    "x" * 65,
    "x" * 300,
    "字" * 5000,
    "😀" * 50,
    "\u202e\u200b",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "%00",
    "%zz",
    "null",
    "true",
    "[]",
    "{}",
    "2024-02-30T25:61:00+08:00",
    "9999-12-31T23:59:59+14:00",
    "0001-01-01T00:00:00-12:00",
    "2026-12-01T20:00:00",
]

# Plausible values per field, so that some requests get past the checks and into the services.
VALID: dict[str, list[str]] = {
    "level": ["basic", "standard", "premium"],
    "months": ["1", "2", "3", "6", "12", "24", "36"],
    "count": ["1", "2", "10", "100"],
    "agree": ["yes"],
    "confirm": ["yes"],
    "method": ["balance", "online", "partner", "contract"],
    "channel": ["phone", "email", "inbox"],
    "code": ["000000", "123456", "999999"],
    "decision": ["pay", "cancel"],
    "action": ["preview", "pay"],
    "auto_renew": ["on", "off", "yes", ""],
    "auto_renew_months": ["1", "3", "12"],
    "reason": ["price", "other", "no_need"],
    "kind": ["technical", "business"],
    "severity": ["down", "impaired", "system", "general"],
    "title": ["测试工单", "t"],
    "description": ["描述", "d" * 2000],
    "login": ["partner-b-other", "nobody", "partner-b-other "],
    "password": [DEMO_PASSWORD, "wrong"],
    "next": ["/plan", "//evil.example", "https://evil.example/", "/orders"],
    "status": ["paid"],
    "amount_fen": ["850000", "1", "0"],
    "download": ["1", "true", "0", "yes"],
    "cancelled": ["1"],
    "ended": ["1"],
}
EXTRA_FIELDS = ["order_id", "transaction_id", "quote_id", "coupon", "request_key", "periods", "computed_at"]


def field_names() -> list[str]:
    """Every form field and query parameter the console reads (its controllers) or its pages carry (templates)."""
    names: set[str] = set(VALID) | set(EXTRA_FIELDS)
    for path in (ROOT / "web").rglob("*.py"):
        names |= set(re.findall(r"""\.get\(\s*["']([a-z_]+)["']""", path.read_text()))
    for path in (ROOT / "templates").rglob("*.html"):
        names |= set(re.findall(r'name="([a-z_]+)"', path.read_text()))
        names |= set(
            re.findall(r"""(?:input|radios|checkbox|textarea|select)\(\s*["']([a-z_]+)["']""", path.read_text())
        )
    names -= {"viewport", "_csrf_token", "self", "x", "content-type", "accept-language", "location"}
    return sorted(n for n in names if re.fullmatch(r"[a-z][a-z_]*", n))


@dataclass
class Route:
    path: str  # with {name:type} placeholders
    methods: list[str]
    params: dict[str, type]


def app_routes(database_url: str) -> list[Route]:
    """The routes of the app itself (web.app.create_app), as the server has them in demo mode."""
    from web.app import create_app
    from web.settings import Settings

    app = create_app(Settings(database_url=database_url, secret_key=SECRET_KEY, demo=True, gateway="sandbox"))
    routes = []
    for route in app.routes:
        methods = sorted(m for m in getattr(route, "methods", ()) if m != "OPTIONS")
        if not methods:
            continue
        params = {name: definition.type for name, definition in route.path_parameters.items()}
        routes.append(Route(route.path, methods, params))
    return routes


#: Routes that end sessions or hash a password (argon2, 0.1–1 s of CPU on this machine): visited, but rarely.
COSTLY = ("/login", "/logout", "/account/sessions/end-all")


def route_weight(route: Route) -> float:
    return 0.1 if route.path in COSTLY else 1.0


def describe(request: dict[str, Any]) -> str:
    """A generated request, shortened, for the report: query, notable headers, body."""
    parts = []
    if request.get("params"):
        parts.append(f"query {_shorten(urlencode(request['params']), 160)}")
    headers = {k: v for k, v in request.get("headers", {}).items() if k.lower() != "hx-request"}
    if headers:
        parts.append(f"headers {_shorten(headers, 160)}")
    if "files" in request:
        parts.append(f"multipart {_shorten({k: v[1][:60] for k, v in request['files'].items()}, 240)}")
    elif request.get("content") is not None:
        parts.append(f"body {_shorten(request['content'], 240)}")
    return "; ".join(parts)


class Fuzzer:
    def __init__(self, bench: Bench, tally: Tally) -> None:
        self.bench = bench
        self.tally = tally
        self.rng = random.Random(bench.args.seed + 1)
        self.routes: list[Route] = []
        self.fields = field_names()
        self.order_ids: list[str] = []
        self.int_ids: list[int] = []
        self.resigned = 0
        self.retried = 0
        self.visited: Counter[str] = Counter()
        self.done = 0
        self.logins = ["partner-a", "partner-a-ops", "partner-b-buyer", "partner-b"]

    async def prepare(self) -> None:
        self.routes = app_routes(f"sqlite:///{tempfile.gettempdir()}/reliability-routes-only.sqlite3")
        # partner-a buys a Standard plan first, so the plan's pages (packs, renew, change, unsubscribe) are live.
        browser = (await self.bench.browsers(self.tally, "partner-a", 1, DEMO_PASSWORD))[0]
        try:
            with contextlib.suppress(FlowError):
                await self.bench.pay_by_balance(browser, await self.bench.place_purchase(browser, "standard"))
            with contextlib.suppress(FlowError):
                await self.bench.place_purchase(browser, "premium")  # a pending one stays for the order pages
        finally:
            await browser.aclose()
        await self.refresh_ids()

    async def refresh_ids(self) -> None:
        self.order_ids = [r["id"] for r in await self.bench.db.rows("SELECT id FROM support_order ORDER BY id")]
        self.int_ids = [r["id"] for r in await self.bench.db.rows("SELECT id FROM unsubscription")] or [1]

    async def run(self, total: int, workers: int) -> None:
        counter = iter(range(total))
        tabs = [Browser(self.bench.server.url, self.tally, timeout=120) for _ in range(workers)]
        try:
            for i, tab in enumerate(tabs):
                await tab.sign_in(self.logins[i % len(self.logins)], DEMO_PASSWORD)
            await asyncio.gather(*(self.worker(tab, counter, total) for tab in tabs))
        finally:
            await asyncio.gather(*(t.aclose() for t in tabs))

    async def worker(self, tab: Browser, counter: Iterable[int], total: int) -> None:
        home = tab.login or self.logins[0]
        for n in counter:
            request = self.make_request(tab)
            try:
                try:
                    response = await tab.client.request(**request)
                except httpx.RemoteProtocolError:
                    # The server closed the connection after an answer that ends it (a 413 before the body was read):
                    # a browser sends the request again on a new connection, once.
                    self.retried += 1
                    response = await tab.client.request(**request)
            except httpx.TransportError as exc:
                self.tally.no_answer[type(exc).__name__] += 1
                self.tally.unanswered.append(
                    Sample(request["method"], request["url"], describe(request), type(exc).__name__)
                )
                if not self.bench.server.running:
                    return
                continue
            self.done += 1
            if response.status_code >= 500 and self.tally.server_errors:
                self.tally.server_errors[-1].body = describe(request)  # what was sent, as generated
            if n and n % 2000 == 0:
                say(f"  … {n} of {total} requests")
                await self.refresh_ids()
            if response.headers.get("location", "").startswith("/login") or n % 97 == 0:
                await self.ensure_signed_in(tab, home)

    async def ensure_signed_in(self, tab: Browser, login: str) -> None:
        """After a fuzzed 退出 (or 'sign out everywhere', or a sign-in as someone else), sign in again."""
        page = await tab.get("/balance")
        if page.status_code == 200 and tab.token:
            return
        tab.client.cookies.clear()
        self.resigned += 1
        with contextlib.suppress(FlowError):
            await tab.sign_in(login, DEMO_PASSWORD)

    # --- values --------------------------------------------------------------------------------------------------

    def value(self, name: str) -> str:
        """A value for field NAME: plausible about half the time (so requests reach the services), else hostile."""
        rng = self.rng
        if rng.random() < 0.5:
            if name == "order_id" and self.order_ids:
                return rng.choice(self.order_ids)
            if name in ("coupon", "quote_id", "periods"):
                return str(rng.choice(self.int_ids))
            if name in VALID:
                return rng.choice(VALID[name])
        roll = rng.random()
        if roll < 0.01:
            return "y" * (1024 * 1024 + 10)  # over the body limit
        if roll < 0.05:
            return "z" * 30_000  # over the field limit
        if roll < 0.15:
            return secrets.token_hex(rng.choice([8, 16, 32, 33]))
        return rng.choice(NASTY)

    def path_value(self, kind: type) -> str:
        roll = self.rng.random()
        if kind is int:
            if roll < 0.4:
                return str(self.rng.choice(self.int_ids))
            return self.rng.choice(["0", "-1", "²", "9" * 20, "1.5", "abc", str(2**63), "%00", "1%00"])
        if roll < 0.5 and self.order_ids:
            return quote(self.rng.choice(self.order_ids))
        if roll < 0.6:
            return self.rng.choice(["en", "zh", "zh_CN", "xx"])  # /lang/{code}
        return quote(self.rng.choice([*NASTY, "CS" + "9" * 20, "notify", "x" * 2000]), safe="")

    def make_request(self, tab: Browser) -> dict[str, Any]:
        rng = self.rng
        if rng.random() < 0.03:
            url = rng.choice(
                ["/static/%00", "/static/../web/app.py", "/nope", "/orders/", "//plan", "/plan/%ff", "/%2e%2e/"]
            )
            return {"method": rng.choice(["GET", "HEAD", "POST"]), "url": url}
        unvisited = [r for r in self.routes if not self.visited[r.path]]
        # Every route once first (in a random order), then by weight.
        route = (
            rng.choice(unvisited) if unvisited else rng.choices(self.routes, [route_weight(r) for r in self.routes])[0]
        )
        self.visited[route.path] += 1
        url = route.path
        for name, kind in route.params.items():
            placeholder = re.search(r"\{" + re.escape(name) + r"(:[^}]*)?\}", url)
            if placeholder:
                value = "app.css" if name == "file_path" and rng.random() < 0.5 else self.path_value(kind)
                url = url[: placeholder.start()] + value + url[placeholder.end() :]
        roll = rng.random()
        if roll < 0.05:
            method = rng.choice(["PUT", "DELETE", "PATCH", "OPTIONS"])
        elif "POST" in route.methods and roll < 0.65:
            method = "POST"
        elif "GET" in route.methods:
            method = "HEAD" if rng.random() < 0.15 else "GET"
        else:
            method = route.methods[0]
        picked = [rng.choice(self.fields) for _ in range(rng.randint(0, 6))]
        query = (
            [(name, self.value(name)) for name in picked if rng.random() < 0.5]
            if method != "POST" or rng.random() < 0.2
            else []
        )
        query = [(k, v[:3000]) for k, v in query]
        request: dict[str, Any] = {"method": method, "url": url, "params": query}
        headers: dict[str, Any] = {}
        if rng.random() < 0.1:
            headers["HX-Request"] = "true"
        if rng.random() < 0.05:
            headers["Accept-Language"] = rng.choice(["en", "zh-CN", "xx;q=abc", "*"])
        if url.endswith("/notify") or rng.random() < 0.03:
            headers["X-Signature"] = rng.choice(["abc", "签名", "0" * 64, "é"]).encode()
        if method in ("POST", "PUT", "PATCH"):
            fields = [(name, self.value(name)) for name in picked]
            if rng.random() < 0.2 and fields:
                fields.append((fields[0][0], self.value(fields[0][0])))  # a duplicated field
            if rng.random() < 0.9 and tab.token:
                fields.append(("_csrf_token", tab.token))
            body = rng.random()
            if body < 0.6:
                request["content"] = urlencode(fields).encode()
                headers.update(FORM)
            elif body < 0.7:
                request["files"] = {name: (None, value.encode()) for name, value in fields}
            elif body < 0.8:
                request["content"] = json.dumps(dict(fields)).encode()
                headers["Content-Type"] = "application/json"
            elif body < 0.88:
                request["content"] = "&".join(f"{k}={v}" for k, v in fields).encode()
                headers["Content-Type"] = rng.choice(
                    ["text/plain", "application/xml", "multipart/form-data", "x/y; charset=zz"]
                )
            elif body < 0.94:
                request["content"] = rng.choice(
                    [b"\xff\xfe\x00", b"%zz=%%&&==", b"a=" + "é".encode("latin-1"), b"=" * 100]
                )
                headers["Content-Type"] = "application/x-www-form-urlencoded"
                if tab.token:
                    headers["x-csrftoken"] = tab.token
            else:
                request["content"] = urlencode(fields).encode()
                headers["Content-Type"] = "multipart/form-data; boundary=nope"
        request["headers"] = headers
        return request


# ---------------------------------------------------------------------------------------------------- main


async def run(args: argparse.Namespace) -> int:
    drop: Callable[[], Awaitable[None]] | None = None
    with tempfile.TemporaryDirectory(prefix="reliability-") as tmp:
        extra = {"CONSOLE_DEMO": "1", "CONSOLE_SECRET_KEY": SECRET_KEY}
        if args.postgres:
            database_url, drop = await fresh_postgres_database(args.postgres)
            extra["CONSOLE_DATABASE_URL"] = database_url
        server = ConsoleServer(Path(tmp), secret_key=SECRET_KEY, extra_env=extra, workers=args.workers)
        db = Database(server.env["CONSOLE_DATABASE_URL"])
        engine = "PostgreSQL" if db.postgres else "SQLite"
        say(
            f"reliability bench: {engine}, {args.workers} worker(s), {args.ways}-way races, {args.kills} kills, "
            f"{args.fuzz} fuzz requests, seed {args.seed}; server log {server.stderr_path}"
        )
        bench = Bench(args, server, db)
        started = time.perf_counter()
        try:
            server.start()
            parts = {"races": bench.races, "kill": bench.kill_loop, "fuzz": bench.fuzz}
            for name in args.parts:
                part_started = time.perf_counter()
                try:
                    await parts[name]()
                except (FlowError, httpx.HTTPError, AssertionError) as exc:
                    bench.check(f"{name}: ran to the end", False, f"{type(exc).__name__}: {exc}")
                    if not server.running:
                        server.start()
                bench.log_digest()
                say(f"  ({name}: {time.perf_counter() - part_started:.0f} s)")
            if args.keep_log:
                with contextlib.suppress(OSError):
                    Path(args.keep_log).write_bytes(server.stderr_path.read_bytes())
        finally:
            server.stop()
            await db.close()
            if drop is not None and not args.keep:
                with contextlib.suppress(Exception):
                    await drop()
        failed = [c for c in bench.checks if not c.ok]
        say(f"== summary ({engine}, {args.workers} worker(s), {time.perf_counter() - started:.0f} s) ==")
        for c in bench.checks:
            say(f"  {'ok  ' if c.ok else 'FAIL'} {c.name}: {c.detail}")
        say(f"{len(bench.checks) - len(failed)} of {len(bench.checks)} figures hold" + (": FAILED" if failed else ""))
        return 1 if failed else 0


def main() -> int:
    import logging

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server (a fresh database is made on it)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (serve --workers)")
    parser.add_argument("--quick", action="store_true", help="50-way races, 10 kills, 1,000 fuzz requests")
    parser.add_argument("--ways", type=int, help="concurrent requests per race (200)")
    parser.add_argument(
        "--sessions", type=int, help="signed-in sessions for the races (one per request by default; fewer share)"
    )
    parser.add_argument("--kills", type=int, help="kill -9 rounds (30)")
    parser.add_argument("--flows", type=int, default=20, help="concurrent flows during a kill round (20)")
    parser.add_argument("--kill-partners", type=int, default=8, help="companies the flows belong to (8)")
    parser.add_argument("--burst", type=float, default=20.0, help="longest wait for a kill's moment, seconds (20)")
    parser.add_argument("--fuzz", type=int, help="fuzz requests (10,000)")
    parser.add_argument("--fuzz-workers", type=int, default=8, help="concurrent fuzz sessions (8)")
    parser.add_argument("--parts", default="races,kill,fuzz", help="which parts, comma-separated")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--keep-log", metavar="FILE", help="copy the server's stderr log to FILE")
    args = parser.parse_args()
    args.ways = args.ways or (50 if args.quick else 200)
    args.kills = args.kills if args.kills is not None else (10 if args.quick else 30)
    args.fuzz = args.fuzz if args.fuzz is not None else (1000 if args.quick else 10_000)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the app's import configures logging for this process too
    args.parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = set(args.parts) - {"races", "kill", "fuzz"}
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
