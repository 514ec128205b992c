"""Whose balance auto-renew charges (SPEC.md §12): the account that switched it on, only if it may pay for the plan;
a payer that left the company or may no longer pay fails the attempt and nobody else is charged (issue 11, item 9).

The plan is bought on 2024/01/01 10:30 for a month: it ends 2024/02/01 23:59:59, attempts start on 2024/01/25."""

from __future__ import annotations

import pytest

from models.db import write_transaction
from models.services import accounts, ledger, renewal
from models.services.accounts import account_by_login
from models.services.errors import DomainError
from models.services.jobs import run_due
from models.services.plans import plan_state
from models.tables import Account, LedgerEntry, Outbox, Plan, RenewalAttempt, SupportOrder
from tests.helpers.http import post_form, sign_in
from tests.helpers.queries import balance
from tests.helpers.renewals import buy
from tests.helpers.times import bj

DEMO_BALANCE = 10_000_000  # ¥100,000.00 on every demo account
STANDARD_MONTH = 850_000


async def subjects(login: str) -> list[str]:
    account = await account_by_login(login)
    rows = await Outbox.select(Outbox.subject).where(Outbox.account == account.id).order_by(Outbox.id)
    return [r["subject"] for r in rows]


async def renewal_bodies(login: str) -> list[str]:
    account = await account_by_login(login)
    rows = await Outbox.select(Outbox.subject, Outbox.body).where(Outbox.account == account.id).order_by(Outbox.id)
    return [r["body"] for r in rows if r["subject"].startswith("自动续费")]


async def switch_on(login: str, months: int, clock) -> None:
    await renewal.set_auto_renew(await account_by_login(login), "on", months, clock.now())


async def plan_row(login: str) -> dict:
    account = await account_by_login(login)
    return await Plan.select().where(Plan.partner == account.partner).first()


async def renewal_charges() -> int:
    return await LedgerEntry.count().where(LedgerEntry.note == "renewal")


async def move_to_another_company(login: str, clock) -> None:
    """The payer no longer belongs to the partner: its account now belongs to another company."""
    await accounts.create_partner("partner-c", "demo-pass-2026", "另一家公司", clock.now(), certified=True)
    other = await account_by_login("partner-c")
    await Account.update({Account.partner: other.partner}).where(Account.login == login)


# ------------------------------------------------------------------------------------------ who pays


async def test_the_reported_case_a_member_switches_on_36_months_and_the_main_account_is_not_charged(demo, clock):
    """The campaign's case: the main account bought the plan, a member switched auto-renew on for 36 months."""
    await buy(clock, "partner-a")
    main = await account_by_login("partner-a")
    async with write_transaction():  # enough for ¥306,000.00: the main account's balance could pay, and must not
        await ledger.credit(main.id, 40_000_000, clock.now(), kind="top_up")
    await switch_on("partner-a-ops", 36, clock)
    member = await account_by_login("partner-a-ops")
    assert (await plan_row("partner-a"))["auto_renew_payer"] == member.id
    main_before = await balance("partner-a")
    clock.moment = bj(2024, 1, 25, 3, 0)
    assert (await run_due(clock.now()))["auto_renew_failed"] == 1
    assert await balance("partner-a") == main_before
    assert await balance("partner-a-ops") == DEMO_BALANCE
    assert await renewal_charges() == 0
    order = await SupportOrder.select().where(SupportOrder.kind == "renewal").first()
    assert order["account"] == member.id and order["status"] == "cancelled" and order["months"] == 36
    assert [a["outcome"] for a in await RenewalAttempt.select()] == ["insufficient"]
    for login in ("partner-a-ops", "partner-a"):  # the payer and the main account are told
        bodies = await renewal_bodies(login)
        assert len(bodies) == 1 and "帐号 partner-a-ops 的余额支付 ¥306,000.00" in bodies[0], login


async def test_a_member_switches_on_the_member_pays_and_the_main_balance_is_untouched(demo, clock):
    await buy(clock, "partner-a")
    await switch_on("partner-a-ops", 1, clock)
    clock.moment = bj(2024, 1, 25, 3, 0)
    assert (await run_due(clock.now()))["auto_renewed"] == 1
    assert await balance("partner-a-ops") == DEMO_BALANCE - STANDARD_MONTH
    assert await balance("partner-a") == DEMO_BALANCE - STANDARD_MONTH  # its own purchase only
    member = await account_by_login("partner-a-ops")
    order = await SupportOrder.select().where(SupportOrder.kind == "renewal").first()
    assert order["account"] == member.id and order["status"] == "paid" and order["auto"]
    charge = await LedgerEntry.select().where(LedgerEntry.order_id == order["id"]).first()
    assert charge["account"] == member.id and charge["amount_fen"] == -STANDARD_MONTH
    assert "自动续费成功" in await subjects("partner-a-ops")
    state = await plan_state(member.partner, clock.now())
    assert state.valid_until == bj(2024, 3, 1, 23, 59, 59)


async def test_the_main_account_switches_on_and_pays(demo, clock):
    await buy(clock, "partner-a-ops")  # bought by the member
    await switch_on("partner-a", 1, clock)
    main = await account_by_login("partner-a")
    assert (await plan_row("partner-a"))["auto_renew_payer"] == main.id
    clock.moment = bj(2024, 1, 26, 3, 0)
    assert (await run_due(clock.now()))["auto_renewed"] == 1
    assert await balance("partner-a") == DEMO_BALANCE - STANDARD_MONTH
    assert await balance("partner-a-ops") == DEMO_BALANCE - STANDARD_MONTH  # its purchase only


async def test_switching_on_again_makes_the_new_account_the_payer_and_off_clears_it(demo, clock):
    await buy(clock, "partner-a")
    await switch_on("partner-a", 1, clock)
    await switch_on("partner-a-ops", 2, clock)
    member = await account_by_login("partner-a-ops")
    state = await plan_state(member.partner, clock.now())
    assert state.auto_renew_payer == member.id and state.auto_renew_payer_login == "partner-a-ops"
    await renewal.set_auto_renew(member, "off", None, clock.now())
    state = await plan_state(member.partner, clock.now())
    assert not state.auto_renew and state.auto_renew_payer is None and state.auto_renew_payer_login is None


# ------------------------------------------------------------------------------------------ who may switch


async def test_a_member_who_may_not_pay_is_refused_and_nothing_changes(demo, clock):
    await buy(clock, "partner-b-buyer")  # non-certified partner: only the same-company member may pay
    await switch_on("partner-b-buyer", 1, clock)
    buyer = await account_by_login("partner-b-buyer")
    other = await account_by_login("partner-b-other")  # its company name differs from the main account's
    with pytest.raises(DomainError) as refused:
        await renewal.set_auto_renew(other, "on", 12, clock.now())
    assert refused.value.status_code == 403 and refused.value.field == "auto_renew"
    assert "公司名称" in str(refused.value)
    with pytest.raises(DomainError) as refused_off:
        await renewal.set_auto_renew(other, "off", None, clock.now())
    assert refused_off.value.status_code == 403 and refused_off.value.message == renewal.MAY_NOT_SWITCH_OFF
    row = await plan_row("partner-b-buyer")
    assert (row["auto_renew"], row["auto_renew_months"], row["auto_renew_payer"]) == (True, 1, buyer.id)
    main = await account_by_login("partner-b")  # may not pay (not certified) ...
    with pytest.raises(DomainError) as refused_main:
        await renewal.set_auto_renew(main, "on", 1, clock.now())
    assert refused_main.value.status_code == 403
    assert (await plan_row("partner-b"))["auto_renew_payer"] == buyer.id
    await renewal.set_auto_renew(main, "off", None, clock.now())  # ... but may always switch it off
    row = await plan_row("partner-b")
    assert not row["auto_renew"] and row["auto_renew_payer"] is None


async def test_the_payer_may_switch_off_after_it_may_no_longer_pay(demo, clock):
    await buy(clock, "partner-b-buyer")
    await switch_on("partner-b-buyer", 1, clock)
    await Account.update({Account.company_name: "别的公司"}).where(Account.login == "partner-b-buyer")
    await renewal.set_auto_renew(await account_by_login("partner-b-buyer"), "off", None, clock.now())
    assert not (await plan_row("partner-b-buyer"))["auto_renew"]


# ------------------------------------------------------------------------------------------ a payer that cannot pay


async def test_a_payer_removed_from_the_partner_fails_the_attempt_and_nobody_is_charged(demo, clock):
    await buy(clock, "partner-a")
    await switch_on("partner-a-ops", 1, clock)
    await move_to_another_company("partner-a-ops", clock)
    clock.moment = bj(2024, 1, 25, 3, 0)
    assert (await run_due(clock.now()))["auto_renew_failed"] == 1
    assert await balance("partner-a") == DEMO_BALANCE - STANDARD_MONTH
    assert await balance("partner-a-ops") == DEMO_BALANCE
    assert await SupportOrder.count().where(SupportOrder.kind == "renewal") == 0 and await renewal_charges() == 0
    attempts = await RenewalAttempt.select()
    assert [(a["outcome"], a["order_id"]) for a in attempts] == [("failed", None)]
    bodies = await renewal_bodies("partner-a")
    assert len(bodies) == 1 and "开启自动续费的帐号已不属于贵公司，未从任何帐号扣款" in bodies[0]
    assert "partner-a-ops" not in bodies[0] and "2024/02/01 23:59:59" in bodies[0]
    assert await renewal_bodies("partner-a-ops") == []  # another company's account hears nothing of this plan
    main = await account_by_login("partner-a")
    state = await plan_state(main.partner, clock.now())
    assert state.auto_renew and state.auto_renew_payer_login is None  # still on: the main account is told daily
    clock.moment = bj(2024, 1, 26, 3, 0)
    assert (await run_due(clock.now()))["auto_renew_failed"] == 1
    assert await balance("partner-a") == DEMO_BALANCE - STANDARD_MONTH and await renewal_charges() == 0
    await switch_on("partner-a", 1, clock)  # the main account takes over: the next attempt renews from its balance
    clock.moment = bj(2024, 1, 27, 3, 0)
    assert (await run_due(clock.now()))["auto_renewed"] == 1
    assert await balance("partner-a") == DEMO_BALANCE - 2 * STANDARD_MONTH


async def test_a_payer_that_may_no_longer_pay_fails_the_attempt_and_both_are_told(demo, clock):
    await buy(clock, "partner-b-buyer")
    await switch_on("partner-b-buyer", 1, clock)
    await Account.update({Account.company_name: "别的公司"}).where(Account.login == "partner-b-buyer")
    before = {login: await balance(login) for login in ("partner-b", "partner-b-buyer", "partner-b-other")}
    clock.moment = bj(2024, 1, 25, 3, 0)
    assert (await run_due(clock.now()))["auto_renew_failed"] == 1
    assert {login: await balance(login) for login in before} == before
    assert await SupportOrder.count().where(SupportOrder.kind == "renewal") == 0
    for login in ("partner-b-buyer", "partner-b"):
        bodies = await renewal_bodies(login)
        assert len(bodies) == 1, login
        assert "开启自动续费的帐号 partner-b-buyer 不能为支持计划付款" in bodies[0] and "未从任何帐号扣款" in bodies[0]
    assert await renewal_bodies("partner-b-other") == []


async def test_insufficient_balance_of_the_payer_tells_the_payer_and_the_main_account(demo, clock):
    await buy(clock, "partner-b-buyer")
    await switch_on("partner-b-buyer", 12, clock)  # ¥102,000.00 against ¥91,500.00
    clock.moment = bj(2024, 1, 25, 3, 0)
    assert (await run_due(clock.now()))["auto_renew_failed"] == 1
    assert await balance("partner-b") == DEMO_BALANCE and await renewal_charges() == 0
    for login in ("partner-b-buyer", "partner-b"):
        bodies = await renewal_bodies(login)
        assert len(bodies) == 1 and "余额不足，还差 ¥10,500.00" in bodies[0], login
    assert [a["outcome"] for a in await RenewalAttempt.select()] == ["insufficient"]


async def test_auto_renew_on_without_a_payer_charges_nobody(demo, clock):
    await buy(clock, "partner-a")
    await Plan.update({Plan.auto_renew: True, Plan.auto_renew_months: 1}, force=True)  # no payer recorded
    clock.moment = bj(2024, 1, 25, 3, 0)
    assert (await run_due(clock.now()))["auto_renew_failed"] == 1
    assert await balance("partner-a") == DEMO_BALANCE - STANDARD_MONTH and await renewal_charges() == 0
    assert len(await renewal_bodies("partner-a")) == 1


# ------------------------------------------------------------------------------------------ the pages say whose


async def test_the_pages_say_whose_balance_pays(client, demo, clock):
    await buy(clock, "partner-a")
    await sign_in(client, "partner-a-ops")
    on = await post_form(client, "/plan/auto-renew", {"auto_renew": "on", "auto_renew_months": "1"}, token_from="/plan")
    assert on.status_code == 303
    detail = await client.get("/plan")
    assert "自动续费已开启：到期前7天起从帐号 partner-a-ops 的余额自动续费1个月。" in detail.text
    setting = detail.text.split('id="auto-renew-title"')[1]
    assert "自动续费将从 partner-a-ops 的余额扣款。" in setting  # next to the control
    assert "<dt>自动续费扣款</dt><dd>自动续费将从 partner-a-ops 的余额扣款。</dd>" in detail.text  # and in the summary
    assert "将改为从当前帐号" not in detail.text  # the payer itself
    renew = await client.get("/plan/renew")
    assert "<dt>自动续费扣款</dt><dd>自动续费将从 partner-a-ops 的余额扣款。</dd>" in renew.text

    await sign_in(client, "partner-a")  # the main account sees whose balance, and what saving would change
    detail = await client.get("/plan")
    assert "自动续费将从 partner-a-ops 的余额扣款。" in detail.text
    assert "以当前帐号保存“开启”后，自动续费将改为从当前帐号（partner-a）的余额扣款。" in detail.text
    off = await post_form(
        client, "/plan/auto-renew", {"auto_renew": "off", "auto_renew_months": "1"}, token_from="/plan"
    )
    assert off.status_code == 303
    detail = await client.get("/plan")
    assert "自动续费扣款" not in detail.text and "的余额扣款" not in detail.text
    assert "自动续费扣款" not in (await client.get("/plan/renew")).text


async def test_a_refused_switch_is_a_403_next_to_the_control_and_changes_nothing(client, demo, clock):
    await buy(clock, "partner-b-buyer")
    await switch_on("partner-b-buyer", 1, clock)
    await sign_in(client, "partner-b-other")
    page = await client.get("/plan")
    assert "自动续费将从 partner-b-buyer 的余额扣款。" in page.text
    assert "将改为从当前帐号" not in page.text  # it may not pay: saving would not make it the payer
    refused = await post_form(
        client, "/plan/auto-renew", {"auto_renew": "on", "auto_renew_months": "36"}, token_from="/plan"
    )
    assert refused.status_code == 403
    assert 'id="auto_renew-error"' in refused.text and 'href="#auto_renew"' in refused.text
    assert "公司名称" in refused.text.split('id="auto_renew-error"')[1][:400]
    refused_off = await post_form(
        client, "/plan/auto-renew", {"auto_renew": "off", "auto_renew_months": "1"}, token_from="/plan"
    )
    assert refused_off.status_code == 403 and "不能更改自动续费设置" in refused_off.text
    buyer = await account_by_login("partner-b-buyer")
    row = await plan_row("partner-b-buyer")
    assert (row["auto_renew"], row["auto_renew_months"], row["auto_renew_payer"]) == (True, 1, buyer.id)


async def test_the_page_does_not_name_a_payer_that_left_the_company(client, demo, clock):
    await buy(clock, "partner-a")
    await switch_on("partner-a-ops", 1, clock)
    await move_to_another_company("partner-a-ops", clock)
    await sign_in(client, "partner-a")
    detail = await client.get("/plan")
    assert "开启自动续费的帐号已不属于贵公司，自动续费将不会扣款。请重新开启自动续费。" in detail.text
    assert "partner-a-ops" not in detail.text
