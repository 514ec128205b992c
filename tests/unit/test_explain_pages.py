"""怎么算的 on the renew and pack pages (SPEC.md §14), the packs' lapse (§6) and the five-day window on /plan (§5)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from models.services.accounts import account_by_login
from models.services.plans import plan_state
from tests.helpers.http import sign_in
from tests.helpers.plans import buy_packs, buy_plan
from tests.helpers.times import START, bj
from web.plans.pages import DetailPage, five_day_for, five_day_window

BUYER = "partner-a-ops"


def explain_lines(html: str, details_id: str) -> tuple[list[Decimal], Decimal]:
    """The added lines' values (subtotals skipped) and the total of one 怎么算的 disclosure."""
    block = re.search(rf'<details class="explain" id="{details_id}">(.*?)</details>', html, re.S)
    assert block, f"no 怎么算的 disclosure #{details_id}"
    body = block.group(1)
    assert "<summary>怎么算的</summary>" in body
    rows = re.findall(
        r'<tr class="explain-(\w+)" data-kind="\w+">\s*<th scope="row">.*?</th>\s*<td class="num" data-value="([^"]+)">',
        body,
        re.S,
    )
    total = re.search(r'<tr class="explain-total">.*?data-value="([^"]+)"', body, re.S)
    assert rows and total
    return [Decimal(v) for kind, v in rows if kind != "subtotal"], Decimal(total.group(1))


async def test_the_renew_amount_explains_itself_in_the_page_and_the_live_preview(client, demo, clock):
    await buy_plan(BUYER)
    await sign_in(client, BUYER)
    full = (await client.get("/plan/renew?months=12")).text
    values, total = explain_lines(full, "renew-explain")
    assert sum(values) == total == Decimal("102000.00")
    assert "标准级月价 ¥8,500.00 × 12个月" in full and "年付折扣：购买1年优惠 0%" in full
    assert '<span class="amount">¥102,000.00</span>' in full
    block = (await client.get("/plan/renew?months=3", headers={"HX-Request": "true"})).text
    assert "<html" not in block
    values, total = explain_lines(block, "renew-explain")
    assert sum(values) == total == Decimal("25500.00")
    assert "年付折扣" not in block


async def test_the_pack_amount_explains_itself_on_the_page_preview_and_confirmation(client, demo):
    await buy_plan(BUYER)
    await sign_in(client, BUYER)
    for url in ("/plan/packs?count=3", "/plan/packs/confirm?count=3"):
        html = (await client.get(url)).text
        values, total = explain_lines(html, "pack-explain")
        assert sum(values) == total == Decimal("6000.00"), url
        assert "工单增购包单价 ¥2,000.00 × 3个" in html
    block = (await client.get("/plan/packs?count=5", headers={"HX-Request": "true"})).text
    assert "<html" not in block
    assert explain_lines(block, "pack-explain")[1] == Decimal("10000.00")
    bad = (await client.get("/plan/packs?count=abc", headers={"HX-Request": "true"})).text
    assert "怎么算的" not in bad


async def test_the_pack_page_says_when_packs_lapse_and_warns_in_the_months_last_three_days(client, demo, clock):
    await buy_plan(BUYER)
    clock.moment = bj(2024, 1, 28, 23, 59)  # 4 days left: no warning
    await sign_in(client, BUYER)
    html = (await client.get("/plan/packs")).text
    assert "2024/01/31 23:59:59" in html and "data-lapse-warning" not in html
    clock.moment = bj(2024, 1, 29, 0, 0)  # the last 3 days
    html = (await client.get("/plan/packs")).text
    assert 'role="status" data-lapse-warning' in html
    assert "本月仅剩3天：现在购买的工单增购包于2024/01/31 23:59:59作废" in html
    confirm = (await client.get("/plan/packs/confirm?count=1")).text
    assert "本月仅剩3天" in confirm
    await buy_plan(BUYER, now=bj(2024, 2, 2, 9, 0))
    clock.moment = bj(2024, 2, 29, 12, 0)  # a leap day is the month's last day
    await sign_in(client, BUYER)  # a session does not outlive a jump of weeks
    html = (await client.get("/plan/packs")).text
    assert "本月仅剩1天：现在购买的工单增购包于2024/02/29 23:59:59作废" in html


async def test_the_detail_page_shows_this_months_tickets_with_the_packs_lapse_time(client, demo, clock):
    account = await buy_plan(BUYER)
    await buy_packs(account, 2, START + timedelta(hours=1))
    clock.moment = START + timedelta(hours=2)
    await sign_in(client, BUYER)
    html = (await client.get("/plan")).text
    assert "已用 0 / 共 50" in html
    assert "本月已购工单增购包：2个，均于2024/01/31 23:59:59（北京时间，当月最后一秒）作废。" in html


async def test_the_five_day_window_runs_to_the_minute_with_its_end_and_the_years_quota(demo, clock):
    account = await buy_plan(BUYER)  # paid at START, 2024/01/01 10:30
    now = START + timedelta(days=2, hours=3, minutes=15, seconds=59)
    state = await plan_state(account.partner, now)
    window = await five_day_for(await account_by_login(BUYER), state, now, quota=10)
    assert window is not None and window.ends_at == bj(2024, 1, 6, 10, 30)
    assert window.left_text == "2天20小时44分钟"
    assert window.text == "五天无理由退订期还剩2天20小时44分钟，至2024/01/06 10:30:00结束。"
    assert window.quota_text == "2024年12月31日前您还可以进行10次五天无理由退订。"
    assert five_day_window(state, now, used_this_year=10, quota=10).quota_text.startswith(
        "本年度五天无理由退订次数已用完"
    )
    last = bj(2024, 1, 6, 10, 30)  # the 120th hour is still inside
    assert five_day_window(await plan_state(account.partner, last), last, 0, 10).minutes_left == 0
    late = last + timedelta(seconds=1)
    assert five_day_window(await plan_state(account.partner, late), late, 0, 10) is None
    page = DetailPage.of(state, now, five_day=window)
    assert page.five_day is window
