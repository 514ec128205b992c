"""怎么算的 kept with each order (issue 15, SPEC.md §14): the explanation whose amount became the order's amount is
stored when the order is made (purchase, renewal, pack, upgrade, downgrade, unsubscribe), so the order page and
the receipt (page and PDF) show the same lines the preview showed; stored and read back, it is the same."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from models.enums import Level
from models.rules.explain import from_json, to_json
from models.rules.pricing import list_price_explained, pack_price_explained
from models.rules.proration import change_explanation, upgrade_breakdown, whole_period
from models.services import changes, order_explanations, orders, packs
from models.services.accounts import account_by_login
from tests.helpers.http import sign_in
from tests.helpers.orders import premium_renewed_downgraded
from tests.helpers.times import START, bj
from tests.unit.test_receipts import BUYER, bought, pdf_text
from tests.unit.test_refund_orders import unsubscribe_now

D = Decimal


def added(explanation) -> Decimal:
    return sum((line.value for line in explanation.lines if line.added), D(0))


async def kept(order_id: str):
    explanation = await order_explanations.of(order_id)
    assert explanation is not None
    order = await orders.get(order_id)
    assert explanation.amount_fen == order.list_fen and added(explanation) == explanation.amount
    return explanation


async def test_each_kind_of_order_keeps_the_explanation_of_its_amount(demo, clock):
    ids = await premium_renewed_downgraded(BUYER, clock)
    assert await kept(ids["purchase"]) == list_price_explained(Level.PREMIUM, 1)
    assert await kept(ids["renewal"]) == list_price_explained(Level.PREMIUM, 1)
    down = await kept(ids["downgrade"])
    assert any("未使用" in line.label for line in down.lines)


async def test_a_pack_order_and_an_upgrade_keep_theirs(demo, clock):
    clock.moment = START
    await bought()
    account = await account_by_login(BUYER)
    pack = await packs.place(account, 3, None, START)
    assert await kept(pack) == pack_price_explained(3)
    later = START + timedelta(days=14, hours=8)
    quoted = await changes.quote(await account_by_login(BUYER), changes.UPGRADE, later)
    order_id = await changes.place_upgrade(await account_by_login(BUYER), quoted.quote_id, None, later)
    explanation = await kept(order_id)
    assert explanation == quoted.explanation  # the preview's lines are the order's


async def test_an_unsubscribe_refund_order_keeps_its_refund_lines(demo):
    await bought()
    quote, row = await unsubscribe_now(BUYER, bj(2024, 1, 15, 18, 40), quota=0)
    explanation = await kept(row["order_id"])
    assert explanation == quote.totals.refund_x


async def test_the_order_page_and_the_receipt_show_the_kept_lines(client, demo):
    order_id = await bought()
    await sign_in(client, BUYER)
    detail = (await client.get(f"/orders/{order_id}")).text
    block = detail[detail.index('id="order-explain"') : detail.index("</details>", detail.index('id="order-explain"'))]
    assert "标准级月价 ¥8,500.00 × 1个月" in block and 'data-value="8500.00"' in block
    page = (await client.get(f"/orders/{order_id}/receipt")).text
    assert re.search(r'<h2 id="receipt-explain-title">怎么算的</h2>', page)
    assert "标准级月价 ¥8,500.00 × 1个月" in page
    text = pdf_text((await client.get(f"/orders/{order_id}/receipt.pdf")).content)
    assert "怎么算的" in text and "月价" in text


async def test_an_order_made_before_explanations_were_kept_shows_none(client, demo):
    order_id = await bought()
    await order_explanations.OrderExplanation.delete().where(order_explanations.OrderExplanation.order_id == order_id)
    await sign_in(client, BUYER)
    assert 'id="order-explain"' not in (await client.get(f"/orders/{order_id}")).text
    assert "receipt-explain-title" not in (await client.get(f"/orders/{order_id}/receipt")).text


@given(st.integers(1, 743), st.sampled_from([1, 3, 12, 24, 36]))
@settings(max_examples=60, deadline=None)
def test_stored_and_read_back_it_is_the_same(hours, months):
    start = bj(2024, 1, 1, 0, 0)
    period = whole_period(start, start + timedelta(days=31 * months), months, Level.STANDARD, D("8500.00") * months)
    _fee, quotes = upgrade_breakdown([period], start + timedelta(hours=hours), Level.PREMIUM)
    for explanation in (
        change_explanation(quotes, Level.PREMIUM, upgrade=True),
        list_price_explained("premium", months),
    ):
        assert from_json(to_json(explanation)) == explanation
