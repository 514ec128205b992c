"""怎么算的 on the renew and pack pages (SPEC.md §14), the packs' lapse (§6) and the five-day window on /plan (§5)."""

from __future__ import annotations

import re
from decimal import Decimal

from tests.helpers.http import sign_in
from tests.helpers.plans import buy_plan
from tests.helpers.times import bj

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
