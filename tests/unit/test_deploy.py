"""Safe to deploy (SPEC.md §11): production and demo modes, server-side sessions that really end, headers on every
answer (404 and 405 too), caching, HTTPS, HEAD, compression, the input guard and the database-conflict retry."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from models.tables import Account, Ticket, WebSession
from tests.helpers.http import csrf_token, place_order, post_form, sign_in
from web.app import create_app
from web.settings import DEMO_SECRET_KEY, Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k" * 40


def production(settings: Settings, **changes: object) -> Settings:
    values = {**settings.__dict__, "demo": False, "gateway": None, "secret_key": STRONG_KEY, **changes}
    return Settings(**values)


# --- production and demo modes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({}, "CONSOLE_SECRET_KEY is not set"),
        ({"CONSOLE_SECRET_KEY": "short"}, "too weak"),
        ({"CONSOLE_SECRET_KEY": DEMO_SECRET_KEY}, "too weak"),
        ({"CONSOLE_SECRET_KEY": STRONG_KEY, "CONSOLE_GATEWAY": "paypal"}, "CONSOLE_GATEWAY"),
        ({"CONSOLE_SECRET_KEY": STRONG_KEY, "CONSOLE_PUBLIC_URL": "ftp://x"}, "CONSOLE_PUBLIC_URL"),
    ],
)
def test_production_refuses_to_start_without_a_strong_key(env, problem):
    with pytest.raises(SettingsError, match=problem):
        Settings.from_env(env).check()


def test_production_with_a_key_has_no_gateway_and_demo_mode_has_the_sandbox():
    prod = Settings.from_env({"CONSOLE_SECRET_KEY": STRONG_KEY}).check()
    assert (prod.demo, prod.gateway) == (False, None)
    demo = Settings.from_env({"CONSOLE_DEMO": "1"}).check()
    assert (demo.demo, demo.gateway, demo.secret_key) == (True, "sandbox", DEMO_SECRET_KEY)


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "web.cli", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_serve_without_a_key_exits_with_one_line(tmp_path):
    result = _cli("serve", "--port", "1", env={"CONSOLE_DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"})
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "CONSOLE_SECRET_KEY" in lines[0], result.stderr
    assert "Traceback" not in result.stderr and "Partner Support Plan console on" not in result.stdout


async def test_production_has_no_sandbox_no_online_payment_and_no_demo_banner(settings, demo):
    async with AsyncTestClient(app=create_app(production(settings))) as client:
        await sign_in(client, "partner-a")
        order_id = await place_order(client)
        page = await client.get(f"/orders/{order_id}/pay")
        assert "在线支付" not in page.text and "演示环境" not in page.text
        refused = await post_form(client, f"/orders/{order_id}/pay", {"method": "online"})
        assert refused.status_code == 400 and "在线支付未开通" in refused.text
        assert (await client.get(f"/payments/sandbox/{order_id}?amount_fen=1&token=x")).status_code == 404
        notify = await client.post("/payments/sandbox/notify", data={"order_id": order_id})
        assert notify.status_code in (403, 404)


async def test_demo_mode_says_so_on_every_page(client, demo):
    assert "演示环境" in (await client.get("/login")).text
    await sign_in(client, "partner-a")
    assert "演示环境" in (await client.get("/plan")).text


# --- sessions --------------------------------------------------------------------------------------------------


def _session_cookie(client: AsyncTestClient) -> str:
    return client.cookies["console_session"]


async def test_sign_out_kills_a_copied_cookie(client, settings, demo):
    await sign_in(client, "partner-a")
    stolen = _session_cookie(client)
    async with AsyncTestClient(app=create_app(settings)) as thief:
        thief.cookies.set("console_session", stolen)
        assert (await thief.get("/plan", follow_redirects=False)).status_code == 200
        await post_form(client, "/logout", {}, token_from="/plan")
        assert (await thief.get("/plan", follow_redirects=False)).status_code == 303
        token = await csrf_token(thief, "/login")
        ticket = await thief.post(
            "/tickets",
            data={"_csrf_token": token, "kind": "business", "severity": "normal", "title": "t", "description": "d"},
            follow_redirects=False,
        )
        assert ticket.status_code == 303 and ticket.headers["location"].startswith("/login")
    assert await Ticket.count() == 0
    assert await WebSession.count() == 0


async def test_the_session_key_changes_at_sign_in_and_the_old_one_dies(client, settings, demo):
    await sign_in(client, "partner-a")
    first = _session_cookie(client)
    await sign_in(client, "partner-b")
    second = _session_cookie(client)
    assert first != second
    async with AsyncTestClient(app=create_app(settings)) as other:
        other.cookies.set("console_session", first)
        assert (await other.get("/plan", follow_redirects=False)).status_code == 303


async def test_a_cookie_the_client_made_up_is_not_a_session_and_is_never_stored(client, demo):
    client.cookies.set("console_session", "a" * 64)
    assert (await client.get("/plan", follow_redirects=False)).status_code == 303
    await client.get("/login")
    assert await WebSession.count() == 0  # an anonymous visit writes nothing


async def test_sign_out_everywhere_ends_every_session_of_the_account_only(client, settings, demo):
    await sign_in(client, "partner-a")
    async with (
        AsyncTestClient(app=create_app(settings)) as second,
        AsyncTestClient(app=create_app(settings)) as someone_else,
    ):
        await sign_in(second, "partner-a")
        await sign_in(someone_else, "partner-b")
        page = await client.get("/account/sessions")
        assert "退出所有会话" in page.text
        response = await post_form(client, "/account/sessions/end-all", {}, token_from="/account/sessions")
        assert response.status_code == 303 and response.headers["location"] == "/login?ended=all"
        assert (await second.get("/plan", follow_redirects=False)).status_code == 303
        assert (await client.get("/plan", follow_redirects=False)).status_code == 303
        assert (await someone_else.get("/plan", follow_redirects=False)).status_code == 200
        assert "已在所有浏览器和设备上退出" in (await client.get("/login?ended=all")).text


async def test_a_session_ends_after_its_hours_however_busy(client, clock, demo):
    await sign_in(client, "partner-a")
    for step in ({"hours": 2}, {"hours": 2}, {"hours": 2}, {"hours": 1, "minutes": 59}):
        clock.advance(**step)
        assert (await client.get("/plan", follow_redirects=False)).status_code == 200
    clock.advance(minutes=1)
    assert (await client.get("/plan", follow_redirects=False)).status_code == 303


# --- headers, caching, HTTPS, HEAD, compression -----------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "status"), [("GET", "/no-such-page", 404), ("DELETE", "/plan", 405)])
async def test_404_and_405_are_pages_with_the_security_headers(client, method, path, status):
    response = await client.request(method, path)
    assert response.status_code == status
    assert "text/html" in response.headers["content-type"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


async def test_signed_in_pages_are_never_cached_and_versioned_static_files_are(client, demo):
    await sign_in(client, "partner-a")
    assert (await client.get("/plan")).headers["cache-control"] == "no-store"
    page = (await client.get("/plan")).text
    assert "/static/app.css?v=" in page
    href = page.split('href="/static/app.css?v=')[1].split('"')[0]
    static = await client.get(f"/static/app.css?v={href}")
    assert static.status_code == 200 and "immutable" in static.headers["cache-control"]
    assert (await client.get("/static/app.css")).headers["cache-control"] == "no-cache"


async def test_over_https_cookies_are_secure_and_hsts_is_on(settings, demo):
    for changes, base_url in (
        ({"public_url": "https://console.example.com"}, "http://testserver.local"),
        ({}, "https://testserver.local"),  # the scheme a trusted proxy reported (uvicorn sets it)
    ):
        async with AsyncTestClient(app=create_app(production(settings, **changes)), base_url=base_url) as client:
            response = await client.get("/login")
            assert response.headers["strict-transport-security"].startswith("max-age=")
            cookies = response.headers.get_list("set-cookie")
            assert cookies and all("secure" in cookie.lower() for cookie in cookies)
            if base_url.startswith("https"):  # a browser sends Secure cookies back only over HTTPS
                signed_in = await sign_in(client, "partner-a")
                session = [c for c in signed_in.headers.get_list("set-cookie") if c.startswith("console_session=")]
                assert session and "secure" in session[0].lower()
                assert (await client.get("/plan", follow_redirects=False)).status_code == 200


async def test_over_plain_http_there_is_no_hsts(client):
    response = await client.get("/login")
    assert "strict-transport-security" not in response.headers


async def test_head_is_answered_where_get_is(client, demo):
    head = await client.head("/login")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-security-policy"]
    assert (await client.head("/plan", follow_redirects=False)).status_code == 303
    assert (await client.head("/static/app.css")).status_code == 200


async def test_pages_are_compressed_when_the_browser_accepts_it(client):
    response = await client.get("/login", headers={"accept-encoding": "gzip"})
    assert response.headers.get("content-encoding") == "gzip"


# --- the input guard and the conflict retry ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/static/%00", "/orders/%00", "/plan/change?level=%00", "/login?next=%01", "/orders/" + "9" * 2000],
)
async def test_control_characters_and_oversized_paths_are_a_400_page(client, demo, path):
    await sign_in(client, "partner-a")
    response = await client.get(path)
    assert 400 <= response.status_code < 500
    assert "content-security-policy" in response.headers


async def test_a_nul_in_a_form_field_is_refused_and_nothing_is_written(client, demo):
    response = await post_form(client, "/login", {"login": "partner-a\x00", "password": "demo-pass-2026"})
    assert response.status_code == 400
    assert "无法处理该请求" in response.text
    assert await WebSession.count() == 0


async def test_a_database_conflict_is_retried_once(client, demo, monkeypatch):
    from models.services import accounts

    real = accounts.authenticate
    calls = []

    async def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise sqlite3.OperationalError("database is locked")
        return await real(*args, **kwargs)

    monkeypatch.setattr(accounts, "authenticate", flaky)
    response = await post_form(client, "/login", {"login": "partner-a", "password": "demo-pass-2026"})
    assert response.status_code == 303 and len(calls) == 2


async def test_a_conflict_that_persists_is_a_409_page(client, demo, monkeypatch):
    from models.services import accounts

    async def always(*args, **kwargs):
        raise sqlite3.IntegrityError("UNIQUE constraint failed: support_order.request_key")

    monkeypatch.setattr(accounts, "authenticate", always)
    response = await post_form(client, "/login", {"login": "partner-a", "password": "demo-pass-2026"})
    assert response.status_code == 409
    assert "数据已被同时修改" in response.text
    assert "x-console-conflict" not in response.headers
    assert await Account.count() > 0


async def test_the_scheduler_removes_sessions_that_ended_by_age(client, settings, clock, demo):
    from web import scheduler

    await sign_in(client, "partner-a")
    assert await WebSession.count() == 1
    clock.advance(hours=8, seconds=1)
    done = await scheduler.run_once(client.app)
    assert done is not None and done["ended_sessions"] == 1
    assert await WebSession.count() == 0


@pytest.mark.parametrize("number", ["2147483648", "9223372036854775808", "99999999999999999999", "0"])
async def test_an_id_no_row_can_have_is_not_found(client, demo, number):
    await sign_in(client, "partner-a")
    response = await client.get(f"/plan/unsubscribe/result/{number}")
    assert response.status_code == 404 and "退订记录不存在" in response.text
