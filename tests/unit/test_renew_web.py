"""续费管理 and the auto-renew setting through HTTP; the scheduler and `tick` that run the auto-renew job."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

from litestar.testing import AsyncTestClient

from models.services import changes, orders, payments, renewal, unsubscribe
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
    assert '<option value="1" selected>1个月</option>' in full.text
    assert '<option value="36" class="unpreviewed">3年</option>' in full.text
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


# ------------------------------------------------------------------------- the page's look and stale tabs

FIELD_RE = re.compile(r'<input type="hidden" name="(request_key|previewed|renews|renews_level)" value="([^"]*)">')


def fields_of(page_text: str) -> dict[str, str]:
    return dict(FIELD_RE.findall(page_text))


async def renew_form(client, months: str = "1") -> dict[str, str]:
    page = await client.get(f"/plan/renew?months={months}")
    assert page.status_code == 200, page.text
    return {**fields_of(page.text), "months": months}


async def test_the_page_has_its_header_steps_and_a_price_bar_naming_the_term(client, demo, clock):
    await ends_on_jan_31(clock)
    await sign_in(client, "partner-b-buyer")
    page = await client.get("/plan/renew")
    text = page.text
    assert '<nav aria-label="面包屑">' in text and '<a href="/plan">支持计划</a>' in text
    assert '<span aria-current="page">续费管理</span>' in text and "<h1>续费管理</h1>" in text
    assert re.search(
        r'<li aria-current="step">\s*<span class="step-num" aria-hidden="true">1</span>\s*<span>服务选型', text
    )
    assert '<div class="price-bar">' in text and text.index('class="price-bar"') < text.index(">去支付</button>")
    # One name for the number the next step asks: 应付金额 (the payment page's), not 续费金额.
    assert '<span class="amount-label">应付金额</span> <span class="amount">¥8,500.00</span>' in text
    assert "续费金额" not in text
    # The preview names the level and term it was computed for; every other term is marked unpreviewed.
    assert 'data-previewed-months="1"' in text and "标准级，1个月，自 2024/02/01 00:00:00 起" in text
    options = re.findall(r'<option value="(\d+)"( selected)?( class="unpreviewed")?>', text)
    assert [(v, bool(c)) for v, _, c in options] == [(v, v != "1") for v, _, _ in options] and len(options) == 14
    assert "续费时长已更改，以上金额尚未按新的时长计算" in text and 'class="stale-note"' in text
    assert fields_of(text)["previewed"] == "1" and fields_of(text)["renews_level"] == "standard"
    assert 'src="/static/renew.js?v=' in text
    # The htmx block for another term names that term and carries it back.
    block = await client.get("/plan/renew?months=24", headers={"HX-Request": "true"})
    assert 'data-previewed-months="24"' in block.text and "标准级，2年，自" in block.text
    assert fields_of(block.text)["previewed"] == "24"


async def test_go_to_pay_for_a_term_the_amount_was_not_computed_for_shows_the_amount_first(client, demo, clock):
    """Without JavaScript: 续费时长 changed to 2个月 after the 1个月 amount was shown, then 去支付 at once."""
    await ends_on_jan_31(clock)
    await sign_in(client, "partner-b-buyer")
    form = await renew_form(client)
    changed = await post_form(client, "/plan/renew", {**form, "months": "2", "action": "pay"}, token_from="/plan/renew")
    assert changed.status_code == 200 and await renewal_orders() == 0
    assert "应付金额已按续费时长2个月重新计算，尚未创建订单" in changed.text
    assert '<span class="amount">¥17,000.00</span>' in changed.text
    assert '<option value="2" selected>2个月</option>' in changed.text
    assert '<option value="1" class="unpreviewed">1个月</option>' in changed.text
    again = await post_form(
        client, "/plan/renew", {**fields_of(changed.text), "months": "2", "action": "pay"}, token_from="/plan/renew"
    )
    assert again.status_code == 303 and await renewal_orders() == 1
    order = await SupportOrder.select().where(SupportOrder.kind == "renewal").first()
    assert (order["months"], order["due_fen"]) == (2, 1_700_000)


async def test_a_stale_tab_after_the_plan_was_unsubscribed_is_told_so(client, demo, clock):
    account = await ends_on_jan_31(clock)
    clock.moment = bj(2024, 1, 10, 10, 0)
    await sign_in(client, "partner-b-buyer")
    form = await renew_form(client)
    quote = await unsubscribe.quote(account, clock.now(), 10)  # another tab unsubscribes
    await unsubscribe.submit(
        account,
        reason="test_done",
        comment="",
        confirmed=True,
        period_key=quote.period_key,
        computed_at=quote.computed_at,
        shown=quote.shown,
        now=clock.now(),
        quota=10,
    )
    stale = await post_form(client, "/plan/renew", {**form, "action": "pay"}, token_from="/plan")
    assert stale.status_code == 409 and await renewal_orders() == 0
    assert "location" not in stale.headers
    assert "续费未提交：支持计划已发生变化" in stale.text
    assert "该支持计划已退订，此页面上的续费未提交，未创建订单。" in stale.text
    assert 'href="/plan"' in stale.text and 'href="/plan/change"' in stale.text and ">去支付</button>" not in stale.text


async def test_a_stale_tab_after_another_renewal_is_told_the_new_end_and_shown_the_new_amount(client, demo, clock):
    account = await ends_on_jan_31(clock)
    clock.moment = bj(2024, 1, 10, 10, 0)
    await sign_in(client, "partner-b-buyer")
    form = await renew_form(client)
    other = await renewal.place(account, 1, "other-tab", clock.now())  # another tab renews and pays
    await payments.settle(other, clock.now(), payer_id=account.id)
    stale = await post_form(client, "/plan/renew", {**form, "action": "pay"}, token_from="/plan")
    assert stale.status_code == 409 and await renewal_orders() == 1
    assert "自此页面显示以来，支持计划已续费，当前到期时间为 2024/02/29 23:59:59。未创建订单" in stale.text
    assert "2024/03/29 23:59:59" in stale.text  # the fresh preview: renewing after the new end
    fresh = await post_form(
        client, "/plan/renew", {**fields_of(stale.text), "months": "1", "action": "pay"}, token_from="/plan"
    )
    assert fresh.status_code == 303 and await renewal_orders() == 2


async def test_a_stale_tab_after_an_upgrade_is_told_the_plan_changed(client, demo, clock):
    account = await buy(clock)
    clock.advance(days=3)
    await sign_in(client, "partner-b-buyer")
    form = await renew_form(client)
    assert '<span class="amount">¥8,500.00</span>' in (await client.get("/plan/renew")).text
    quoted = await changes.quote(account, changes.UPGRADE, clock.now())  # another tab upgrades
    upgrade = await changes.place_upgrade(account, quoted.quote_id, None, clock.now())
    await payments.choose(account, upgrade, "balance", None, clock.now())
    await payments.settle(upgrade, clock.now(), payer_id=account.id)
    stale = await post_form(client, "/plan/renew", {**form, "action": "pay"}, token_from="/plan")
    assert stale.status_code == 409 and await renewal_orders() == 0
    assert "自此页面显示以来，支持计划已发生变化（例如变更了规格）。未创建订单" in stale.text
    assert "尊享级" in stale.text and fields_of(stale.text)["renews_level"] == "premium"


async def test_the_same_form_sent_again_after_its_order_was_paid_finds_that_order(client, demo, clock):
    account = await ends_on_jan_31(clock)
    await sign_in(client, "partner-b-buyer")
    form = await renew_form(client)
    placed = await post_form(client, "/plan/renew", {**form, "action": "pay"}, token_from="/plan")
    order_id = placed.headers["location"].split("/")[2]
    await payments.settle(order_id, clock.now(), payer_id=account.id)
    again = await post_form(client, "/plan/renew", {**form, "action": "pay"}, token_from="/plan")
    assert again.status_code == 303 and again.headers["location"] == placed.headers["location"]
    assert await renewal_orders() == 1


async def test_renew_and_unsubscribe_raced_from_two_tabs(racer, demo, clock):
    """去支付 on 续费管理 and 退订 at once, 10 times each: the unsubscribe is done once; every renewal placed before it
    is a pending order its payment will refuse, every one after it a 409 saying the plan was unsubscribed."""
    account = await ends_on_jan_31(clock)
    clock.moment = bj(2024, 1, 10, 10, 0)
    await sign_in(racer, "partner-b-buyer")
    renew = await renew_form(racer)
    page = await racer.get("/plan/unsubscribe")
    unsub = dict(
        re.findall(r'<input type="hidden" name="(periods|computed_at|refund_fen|amounts)" value="([^"]*)">', page.text)
    )
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)

    async def send(kind: str, n: int):
        if kind == "renew":
            data = {**renew, "request_key": f"tab-{n}", "action": "pay"}
            return kind, await racer.post("/plan/renew", data={**data, "_csrf_token": token})
        data = {**unsub, "reason": "test_done", "confirm": "yes"}
        return kind, await racer.post("/plan/unsubscribe", data={**data, "_csrf_token": token})

    answers = await asyncio.gather(*(send(kind, n) for n in range(10) for kind in ("renew", "unsubscribe")))
    assert all(a.status_code in (303, 409) for _, a in answers), [(k, a.status_code) for k, a in answers]
    assert sum(1 for k, a in answers if k == "unsubscribe" and a.status_code == 303) == 1
    for kind, answer in answers:
        if answer.status_code == 409:
            expected = "该支持计划已退订，此页面上的续费未提交" if kind == "renew" else "该支持计划已退订"
            assert expected in answer.text, (kind, answer.text[-2000:])
    placed = [a for k, a in answers if k == "renew" and a.status_code == 303]
    assert await renewal_orders() == len(placed)
    assert (await plan_state(account.partner, clock.now())).level == "basic"
    for answer in placed:  # a renewal placed before the unsubscribe cannot be paid any more
        order_id = answer.headers["location"].split("/")[2]
        refused = await post_form(racer, f"/orders/{order_id}/pay", {"method": "balance", "coupon": ""})
        assert refused.status_code == 409
