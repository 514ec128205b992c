"""Two `partner-console serve` processes on different ports over one database: two machines behind one address
(SPEC.md §11). A session started on one is served by the other, 退出 on one kills the cookie on both, and the
schedulers of both deliver each e-mail once and lapse each old order once. On SQLite by default; on PostgreSQL
in `make test-postgres` (CONSOLE_TEST_PG_URL), which is the deployment this is for."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import httpx

from models.enums import Channel, OrderKind, OrderStatus
from models.services import orders
from models.services.accounts import account_by_login
from models.tables import Outbox, SupportOrder
from tests.e2e.server import ConsoleServer
from tests.helpers.smtp_sink import SmtpSink
from tests.helpers.times import START

CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
EMAILS = 20
OLD_ORDERS = 5


def _post(client: httpx.Client, base: str, path: str, data: dict[str, str], token_from: str) -> httpx.Response:
    token = CSRF.search(client.get(base + token_from).text).group(1)
    return client.post(base + path, data={**data, "_csrf_token": token})


async def _jobs_for_the_schedulers() -> None:
    account = await account_by_login("partner-a")
    for n in range(EMAILS):
        await Outbox.insert(
            Outbox(account=account.id, channel=Channel.EMAIL, subject=f"message {n}", body="b", created_at=START)
        )
    for _ in range(OLD_ORDERS):
        await orders.create_order(
            account=account, kind=OrderKind.PACK, now=START - timedelta(days=8), list_fen=100, pack_count=1
        )


def _wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.2)


async def test_two_servers_share_sessions_and_run_each_job_once(db, demo, tmp_path):
    await _jobs_for_the_schedulers()
    sink = SmtpSink()
    env = {
        "CONSOLE_DATABASE_URL": db,
        "CONSOLE_SMTP_URL": sink.url,
        "CONSOLE_NOW": START.isoformat(),
        "CONSOLE_SCHEDULER": "on",
    }
    servers = [ConsoleServer(tmp_path / name, extra_env=env, demo=False) for name in ("a", "b")]
    try:
        for server in servers:
            server._prepared = True  # the `db` fixture made the schema and `demo` loaded the data
            server.start()
        a, b = (server.url for server in servers)
        with httpx.Client(follow_redirects=False, trust_env=False, timeout=30) as browser:
            signed_in = _post(browser, a, "/login", {"login": "partner-a", "password": "demo-pass-2026"}, "/login")
            assert signed_in.status_code == 303
            assert browser.get(b + "/plan").status_code == 200  # the other machine knows the session
            copied = dict(browser.cookies)
            assert _post(browser, b, "/logout", {}, "/plan").status_code == 303
        with httpx.Client(follow_redirects=False, trust_env=False, cookies=copied) as thief:
            assert thief.get(a + "/plan").status_code == 303
            assert thief.get(b + "/plan").status_code == 303

        _wait_for(lambda: len(sink.messages) >= EMAILS)
        time.sleep(1.0)  # a second delivery, if there were one, would have had time to arrive
        subjects = sorted(str(message["Subject"]) for message in sink.messages)
        assert subjects == sorted(f"message {n}" for n in range(EMAILS))
    finally:
        for server in servers:
            server.stop()
        sink.close()
    old = await SupportOrder.select(SupportOrder.status, SupportOrder.closed_at).where(
        SupportOrder.created_at < START - timedelta(days=7)
    )
    assert len(old) == OLD_ORDERS
    assert all(row["status"] == OrderStatus.CANCELLED and row["closed_at"] is not None for row in old)
    assert await Outbox.count().where((Outbox.channel == Channel.EMAIL) & Outbox.sent_at.is_null()) == 0
