"""Tickets within the monthly technical quota (SPEC.md §6): validation, the quota by level, the month boundary in
Beijing time, race-free counting, and the 工单 page over HTTP."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.enums import TicketStatus
from models.services import tickets
from models.services.accounts import account_by_login
from models.services.errors import Conflict
from models.services.plans import plan_state
from models.tables import Period, Ticket
from tests.helpers.http import post_form, sign_in
from tests.helpers.plans import buy_packs, buy_plan
from tests.helpers.times import START, bj
from web.clock import clock_from_env


async def submit(account: dict, now: datetime, kind: str = "technical", title: str | None = None, **fields):
    submit.n += 1
    return await tickets.submit(
        account,
        kind=kind,
        severity=fields.get("severity", "general"),
        title=title or f"工单 {submit.n}",
        description=fields.get("description", "描述"),
        now=now,
    )


submit.n = 0


async def technical(partner_id: int) -> int:
    return await Ticket.count().where((Ticket.partner == partner_id) & (Ticket.kind == "technical"))


async def use_up(account: dict, count: int, now: datetime) -> None:
    for _ in range(count):
        await submit(account, now)


# ------------------------------------------------------------------------------------------------ validation


def test_a_good_ticket_is_cleaned():
    assert tickets.check("business", "down", "  标题  ", "第一行\r\n第二行\n") == (
        "business",
        "down",
        "标题",
        "第一行\n第二行",
    )
    assert tickets.check("business", "down", "a\x00b", "c")[2] == "ab"  # PostgreSQL cannot store NUL


@pytest.mark.parametrize(
    "fields, bad",
    [
        (("", "down", "t", "d"), {"kind"}),
        (("other", "down", "t", "d"), {"kind"}),
        (("technical", "fatal", "t", "d"), {"severity"}),
        (("technical", "down", "", "d"), {"title"}),
        (("technical", "down", "   ", "d"), {"title"}),
        (("technical", "down", "x" * 201, "d"), {"title"}),
        (("technical", "down", "t", ""), {"description"}),
        (("technical", "down", "t", "x" * 20_000), {"description"}),
        ((None, None, None, None), {"kind", "severity", "title", "description"}),
    ],
)
def test_bad_input_names_every_bad_field(fields, bad):
    with pytest.raises(tickets.InvalidTicket) as refused:
        tickets.check(*fields)
    assert {p.field for p in refused.value.problems} == bad
    assert refused.value.status_code == 400


def test_the_limits_are_inclusive_and_a_line_break_is_one_character():
    assert tickets.check("business", "down", "x" * 200, "x" * 10_000)[2:] == ("x" * 200, "x" * 10_000)
    description = "\r\n".join(["x" * 99] * 100)  # 9,900 + 99 line breaks: 9,999 characters once CRLF is LF
    assert len(tickets.check("business", "down", "t", description)[3]) == 9_999


@given(st.text(max_size=250))
def test_any_title_is_either_kept_or_refused_with_a_reason(title):
    try:
        kept = tickets.check("business", "general", title, "d")[2]
    except tickets.InvalidTicket as exc:
        assert [p.field for p in exc.problems] == ["title"]
        cleaned = title.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n").strip()
        assert not cleaned or len(cleaned) > 200
    else:
        assert 1 <= len(kept) <= 200 and kept == kept.strip()


def test_severities_carry_the_plans_response_targets():
    standard = {c.key: c.response_minutes for c in tickets.severity_choices("standard")}
    assert standard == {"down": 30, "impaired": 180, "system": 240, "general": 960}
    assert [c.response_minutes for c in tickets.severity_choices("premium")] == [15, 60, 120, 480]
    assert [c.response_minutes for c in tickets.severity_choices("basic")] == [None] * 4


async def test_nothing_is_created_from_bad_input(demo):
    account = await account_by_login("partner-a-ops")
    for title, description in [("", "d"), ("t", "x" * 20_000), ("x" * 201, "d")]:
        with pytest.raises(tickets.InvalidTicket):
            await tickets.submit(
                account, kind="business", severity="down", title=title, description=description, now=START
            )
    assert await Ticket.count() == 0


# ------------------------------------------------------------------------------------------ quota by level


async def test_standard_allows_30_technical_tickets_then_refuses_but_business_goes_on(demo):
    account = await buy_plan()
    await use_up(account, 30, START)
    with pytest.raises(tickets.QuotaUsedUp) as refused:
        await submit(account, START)
    assert refused.value.status_code == 409 and refused.value.field == "kind" and "30" in str(refused.value)
    assert await technical(account.partner) == 30
    _, created = await submit(account, START, kind="business")
    assert created
    state = await plan_state(account.partner, START)
    assert (state.tickets_used, state.quota, state.tickets_left) == (30, 30, 0)


async def test_a_pack_bought_when_used_up_lets_10_more_through(demo):
    account = await buy_plan()
    await use_up(account, 30, START)
    await buy_packs(account, 1, START + timedelta(hours=1))
    await use_up(account, 10, START + timedelta(hours=2))
    with pytest.raises(tickets.QuotaUsedUp):
        await submit(account, START + timedelta(hours=2))
    assert await technical(account.partner) == 40


async def test_basic_has_no_technical_tickets(demo):
    account = await account_by_login("partner-a-ops")
    with pytest.raises(tickets.QuotaUsedUp) as refused:
        await submit(account, START)
    assert "基础级" in refused.value.message
    _, created = await submit(account, START, kind="business")
    assert created and await Ticket.count() == 1


async def test_premium_is_not_capped(demo):
    account = await buy_plan(level="premium")
    await use_up(account, 35, START)
    assert await technical(account.partner) == 35
    assert (await plan_state(account.partner, START)).quota is None


async def test_the_quota_is_the_companys_shared_by_its_accounts(demo):
    ops = await buy_plan("partner-a-ops")
    main = await account_by_login("partner-a")
    await use_up(ops, 29, START)
    await submit(main, START)
    with pytest.raises(tickets.QuotaUsedUp):
        await submit(ops, START)
    listed = await tickets.list_for_partner(ops.partner)
    assert len(listed) == 30 and listed[0].login == "partner-a" and listed[1].login == "partner-a-ops"


# ------------------------------------------------------------------------------ the month, in Beijing time


async def test_the_quota_resets_at_midnight_on_the_1st_beijing_time(demo):
    account = await buy_plan(months=3)
    await use_up(account, 30, bj(2024, 1, 31, 23, 59, 59))
    with pytest.raises(tickets.QuotaUsedUp):
        await submit(account, datetime(2024, 1, 31, 15, 59, 59, tzinfo=UTC))  # still January in Beijing
    # 23:30 UTC on the 31st is 07:30 on 1 February in Beijing: a new month, 30 again
    await submit(account, datetime(2024, 1, 31, 23, 30, tzinfo=UTC))
    february = await plan_state(account.partner, bj(2024, 2, 1, 8, 0))
    assert (february.tickets_used, february.quota) == (1, 30)
    january = await plan_state(account.partner, bj(2024, 1, 31, 23, 59, 59))
    assert (january.tickets_used, january.quota) == (30, 30)


async def test_a_ticket_in_the_last_second_of_the_month_counts_in_that_month(demo):
    account = await buy_plan(months=3)
    await submit(account, bj(2024, 1, 31, 23, 59, 59, 700_000))
    assert (await plan_state(account.partner, bj(2024, 1, 31, 12, 0))).tickets_used == 1
    assert (await plan_state(account.partner, bj(2024, 2, 1, 0, 0))).tickets_used == 0


async def test_packs_paid_on_the_last_day_lapse_at_midnight(demo):
    account = await buy_plan(months=3)
    last_day = bj(2024, 1, 31, 20, 0)
    await use_up(account, 30, last_day)
    await buy_packs(account, 1, last_day)
    await use_up(account, 10, last_day + timedelta(hours=1))
    with pytest.raises(tickets.QuotaUsedUp):
        await submit(account, bj(2024, 1, 31, 23, 59, 59))
    await use_up(account, 30, bj(2024, 2, 1, 0, 0))  # February: 30, the pack is gone
    with pytest.raises(tickets.QuotaUsedUp):
        await submit(account, bj(2024, 2, 1, 0, 1))


async def test_a_technical_ticket_in_the_second_the_plan_was_paid_is_accepted(demo):
    """One time resolution: a plan paid at a fractional moment and a ticket sent at that very moment (a caller that
    passes such a moment to both) — the ticket is not older than the plan, so it is not refused as Basic."""
    paid_at = START + timedelta(microseconds=400_000)
    account = await buy_plan(now=paid_at)
    ticket_id, created = await submit(account, paid_at)
    assert created
    period = await Period.select().first()
    ticket = await Ticket.select().where(Ticket.id == ticket_id).first()
    assert period["start"] == ticket["created_at"] == paid_at


async def test_a_fractional_pinned_clock_still_gets_technical_tickets(client, demo, clock):
    """CONSOLE_NOW with a fraction: the clock hands out whole seconds, so everything stored in one request is the
    same moment, and the plan it bought takes technical tickets at once (over HTTP, with the app's clock)."""
    assert clock_from_env("2024-01-01T10:30:00.5+08:00").now() == START
    clock.moment = START + timedelta(microseconds=999_999)
    assert clock.now() == START
    await sign_in(client, "partner-a-ops")
    await buy_plan(now=clock.now())
    posted = await post_form(client, "/tickets", form())
    assert posted.status_code == 303, posted.text
    period = await Period.select().first()
    ticket = await Ticket.select().first()
    assert period["start"] == ticket["created_at"] == START and ticket["kind"] == "technical"


# -------------------------------------------------------------------------------------------------- races


async def test_two_submissions_of_the_last_unit_leave_one_ticket(demo):
    account = await buy_plan()
    await use_up(account, 29, START)
    results = await asyncio.gather(
        submit(account, START, title="标签页一"), submit(account, START, title="标签页二"), return_exceptions=True
    )
    created = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(created) == 1 and len(refused) == 1 and isinstance(refused[0], tickets.QuotaUsedUp), results
    assert await technical(account.partner) == 30


async def test_many_concurrent_submissions_never_overrun_the_quota(demo):
    account = await buy_plan()
    await use_up(account, 27, START)
    results = await asyncio.gather(
        *(submit(account, START, title=f"并发 {i}") for i in range(8)), return_exceptions=True
    )
    assert sum(isinstance(r, tuple) for r in results) == 3
    assert all(isinstance(r, (tuple, Conflict)) for r in results), results
    assert await technical(account.partner) == 30


async def test_the_same_ticket_sent_twice_is_filed_once(demo):
    account = await buy_plan()
    first = await submit(account, START, title="重复")
    again = await tickets.submit(
        account,
        kind="technical",
        severity="general",
        title="重复",
        description="描述",
        now=START + timedelta(seconds=3),
    )
    assert first[1] and again == (first[0], False)
    later = await tickets.submit(
        account,
        kind="technical",
        severity="general",
        title="重复",
        description="描述",
        now=START + timedelta(minutes=10),
    )
    assert later[1] and await Ticket.count() == 2


# ----------------------------------------------------------------------------------------------------- HTTP


def form(**fields) -> dict:
    return {
        "kind": "technical",
        "severity": "down",
        "title": "控制台无法登录",
        "description": "生产环境报错。",
        **fields,
    }


async def test_the_tickets_page_offers_the_plans_severities(client, demo):
    await sign_in(client, "partner-a-ops")
    basic = await client.get("/tickets")
    assert basic.status_code == 200 and "0（基础级仅支持业务类工单）" in basic.text
    assert 'value="technical" disabled' in basic.text and "生产系统不可用</label>" in basic.text
    await buy_plan()
    page = await client.get("/tickets")
    for label in (
        "技术类",
        "业务类",
        "生产系统不可用（响应时间30分钟）",
        "生产系统异常（响应时间3小时）",
        "系统异常（响应时间4小时）",
        "一般性故障（响应时间16小时）",
        "标题",
        "问题描述",
        "提交工单",
        "已用 0 / 共 30",
        "2024/01/31 23:59:59",
    ):
        assert label in page.text, label
    assert "<legend>工单类型</legend>" in page.text and "<legend>严重性</legend>" in page.text


async def test_a_ticket_is_submitted_and_listed(client, demo):
    await sign_in(client, "partner-a-ops")
    await buy_plan()
    posted = await post_form(client, "/tickets", form())
    [ticket_id] = [row["id"] for row in await Ticket.select(Ticket.id)]
    assert posted.status_code == 303 and posted.headers["location"] == f"/tickets/{ticket_id}"  # its own page
    opened = await client.get(posted.headers["location"])
    assert opened.status_code == 200 and "已提交" in opened.text and "控制台无法登录" in opened.text
    page = await client.get("/tickets")
    assert "控制台无法登录" in page.text and "已用 1 / 共 30" in page.text
    assert "partner-a-ops" in page.text and "2024/01/01 10:30:00" in page.text
    assert f'<a href="/tickets/{ticket_id}">控制台无法登录</a>' in page.text and "待受理" in page.text
    await sign_in(client, "partner-a")  # the company's main account sees it too (one shared quota)
    assert "控制台无法登录" in (await client.get("/tickets")).text


async def test_bad_input_is_a_400_with_messages_at_the_fields_and_nothing_created(client, demo):
    await sign_in(client, "partner-a-ops")
    await buy_plan()
    for fields, field_id, words in [
        (form(title=""), "title-error", "请输入标题"),
        (form(title="   "), "title-error", "请输入标题"),
        (form(description="x" * 20_000), "description-error", "10,000"),
        (form(kind=""), "kind-error", "请选择工单类型"),
        (form(severity="urgent"), "severity-error", "请选择严重性"),
    ]:
        response = await post_form(client, "/tickets", fields)
        assert response.status_code == 400, fields
        assert f'id="{field_id}"' in response.text and words in response.text and "error-summary" in response.text
        assert "<title>错误：" in response.text
    assert await Ticket.count() == 0
    kept = await post_form(client, "/tickets", form(title="", description="保留的描述"))
    assert "保留的描述</textarea>" in kept.text  # what was typed stays in the form


async def test_used_up_refuses_a_technical_ticket_and_links_to_packs(client, demo):
    await sign_in(client, "partner-a-ops")
    account = await buy_plan()
    await use_up(account, 30, START)
    page = await client.get("/tickets")
    assert "已用 30 / 共 30" in page.text and 'href="/plan/packs"' in page.text
    # 技术类 says so itself (its description, which links to the packs) and stays enabled: the server explains
    radio = re.search(r'<input type="radio" id="kind" [^>]*>', page.text).group(0)
    assert "disabled" not in radio and 'aria-describedby="kind-item-hint"' in radio
    hint = re.search(r'<p class="hint" id="kind-item-hint">(.*?)</p>', page.text, re.S).group(1)
    assert "本月配额已用完（共 30 个）" in hint and '<a href="/plan/packs">购买工单增购包</a>' in hint
    refused = await post_form(client, "/tickets", form())
    assert refused.status_code == 409
    assert "本月技术类工单配额（30个）已用完" in refused.text and 'id="kind-error"' in refused.text
    assert 'href="/plan/packs"' in refused.text and "购买工单增购包" in refused.text
    assert await technical(account.partner) == 30
    business = await post_form(client, "/tickets", form(kind="business"))
    assert business.status_code == 303


async def test_basic_refuses_technical_without_offering_packs(client, demo):
    await sign_in(client, "partner-a-ops")
    refused = await post_form(client, "/tickets", form())
    assert refused.status_code == 409 and "基础级合作伙伴支持计划仅支持业务类工单" in refused.text
    assert 'href="/plan/packs"' not in refused.text
    assert await Ticket.count() == 0


async def test_tickets_need_a_signed_in_account(client, demo):
    response = await client.get("/tickets", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


# ---------------------------------------------------------------------------------------------- one ticket


async def test_a_ticket_has_its_own_page_with_status_and_response_target(client, demo):
    await sign_in(client, "partner-a-ops")
    await buy_plan()
    posted = await post_form(client, "/tickets", form(severity="impaired", description="第一行\n第二行 <b>"))
    page = await client.get(posted.headers["location"])
    assert page.status_code == 200
    for words in (
        "工单 #1：控制台无法登录",  # the heading
        '<span class="tag tag-pending">待受理</span>',
        "技术类",
        "生产系统异常",
        "3小时（标准级服务项）",  # the response target of the plan's service items for this severity
        "partner-a-ops",
        "2024/01/01 10:30:00",
        "第一行<br>第二行 &lt;b&gt;",  # line breaks kept, markup escaped
    ):
        assert words in page.text, words
    assert await tickets.set_status(1, TicketStatus.IN_PROGRESS)
    assert '<span class="tag tag-current">处理中</span>' in (await client.get("/tickets/1")).text
    assert await tickets.set_status(1, TicketStatus.RESOLVED)
    assert "已解决" in (await client.get("/tickets/1")).text and "已解决" in (await client.get("/tickets")).text
    assert not await tickets.set_status(99, TicketStatus.RESOLVED)


async def test_a_basic_plans_business_ticket_page_says_no_response_target(client, demo):
    await sign_in(client, "partner-a-ops")
    posted = await post_form(client, "/tickets", form(kind="business"))
    page = await client.get(posted.headers["location"])
    assert "业务类" in page.text and "基础级合作伙伴支持计划不承诺响应时间。" in page.text


async def test_another_companys_ticket_or_a_made_up_id_is_not_found(client, demo):
    await sign_in(client, "partner-a-ops")
    posted = await post_form(client, "/tickets", form(kind="business"))
    await sign_in(client, "partner-a")  # the same company sees it
    assert (await client.get(posted.headers["location"])).status_code == 200
    await sign_in(client, "partner-b-buyer")
    for path in (posted.headers["location"], "/tickets/0", "/tickets/99999999999", "/tickets/abc", "/tickets/１"):
        assert (await client.get(path)).status_code == 404, path
