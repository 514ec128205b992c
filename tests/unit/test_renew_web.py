"""续费管理 and the auto-renew setting through HTTP; the scheduler and `tick` that run the auto-renew job."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from pathlib import Path

from litestar.testing import AsyncTestClient

from models.services import orders, renewal
from models.services.accounts import account_by_login
from models.services.plans import plan_state
from models.tables import LedgerEntry, Outbox, RenewalAttempt, SupportOrder
from tests.helpers.http import post_form, sign_in
from tests.helpers.queries import balance, latest_code
from tests.helpers.renewals import buy, ends_on_jan_31
from tests.helpers.times import bj
from web import scheduler
from web.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


async def renewal_orders() -> int:
    return await SupportOrder.count().where(SupportOrder.kind == "renewal")


async def pay_by_balance(client, order_id: str, login: str) -> None:
    chosen = await post_form(client, f"/orders/{order_id}/pay", {"method": "balance", "coupon": ""})
    assert chosen.headers["location"] == f"/orders/{order_id}/verify", chosen.text
    await post_form(
        client, f"/orders/{order_id}/verify/send", {"channel": "phone"}, token_from=f"/orders/{order_id}/verify"
    )
    paid = await post_form(
        client,
        f"/orders/{order_id}/verify",
        {"code": await latest_code(login)},
        token_from=f"/orders/{order_id}/verify",
    )
    assert paid.status_code == 303, paid.text


async def test_renew_page_shows_the_plan_its_items_and_a_live_preview(client, demo, clock):
    await ends_on_jan_31(clock)
    clock.moment = bj(2024, 1, 20, 10, 0)
    await sign_in(client, "partner-b-buyer")
    full = await client.get("/plan/renew")
    assert full.status_code == 200 and "<html" in full.text
    for text in (
        "续费管理",
        "标准级",
        "2024/01/31 23:59:59",
        "每月一次线上集中培训",
        "7x24小时 工单、电话（每月30工单）",
        '<label for="months">续费时长</label>',
        'role="status"',
        "¥8,500.00",
        "2024/02/29 23:59:59",
        "计算费用",
        "去支付",
        'hx-get="/plan/renew"',
    ):
        assert text in full.text, text
    assert '<option value="1" selected>1个月</option>' in full.text and '<option value="36">3年</option>' in full.text
    block = await client.get("/plan/renew?months=2", headers={"HX-Request": "true"})
    assert block.status_code == 200 and "<html" not in block.text and "去支付" not in block.text
    assert "¥17,000.00" in block.text and "2024/03/31 23:59:59" in block.text
    assert "HX-Request" in block.headers["vary"]
    year = await client.get("/plan/renew?months=12", headers={"HX-Request": "true"})
    assert "¥102,000.00" in year.text and "2025/01/31 23:59:59" in year.text


async def test_detail_page_offers_renew_and_the_renew_page_is_in_english_too(client, demo, clock):
    await buy(clock)
    await sign_in(client, "partner-b-buyer")
    detail = await client.get("/plan")
    assert 'href="/plan/renew"' in detail.text
    client.cookies.set("lang", "en")
    english = await client.get("/plan/renew")
    assert english.status_code == 200 and 'lang="en"' in english.text and "¥8,500.00" in english.text


async def test_without_javascript_the_preview_is_a_post_that_creates_nothing(client, demo, clock):
    await ends_on_jan_31(clock)
    await sign_in(client, "partner-b-buyer")
    response = await post_form(
        client, "/plan/renew", {"months": "2", "action": "preview", "request_key": "k"}, token_from="/plan/renew"
    )
    assert response.status_code == 200
    assert "¥17,000.00" in response.text and "2024/03/31 23:59:59" in response.text
    assert '<option value="2" selected>2个月</option>' in response.text and 'value="k"' in response.text
    assert await renewal_orders() == 0


async def test_done_means_renew_one_month_by_balance_over_http(client, demo, clock):
    await ends_on_jan_31(clock)
    clock.moment = bj(2024, 1, 25, 14, 0)
    await sign_in(client, "partner-b-buyer")
    before = await balance("partner-b-buyer")
    placed = await post_form(
        client, "/plan/renew", {"months": "1", "action": "pay", "request_key": "once"}, token_from="/plan/renew"
    )
    assert placed.status_code == 303
    order_id = placed.headers["location"].split("/")[2]
    assert placed.headers["location"] == f"/orders/{order_id}/pay"
    again = await post_form(
        client, "/plan/renew", {"months": "1", "action": "pay", "request_key": "once"}, token_from="/plan/renew"
    )
    assert again.headers["location"] == placed.headers["location"]  # sent twice: one order
    pay_page = await client.get(f"/orders/{order_id}/pay")
    assert "续费" in pay_page.text and "¥8,500.00" in pay_page.text
    await pay_by_balance(client, order_id, "partner-b-buyer")
    detail = await client.get("/plan")
    assert "2024/01/31 23:59:59" not in detail.text.split("周期记录")[0]
    assert "2023/12/31 09:00:00 – 2024/02/29 23:59:59" in detail.text
    assert await balance("partner-b-buyer") == before - 850_000
    charges = await LedgerEntry.select().where(LedgerEntry.order_id == order_id)
    assert [c["amount_fen"] for c in charges] == [-850_000]


async def test_bad_term_is_a_400_at_the_field_and_nothing_is_created(client, demo, clock):
    await buy(clock)
    await sign_in(client, "partner-b-buyer")
    for months in ("abc", "13", "0", ""):
        response = await post_form(
            client, "/plan/renew", {"months": months, "action": "pay", "request_key": "x"}, token_from="/plan/renew"
        )
        if months == "":  # an empty choice is the default term, like the page's own select
            assert response.status_code == 303
            continue
        assert response.status_code == 400, months
        assert 'id="months-error"' in response.text and "<title>错误：" in response.text
    assert (await client.get("/plan/renew?months=99")).status_code == 400
    assert await renewal_orders() == 1


async def test_a_basic_plan_is_not_renewed_and_is_pointed_to_change(client, demo):
    await sign_in(client, "partner-a")
    page = await client.get("/plan/renew")
    assert page.status_code == 409
    assert "没有可续费的支持计划" in page.text and 'href="/plan/change"' in page.text and "去支付" not in page.text
    refused = await post_form(
        client, "/plan/renew", {"months": "1", "action": "pay", "request_key": "b"}, token_from="/plan/renew"
    )
    assert refused.status_code == 409 and "没有可续费的支持计划" in refused.text
    detail = await client.get("/plan")
    assert 'href="/plan/renew"' not in detail.text and "保存自动续费设置" not in detail.text
    assert await renewal_orders() == 0


async def test_an_account_that_may_not_buy_may_not_renew(client, demo, clock):
    await buy(clock, "partner-b-buyer")
    await sign_in(client, "partner-b")
    page = await client.get("/plan/renew")
    assert page.status_code == 403 and "主帐号不能直接购买" in page.text and "去支付" not in page.text
    refused = await post_form(
        client, "/plan/renew", {"months": "1", "action": "pay", "request_key": "m"}, token_from="/plan/renew"
    )
    assert refused.status_code == 403 and await renewal_orders() == 0


async def test_paying_after_the_plan_ended_is_refused_on_the_payment_page(client, demo, clock):
    await ends_on_jan_31(clock)
    await sign_in(client, "partner-b-buyer")
    placed = await post_form(
        client, "/plan/renew", {"months": "1", "action": "pay", "request_key": "late"}, token_from="/plan/renew"
    )
    order_id = placed.headers["location"].split("/")[2]
    clock.moment = bj(2024, 2, 1, 8, 0)
    await sign_in(client, "partner-b-buyer")  # a month later: a new session
    refused = await post_form(client, f"/orders/{order_id}/pay", {"method": "balance", "coupon": ""})
    assert refused.status_code == 409
    assert "支持计划已于 2024/01/31 23:59:59 到期，不能再为它续费" in refused.text
    assert (await orders.get(order_id)).status == "pending"
    detail = await client.get("/plan")
    assert (
        "基础级" in detail.text
        and "无（基础级长期有效）" in detail.text
        and "0（基础级仅支持业务类工单）" in detail.text
    )
    assert "2023/12/31 09:00:00 – 2024/01/31 23:59:59" in detail.text and "已结束" in detail.text


async def test_auto_renew_setting_on_the_detail_page(client, demo, clock):
    await buy(clock, months=3)
    await sign_in(client, "partner-b-buyer")
    detail = await client.get("/plan")
    for text in (
        "自动续费设置",
        'action="/plan/auto-renew"',
        '<label for="auto_renew_months">每次自动续费时长</label>',
        '<option value="3" selected>3个月</option>',
        "保存自动续费设置",
        "未开启",
    ):
        assert text in detail.text, text
    assert 'id="auto_renew-2" name="auto_renew" value="off" checked' in detail.text
    on = await post_form(
        client, "/plan/auto-renew", {"auto_renew": "on", "auto_renew_months": "12"}, token_from="/plan"
    )
    assert on.status_code == 303 and on.headers["location"] == "/plan"
    after = await client.get("/plan")
    assert "自动续费已开启：到期前7天起从帐号 partner-b-buyer 的余额自动续费1年。" in after.text
    assert "已开启，每次续费1年" in after.text and "自动续费将从 partner-b-buyer 的余额扣款。" in after.text
    assert '<option value="12" selected>1年</option>' in after.text
    account = await account_by_login("partner-b-buyer")
    state = await plan_state(account.partner, clock.now())
    assert state.auto_renew and state.auto_renew_months == 12
    off = await post_form(
        client, "/plan/auto-renew", {"auto_renew": "off", "auto_renew_months": "12"}, token_from="/plan"
    )
    assert off.status_code == 303
    assert "自动续费已关闭。" in (await client.get("/plan")).text
    assert not (await plan_state(account.partner, clock.now())).auto_renew


async def test_auto_renew_setting_errors_show_at_the_field(client, demo, clock):
    await buy(clock)
    await sign_in(client, "partner-b-buyer")
    bad = await post_form(
        client, "/plan/auto-renew", {"auto_renew": "on", "auto_renew_months": "99"}, token_from="/plan"
    )
    assert bad.status_code == 400
    assert (
        'id="auto_renew_months-error"' in bad.text
        and "<title>错误：" in bad.text
        and 'href="#auto_renew_months"' in bad.text
    )
    neither = await post_form(client, "/plan/auto-renew", {"auto_renew_months": "1"}, token_from="/plan")
    assert neither.status_code == 400 and 'id="auto_renew-error"' in neither.text
    await sign_in(client, "partner-a")  # Basic: nothing to set
    basic = await post_form(
        client, "/plan/auto-renew", {"auto_renew": "on", "auto_renew_months": "1"}, token_from="/plan"
    )
    assert basic.status_code == 409 and "不能设置自动续费" in basic.text


# ------------------------------------------------------------------------------------------ scheduler and tick


def test_scheduler_setting_from_the_environment():
    assert Settings.from_env({}).scheduler is True
    assert Settings.from_env({"CONSOLE_SCHEDULER": "off"}).scheduler is False
    assert Settings.from_env({"CONSOLE_SCHEDULER": "OFF"}).scheduler is False
    assert Settings().scheduler is False  # settings built in code (tests) run the jobs themselves


async def test_the_scheduler_runs_the_jobs_in_process_and_stops_with_the_app(settings, demo, clock):
    from web.app import create_app

    account = await buy(clock)
    await renewal.set_auto_renew(account, "on", 1, clock.now())
    clock.moment = bj(2024, 1, 26, 9, 0)
    settings.scheduler = True
    app = create_app(settings)
    async with AsyncTestClient(app=app):
        task = app.state.scheduler_task
        assert task is not None and not task.done()
        for _ in range(100):  # the first run starts right away
            if await RenewalAttempt.count():
                break
            await asyncio.sleep(0.05)
    assert app.state.scheduler_task is None and task.cancelled()
    assert [a["outcome"] for a in await RenewalAttempt.select()] == ["renewed"]


async def test_the_scheduler_is_off_when_settings_say_so(client, demo):
    assert getattr(client.app.state, "scheduler_task", None) is None


async def test_a_failing_run_is_logged_and_survived(settings, monkeypatch):
    from web.app import create_app

    async def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("console.scheduler")
    logger.addHandler(handler)
    monkeypatch.setattr(scheduler, "run_due", broken)
    try:
        assert await scheduler.run_once(create_app(settings)) is None
    finally:
        logger.removeHandler(handler)
    assert [r.levelno for r in records] == [logging.ERROR]
    assert "scheduled jobs failed" in records[0].getMessage() and "database went away" in str(records[0].exc_info[1])


async def test_tick_runs_the_auto_renew_job(settings, demo, clock):
    account = await buy(clock)
    await renewal.set_auto_renew(account, "on", 1, clock.now())
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSOLE_")}
    env.update(CONSOLE_DATABASE_URL=settings.database_url, CONSOLE_NOW="2024-01-25T10:30:00+08:00")
    for expected in ("auto_renewed: 1", "auto_renewed: 0"):
        result = subprocess.run(
            [sys.executable, "-m", "web.cli", "tick"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        assert expected in result.stdout
    assert await Outbox.count().where(Outbox.subject == "自动续费成功") == 1


async def test_the_language_switch_after_a_posted_preview_keeps_the_term(client, demo, clock):
    await buy(clock)
    await sign_in(client, "partner-b-buyer")
    response = await post_form(
        client, "/plan/renew", {"months": "24", "action": "preview", "request_key": "k"}, token_from="/plan/renew"
    )
    assert 'href="/lang/en?next=/plan/renew%3Fmonths%3D24"' in response.text
