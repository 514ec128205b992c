"""The pack pages as issue 12 asks (§1, §2): the steps indicator, an invalid 增购包个数 marked on the field itself,
and a tab left open on a plan that is no longer Standard told why (a 4xx page with the reason, never a redirect)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from models.enums import PeriodStatus
from models.services import packs, payments
from models.services.accounts import account_by_login
from models.tables import Period, SupportOrder
from tests.helpers.http import post_form, sign_in
from tests.helpers.plans import buy_plan
from tests.helpers.times import START

BUYER = "partner-a-ops"


def count_input(html: str) -> str:
    return re.search(r'<input id="count"[^>]*>', html).group(0)


async def test_the_pack_page_is_step_1_and_its_confirmation_step_2(client, demo):
    await buy_plan(BUYER)
    await sign_in(client, BUYER)
    page = (await client.get("/plan/packs")).text
    assert '<ol class="steps"' in page and re.search(r'aria-current="step">\s*<span class="step-num"[^>]*>1<', page)
    assert '<span aria-current="page">购买工单增购包</span>' in page
    assert '<span class="amount-label">应付金额</span> <span class="amount">¥2,000.00</span>' in page
    assert "packs.js?v=" in page
    confirm = (await client.get("/plan/packs/confirm?count=2")).text
    assert re.search(r'aria-current="step">\s*<span class="step-num"[^>]*>2<', confirm)
    assert "<dt>应付金额</dt><dd>¥4,000.00</dd>" in confirm


@pytest.mark.parametrize("raw", ["0", "100", "abc", "1.5", ""])
async def test_an_invalid_count_marks_the_field_invalid_and_links_its_message(client, demo, raw):
    await buy_plan(BUYER)
    await sign_in(client, BUYER)
    response = await client.get(f"/plan/packs?count={raw}")
    assert response.status_code == 400
    field = count_input(response.text)
    assert 'aria-invalid="true"' in field and 'aria-describedby="count-hint count-error"' in field
    assert 'id="count-error"' in response.text and "1至99" in response.text
    assert '<div class="error-summary" role="alert"' in response.text and 'href="#count"' in response.text
    assert "disabled" not in response.text  # nothing is switched off: the buttons ask the server again
    assert "立即购买" in response.text and "计算费用" in response.text
    live = await client.get(f"/plan/packs?count={raw}", headers={"HX-Request": "true"})
    assert live.status_code == 200 and "<html" not in live.text  # htmx swaps it: the preview says what is wrong
    assert "data-count-error" in live.text and 'id="count-live-error"' in live.text


async def test_a_valid_count_is_not_marked(client, demo):
    await buy_plan(BUYER)
    await sign_in(client, BUYER)
    response = await client.get("/plan/packs?count=3")
    assert response.status_code == 200 and "aria-invalid" not in count_input(response.text)
    assert "error-summary" not in response.text


async def unsubscribe_elsewhere() -> None:
    """Another tab (or account) unsubscribed the plan: its periods are refunded."""
    await Period.update({Period.status: PeriodStatus.REFUNDED}).where(Period.id > 0)


@pytest.mark.parametrize(
    "change, words",
    [
        ("unsubscribed", "该支持计划已退订，不能购买工单增购包。"),
        ("upgraded", "该支持计划已升级为尊享级，技术类工单不限数量，无需购买工单增购包。"),
    ],
)
async def test_a_stale_tab_is_told_why_with_a_4xx_page_not_a_redirect(client, demo, change, words):
    await buy_plan(BUYER)
    await sign_in(client, BUYER)
    shown = await client.get("/plan/packs/confirm?count=1")  # the tab shows 订单确认 while the plan is Standard
    key = re.search(r'name="request_key" value="([^"]+)"', shown.text).group(1)
    if change == "unsubscribed":
        await unsubscribe_elsewhere()
    else:
        await upgrade_elsewhere()
    posted = await post_form(
        client, "/plan/packs/confirm", {"count": "1", "agree": "yes", "request_key": key}, token_from="/tickets"
    )
    assert posted.status_code == 409 and "location" not in posted.headers
    assert words in posted.text and 'href="/plan"' in posted.text and 'role="alert"' in posted.text
    assert await SupportOrder.count().where(SupportOrder.kind == "pack") == 0
    page = await client.get("/plan/packs?count=2")
    assert page.status_code == 409 and words in page.text
    live = await client.get("/plan/packs?count=2", headers={"HX-Request": "true"})
    assert live.status_code == 200 and words in live.text and 'href="/plan"' in live.text  # not a silent preview


async def upgrade_elsewhere() -> None:
    """The plan was upgraded to Premium (a paid upgrade order, the periods now Premium)."""
    account = await account_by_login(BUYER)
    await Period.update({Period.level: "premium"}).where(Period.id > 0)
    await SupportOrder.insert(
        SupportOrder(
            id="CSUPGRADE0001",
            account=account.id,
            partner=account.partner,
            kind="upgrade",
            level="premium",
            list_fen=1,
            due_fen=1,
            status="paid",
            created_at=START,
            paid_at=START,
        )
    )


async def test_a_plan_that_ran_out_says_so(client, demo):
    await buy_plan(BUYER)
    await sign_in(client, BUYER)
    await Period.update({Period.start: START - timedelta(days=40), Period.end: START - timedelta(days=9)}).where(
        Period.id > 0
    )
    page = await client.get("/plan/packs")
    assert page.status_code == 409 and "该支持计划已到期，不能购买工单增购包。" in page.text


async def test_a_pending_pack_order_of_a_plan_no_longer_standard_is_refused_with_the_reason(demo):
    account = await buy_plan(BUYER)
    order_id = await packs.place(account, 1, None, START)
    await unsubscribe_elsewhere()
    with pytest.raises(packs.NotStandard):
        await payments.settle(order_id, START, payer_id=account.id)
