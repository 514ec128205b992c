"""Reminders by the scheduled job (issue 15, SPEC.md §16), once each however many runs race: 30, 7 and 1 days before
the chain's end (whether auto-renew is on and from whose balance), before each auto-renew charge, after each failed
attempt with the end date; the main account gets its members' reminders. The demo's 立即执行定时任务 runs one
company's jobs at that browser's time."""

from __future__ import annotations

import asyncio

from models.db import write_transaction
from models.enums import Channel, NotificationKind
from models.services import ledger, renewal
from models.services.accounts import account_by_login
from models.services.jobs import run_due
from models.services.plans import plan_state
from models.tables import Outbox, ReminderSent, SupportOrder
from tests.helpers.demo_clock import set_test_clock
from tests.helpers.http import post_form, sign_in
from tests.helpers.renewals import buy
from tests.helpers.times import bj
from web import scheduler

# The demo's partner-b-buyer (a member of partner-b) buys a month at 2024/01/01 10:30: it ends 2024/02/01 23:59:59.
END_TEXT = "2024/02/01 23:59:59"


async def reminders_of(login: str) -> list[dict]:
    account = await account_by_login(login)
    return await (
        Outbox.select(Outbox.subject, Outbox.body, Outbox.created_at)
        .where(
            (Outbox.account == account.id)
            & (Outbox.kind == NotificationKind.REMINDER)
            & (Outbox.channel == Channel.INBOX)
        )
        .order_by(Outbox.id)
    )


async def test_30_7_and_1_days_before_the_end_once_each_to_the_member_and_its_main_account(demo, clock):
    await buy(clock)
    sent = []
    for moment in (
        bj(2024, 1, 2, 23, 0),  # 31 days before: nothing yet
        bj(2024, 1, 3, 9, 0),
        bj(2024, 1, 3, 9, 1),
        bj(2024, 1, 20, 9, 0),
        bj(2024, 1, 26, 9, 0),
        bj(2024, 1, 27, 9, 0),
        bj(2024, 2, 1, 9, 0),
        bj(2024, 2, 1, 23, 0),
        bj(2024, 2, 2, 9, 0),  # ended
    ):
        clock.moment = moment
        sent.append((await run_due(clock.now()))["reminders_sent"])
    assert sent == [0, 1, 0, 0, 1, 0, 1, 0, 0]
    for login in ("partner-b-buyer", "partner-b"):
        got = await reminders_of(login)
        assert [r["subject"] for r in got] == [
            "支持计划将在30天内到期",
            "支持计划将在7天内到期",
            "支持计划将在1天内到期",
        ]
        assert all(END_TEXT in r["body"] and "自动续费未开启" in r["body"] for r in got)
    assert await reminders_of("partner-b-other") == []  # another member of the company: not its plan's buyer


async def test_a_late_first_run_sends_only_the_window_it_is_in(demo, clock):
    await buy(clock)
    clock.moment = bj(2024, 1, 31, 9, 0)  # inside the 7-day window: the 30-day reminder is past
    assert (await run_due(clock.now()))["reminders_sent"] == 1
    assert [r["subject"] for r in await reminders_of("partner-b")] == ["支持计划将在7天内到期"]


async def test_concurrent_ticks_send_each_reminder_once(demo, clock, settings):
    from web.app import create_app

    await buy(clock)
    await buy(clock, "partner-a-ops")
    app = create_app(settings)
    clock.moment = bj(2024, 1, 26, 9, 0)
    results = await asyncio.gather(*[scheduler.run_once(app) for _ in range(5)])
    assert all(r is not None for r in results)
    assert sum(r["reminders_sent"] for r in results) == 2
    assert await ReminderSent.count() == 2
    for login in ("partner-b", "partner-b-buyer", "partner-a", "partner-a-ops"):
        assert [r["subject"] for r in await reminders_of(login)] == ["支持计划将在7天内到期"]


async def empty_balance(account, clock) -> None:
    order_id = (await SupportOrder.select(SupportOrder.id).first())["id"]
    async with write_transaction():
        await ledger.debit(account.id, await ledger.balance(account.id), clock.now(), order_id=order_id)


async def test_with_auto_renew_before_each_charge_and_after_each_failure(demo, clock):
    account = await buy(clock)
    await renewal.set_auto_renew(account, "on", 1, clock.now())
    clock.moment = bj(2024, 1, 10, 9, 0)
    await run_due(clock.now())
    [thirty] = await reminders_of("partner-b")
    assert "自动续费已开启" in thirty["body"] and "从帐号 partner-b-buyer 的余额" in thirty["body"]
    await empty_balance(account, clock)

    clock.moment = bj(2024, 1, 24, 14, 59)  # the first attempt is 2024/01/25 03:00; the notice 12 hours before
    assert (await run_due(clock.now()))["reminders_sent"] == 0
    clock.moment = bj(2024, 1, 24, 15, 0)
    assert (await run_due(clock.now()))["reminders_sent"] == 1
    notice = (await reminders_of("partner-b-buyer"))[-1]
    assert notice["subject"] == "自动续费即将扣款"
    assert (
        "2024/01/25 03:00:00" in notice["body"] and "¥8,500.00" in notice["body"] and "当前余额 ¥0.00" in notice["body"]
    )

    clock.moment = bj(2024, 1, 25, 3, 0)
    done = await run_due(clock.now())
    assert done["auto_renew_failed"] == 1
    failure = (await reminders_of("partner-b-buyer"))[-1]
    assert failure["subject"] == "自动续费失败：余额不足" and END_TEXT in failure["body"]
    assert (await reminders_of("partner-b"))[-1]["subject"] == "自动续费失败：余额不足"  # the main account too

    clock.moment = bj(2024, 1, 25, 15, 0)  # the notice before the next day's retry
    assert (await run_due(clock.now()))["reminders_sent"] == 1
    assert "2024/01/26 03:00:00" in (await reminders_of("partner-b"))[-1]["body"]
    subjects = [r["subject"] for r in await reminders_of("partner-b")]
    assert subjects.count("自动续费即将扣款") == 2 and subjects.count("自动续费失败：余额不足") == 1


async def test_a_success_is_a_payment_result_linked_to_its_order(demo, clock):
    account = await buy(clock)
    await renewal.set_auto_renew(account, "on", 1, clock.now())
    clock.moment = bj(2024, 1, 25, 3, 0)
    assert (await run_due(clock.now()))["auto_renewed"] == 1
    row = await Outbox.select().where((Outbox.subject == "自动续费成功") & (Outbox.channel == Channel.INBOX)).first()
    order = await SupportOrder.select(SupportOrder.id).where(SupportOrder.kind == "renewal").first()
    assert row["kind"] == NotificationKind.PAYMENT_RESULT and row["order_id"] == order["id"]


async def test_the_demo_button_runs_this_companys_jobs_at_this_browsers_time(client, demo, clock):
    await buy(clock)
    await buy(clock, "partner-a-ops")
    await sign_in(client, "partner-b-buyer")
    await set_test_clock(client, bj(2024, 1, 26, 9, 0))
    response = await post_form(client, "/demo/clock/run-jobs", {}, token_from="/demo/clock")
    assert response.status_code == 303
    page = await client.get("/demo/clock")
    assert "发送提醒 1 条" in page.text
    assert [r["subject"] for r in await reminders_of("partner-b-buyer")] == ["支持计划将在7天内到期"]
    assert await reminders_of("partner-a-ops") == []  # another company: untouched
    inbox = (await client.get("/messages")).text
    assert "支持计划将在7天内到期" in inbox and END_TEXT in inbox
    assert (await plan_state((await account_by_login("partner-a-ops")).partner, clock.now())).current is not None


async def test_the_demo_button_needs_a_signed_in_account(client, demo):
    response = await post_form(client, "/demo/clock/run-jobs", {}, token_from="/demo/clock")
    assert response.status_code == 303
    assert "请先登录" in (await client.get("/demo/clock")).text
    assert await ReminderSent.count() == 0
