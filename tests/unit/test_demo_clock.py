"""The test clock per browser (issue 15): in demo mode /demo/clock sets this browser session's time, which runs on
with the server's clock; every request's `now` is that time; other browsers keep theirs; signing in keeps it and a
session's age stays real time. Outside demo mode the page is 404 and a stored test clock counts for nothing."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from models.rules.periods import whole_second
from tests.helpers.demo_clock import clock_value, reset_test_clock, set_test_clock
from tests.helpers.http import csrf_token, post_form, sign_in
from tests.helpers.plans import buy_plan
from tests.helpers.times import START, bj
from web.app import create_app
from web.clock import BrowserClock
from web.demo.controllers import parse_local_moment
from web.settings import Settings

# The plan bought at START for a month ends 2024/02/01 23:59:59.
AFTER_THE_END = bj(2024, 3, 1, 9, 0)


def level_shown(html: str) -> str:
    return html.split("当前规格</dt><dd>")[1].split("</dd>")[0]


async def test_the_page_shows_the_form_and_the_banner_links_to_it(client):
    page = await client.get("/demo/clock")
    assert page.status_code == 200
    assert 'type="datetime-local"' in page.text and '<label for="moment">时间</label>' in page.text
    assert ">设置</button>" in page.text and ">恢复真实时间</button>" in page.text
    assert "（真实时间）" in page.text
    assert 'href="/demo/clock">测试时钟</a>' in (await client.get("/login")).text


async def test_a_browser_lives_at_its_own_time_and_others_keep_theirs(client, settings, demo):
    await buy_plan()
    await sign_in(client, "partner-a-ops")
    assert level_shown((await client.get("/plan")).text) == "标准级"
    await set_test_clock(client, AFTER_THE_END)
    page = await client.get("/plan")
    assert level_shown(page.text) == "基础级"  # the plan ended at this browser's time
    assert "本浏览器的测试时间：2024/03/01 09:00:00。" in page.text
    async with AsyncTestClient(app=create_app(settings)) as other:
        await sign_in(other, "partner-a")
        page = await other.get("/plan")
        assert level_shown(page.text) == "标准级" and "本浏览器的测试时间" not in page.text


async def test_the_test_clock_runs_on_with_the_server_clock(client, clock):
    await set_test_clock(client, bj(2025, 6, 30, 23, 59))
    clock.advance(minutes=2, seconds=30)
    assert "2025/07/01 00:01:30" in (await client.get("/demo/clock")).text


async def test_setting_it_before_signing_in_keeps_it_and_the_session_age_is_real_time(client, demo):
    await set_test_clock(client, START.replace(year=2030))  # years after any 8-hour session window
    await sign_in(client, "partner-a")
    page = await client.get("/plan")
    assert page.status_code == 200 and "2030/01/01 10:30:00" in page.text
    sessions = await client.get("/account/sessions")
    assert "2024/01/01 10:30:00" in sessions.text  # signed in at the server's time


async def test_restoring_the_real_time(client, clock):
    await set_test_clock(client, bj(2026, 1, 1, 0, 0))
    page = await client.get("/demo/clock")
    assert "2026/01/01 00:00:00（测试时间）" in page.text
    await reset_test_clock(client)
    page = await client.get("/demo/clock")
    assert "本浏览器已恢复真实时间。" in page.text
    assert f"{clock.now():%Y/%m/%d %H:%M:%S}（真实时间）" in page.text and "测试时间：" not in page.text


async def test_a_bad_time_is_marked_on_the_field_and_changes_nothing(client):
    for value in ("", "tomorrow", "2024-02-30T10:00", "1999-12-31T23:59", "2024-01-01T10:00+00:00", "2024-01-01"):
        response = await post_form(client, "/demo/clock", {"moment": value})
        assert response.status_code == 400, value
        assert 'aria-invalid="true"' in response.text and "例如 2024-01-25T09:00" in response.text
        assert "测试时间）" not in response.text


def test_the_form_value_is_beijing_time():
    assert parse_local_moment("2028-02-29T03:00") == bj(2028, 2, 29, 3, 0)
    assert parse_local_moment(clock_value(bj(2024, 1, 31, 23, 59, 59))) == bj(2024, 1, 31, 23, 59, 59)
    assert parse_local_moment("2028-02-29T03:00:00.999") == bj(2028, 2, 29, 3, 0)  # whole seconds


def test_an_unreadable_stored_clock_counts_for_nothing():
    for stored in (None, {}, {"test_clock": "x"}, {"test_clock": {"to": "2024-01-01T00:00"}}, {"test_clock": {}}):
        assert BrowserClock.of(stored) is None
    stored = BrowserClock(to=bj(2024, 5, 1, 0, 0), at=START).stored()
    assert BrowserClock.of({"test_clock": stored}).now(whole_second(START.replace(minute=31))) == bj(2024, 5, 1, 0, 1)


async def test_outside_demo_mode_the_clock_does_not_exist_and_a_stored_one_is_ignored(client, settings, demo):
    await buy_plan()
    await sign_in(client, "partner-a")
    await set_test_clock(client, AFTER_THE_END)
    assert level_shown((await client.get("/plan")).text) == "基础级"  # (and its flash is read)
    production = Settings(database_url=settings.database_url, secret_key="p" * 40, clock=settings.clock, demo=False)
    async with AsyncTestClient(app=create_app(production)) as prod:
        prod.cookies.set("console_session", client.cookies.get("console_session"))
        page = await prod.get("/plan")
        assert page.status_code == 200 and level_shown(page.text) == "标准级"  # the server's time
        assert "测试时钟" not in page.text and "测试时间" not in page.text
        assert (await prod.get("/demo/clock")).status_code == 404
        token = await csrf_token(prod, "/login")
        for path in ("/demo/clock", "/demo/clock/reset"):
            response = await prod.post(
                path, data={"moment": clock_value(START), "_csrf_token": token}, follow_redirects=False
            )
            assert response.status_code == 404, path
        assert level_shown((await prod.get("/plan")).text) == "标准级"
