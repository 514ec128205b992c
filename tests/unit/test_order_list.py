"""订单管理 for finance staff (issue 13): filters by type, status and dates in a GET form, pages of 20 with accessible
pagination, signed amounts, the link to 待代付订单 for a main account, and an order's history (订单记录)."""

from __future__ import annotations

import re
from datetime import timedelta

from models.db import write_transaction
from models.enums import OrderKind, OrderStatus
from models.services import accounts, ledger, orders
from models.services.accounts import account_by_login
from models.tables import SupportOrder
from tests.helpers.http import sign_in
from tests.helpers.orders import premium_renewed_downgraded
from tests.helpers.times import START, bj
from web.template_globals import money

BUYER = "partner-b-buyer"
IDS = re.compile(r'<a href="/orders/(CS\d+)">')


async def _many(count: int, login: str = "fin-user") -> list[str]:
    """COUNT pending orders of a new company's account, one a day from START (oldest first); every 3rd a pack."""
    await accounts.create_partner(login, "demo-pass-2026", "财务测试有限公司", START, phone="13700000001")
    account = await account_by_login(login)
    made = []
    async with write_transaction():
        for i in range(count):
            pack = i % 3 == 0
            order_id, _ = await orders.create_order(
                account=account,
                kind=OrderKind.PACK if pack else OrderKind.PURCHASE,
                now=START + timedelta(days=i),
                list_fen=100_000 + i,
                level="" if pack else "standard",
                months=0 if pack else 1,
                pack_count=2 if pack else 0,
            )
            made.append(order_id)
    return made


async def test_the_list_has_the_finance_columns_and_signs_a_refund(client, demo, clock):
    made = await premium_renewed_downgraded(BUYER, clock)
    await sign_in(client, BUYER)
    page = await client.get("/orders")
    assert page.status_code == 200
    for column in ("订单号", "类型", "产品规格", "金额", "状态", "创建时间", "支付/退款时间"):
        assert f">{column}</th>" in page.text
    down = await orders.get(made["downgrade"])
    assert f'<a href="/orders/{down.id}">{down.id}</a>' in page.text
    assert "退款 ¥" in page.text and "尊享级（1个月）" in page.text
    assert IDS.findall(page.text)[0] == down.id  # newest first
    assert 'data-label="支付/退款时间"' in page.text


async def test_filters_by_type_status_and_dates(client, demo, clock):
    made = await _many(10)
    async with write_transaction():
        await SupportOrder.update({SupportOrder.status: OrderStatus.PAID, SupportOrder.paid_at: START}).where(
            SupportOrder.id.is_in(made[:4])
        )
    await sign_in(client, "fin-user")
    packs = IDS.findall((await client.get("/orders?kind=pack")).text)
    assert sorted(packs) == sorted(made[i] for i in (0, 3, 6, 9))
    paid = IDS.findall((await client.get("/orders?status=paid")).text)
    assert sorted(paid) == sorted(made[:4])
    both = IDS.findall((await client.get("/orders?kind=pack&status=paid")).text)
    assert sorted(both) == sorted([made[0], made[3]])
    # days 2..4 (2024-01-03 to 2024-01-05, Beijing, inclusive)
    ranged = (await client.get("/orders?from=2024-01-03&to=2024-01-05")).text
    assert IDS.findall(ranged) == [made[4], made[3], made[2]]
    assert 'value="2024-01-03"' in ranged and "清除筛选" in ranged
    assert "共 3 个订单" in ranged


async def test_the_end_date_includes_its_whole_day_in_beijing_time(client, demo, clock):
    await accounts.create_partner("late-user", "demo-pass-2026", "晚间有限公司", START, phone="13700000002")
    account = await account_by_login("late-user")
    async with write_transaction():
        late, _ = await orders.create_order(
            account=account, kind=OrderKind.PACK, now=bj(2024, 1, 5, 23, 59, 59), list_fen=1, pack_count=1
        )
        next_day, _ = await orders.create_order(
            account=account, kind=OrderKind.PACK, now=bj(2024, 1, 6, 0, 0), list_fen=1, pack_count=1
        )
    await sign_in(client, "late-user")
    assert IDS.findall((await client.get("/orders?to=2024-01-05")).text) == [late]
    assert IDS.findall((await client.get("/orders?from=2024-01-06")).text) == [next_day]


async def test_a_bad_date_shows_the_form_with_its_errors_and_no_results(client, demo, clock):
    await _many(3)
    await sign_in(client, "fin-user")
    page = await client.get("/orders?from=2024-13-01&to=yesterday")
    assert page.status_code == 400
    assert 'class="error-summary"' in page.text and '<a href="#from">起始日期无效' in page.text
    assert '<a href="#to">结束日期无效' in page.text
    assert 'id="from" name="from" type="date" value="2024-13-01"' in page.text and 'aria-invalid="true"' in page.text
    assert IDS.findall(page.text) == [] and "导出CSV" not in page.text
    reversed_range = await client.get("/orders?from=2024-01-05&to=2024-01-01")
    assert reversed_range.status_code == 400 and "结束日期不能早于起始日期" in reversed_range.text
    assert (await client.get("/orders?kind=refund-ish")).status_code == 400


async def test_pages_of_twenty_keep_the_filters(client, demo, clock):
    made = await _many(45)
    await sign_in(client, "fin-user")
    first = (await client.get("/orders")).text
    assert IDS.findall(first) == list(reversed(made))[:20]
    assert '<nav aria-label="分页"' in first and "第 1 页，共 3 页" in first and "共 45 个订单" in first
    assert 'aria-current="page">1</a>' in first and 'rel="next">下一页' in first and 'rel="prev"' not in first
    third = (await client.get("/orders?page=3")).text
    assert IDS.findall(third) == list(reversed(made))[40:] and 'rel="next"' not in third
    # a filter (30 purchases) is kept in every page link
    purchases = [m for i, m in enumerate(made) if i % 3]
    second = (await client.get("/orders?kind=purchase&from=2024-01-01&page=2")).text
    assert IDS.findall(second) == list(reversed(purchases))[20:]
    assert 'href="/orders?kind=purchase&amp;from=2024-01-01&amp;page=1" rel="prev"' in second
    assert 'aria-current="page">2</a>' in second and "第 2 页，共 2 页" in second
    assert 'href="/orders/export.csv?kind=purchase&amp;from=2024-01-01"' in second


async def test_a_main_account_gets_the_partner_requests_link_and_no_section(client, demo):
    await sign_in(client, "partner-a")
    page = (await client.get("/orders")).text
    assert '<a href="/orders/partner-requests">待代付订单</a>' in page and "<h2>待代付订单</h2>" not in page
    await sign_in(client, "partner-a-ops")
    assert "/orders/partner-requests" not in (await client.get("/orders")).text


# --- 订单记录 -------------------------------------------------------------------------------------------------------


def _history(page: str) -> str:
    return page[page.index('id="history-title"') :]


async def test_the_history_of_a_paid_order(client, demo, clock):
    made = await premium_renewed_downgraded(BUYER, clock)
    await sign_in(client, BUYER)
    history = _history((await client.get(f"/orders/{made['purchase']}")).text)
    assert "订单记录" in history and "创建订单" in history and "提交人：partner-b-buyer" in history
    assert "订单已支付" in history and "付款人：partner-b-buyer；支付方式：余额支付" in history
    assert "2024/01/01 10:30:00" in history


async def test_the_history_of_a_cancelled_and_a_lapsed_order(client, demo, clock):
    made = await _many(2)
    account = await account_by_login("fin-user")
    await orders.cancel(account, made[1], START + timedelta(days=1, hours=1))
    await orders.lapse(START + timedelta(days=9))
    await sign_in(client, "fin-user")
    cancelled = _history((await client.get(f"/orders/{made[1]}")).text)
    assert "订单已取消" in cancelled and "操作人：fin-user" in cancelled and "2024/01/02 11:30:00" in cancelled
    lapsed = _history((await client.get(f"/orders/{made[0]}")).text)
    assert "超时未支付，已自动取消" in lapsed and "2024/01/10 10:30:00" in lapsed


async def test_the_history_of_a_downgrade_says_where_the_refund_went(client, demo, clock):
    made = await premium_renewed_downgraded(BUYER, clock)
    await sign_in(client, BUYER)
    page = (await client.get(f"/orders/{made['downgrade']}")).text
    history = _history(page)
    assert "退款" in history and "退回 partner-b-buyer 的余额" in history and "支付方式" not in history
    assert "2024/01/06 10:30:00" in history


async def test_the_history_of_an_unsubscribed_order(client, demo, clock):
    from models.services import unsubscribe
    from tests.helpers.unsubscribe import buy as buy_paid

    order_id = await buy_paid(BUYER, START)
    later = START + timedelta(days=2)
    account = await account_by_login(BUYER)
    quote = await unsubscribe.quote(account, later, 10)
    await unsubscribe.submit(
        account,
        reason="test_done",
        comment="",
        confirmed=True,
        period_key=quote.period_key,
        computed_at=quote.computed_at,
        shown=quote.shown,
        now=later,
        quota=10,
    )
    (refund_order,) = {o.id for o in await orders.list_for(account) if o.kind == "unsubscribe"}
    refunded = sum(
        e.amount_fen for e in await ledger.entries(account.id) if e.order_id == refund_order and e.amount_fen > 0
    )
    assert refunded > 0
    await sign_in(client, BUYER)
    history = _history((await client.get(f"/orders/{order_id}")).text)
    assert "订单已支付" in history and "订单已退订" in history and "2024/01/03 10:30:00" in history
    assert f"操作人：{BUYER}；退款 {money(refunded)}" in history
