"""Ticket add-on packs (工单增购包, guide chapter 2; SPEC.md §6): the service, the quota across months and time zones,
and the whole purchase through HTTP paid by balance."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.services import packs, payments
from models.services.accounts import account_by_login
from models.services.errors import Conflict, DomainError
from models.services.plans import plan_state
from models.tables import Account, Outbox, SupportOrder
from tests.helpers.http import post_form, sign_in
from tests.helpers.plans import buy_packs, buy_plan
from tests.helpers.queries import latest_code
from tests.helpers.times import START, bj

# --------------------------------------------------------------------------------------------- the pack count


@pytest.mark.parametrize("raw, count", [("1", 1), ("99", 99), (" 7 ", 7), (3, 3), ("05", 5)])
def test_counts_from_1_to_99_are_accepted(raw, count):
    assert packs.parse_count(raw) == count


@pytest.mark.parametrize("raw", ["0", "100", "abc", "-1", "1.5", "1e2", "２", "", "   ", None, 0, 100, True, "9" * 50])
def test_bad_counts_are_refused_at_the_field(raw):
    with pytest.raises(DomainError) as refused:
        packs.parse_count(raw)
    assert refused.value.field == "count"
    assert "1至99" in refused.value.message


@given(st.integers(min_value=-(10**6), max_value=10**6))
def test_a_count_is_valid_exactly_from_1_to_99_and_priced_2000_each(n):
    if 1 <= n <= 99:
        assert packs.parse_count(str(n)) == n
        assert packs.price_fen(n) == 200_000 * n
    else:
        with pytest.raises(DomainError):
            packs.parse_count(str(n))


@given(st.text(max_size=6))
def test_any_text_is_either_a_valid_count_or_a_clear_refusal(text):
    try:
        count = packs.parse_count(text)
    except DomainError as exc:
        assert exc.field == "count"
    else:
        assert 1 <= count <= 99 and text.strip().isdigit()


# --------------------------------------------------------------------------- the quota across months and zones


async def test_paid_packs_raise_this_months_quota_by_10_each_at_once(demo):
    account = await buy_plan()
    assert (await plan_state(account.partner, START)).quota == 30
    order_id = await packs.place(account, 2, None, START)
    pending = await plan_state(account.partner, START)
    assert pending.quota == 30  # an unpaid order adds nothing
    await payments.settle(order_id, START, payer_id=account.id)
    state = await plan_state(account.partner, START)
    assert (state.quota, state.packs_this_month, state.month_end) == (50, 2, bj(2024, 1, 31, 23, 59, 59))
    await buy_packs(account, 1, bj(2024, 1, 20, 9, 0))
    assert (await plan_state(account.partner, bj(2024, 1, 20, 9, 0))).quota == 60


async def test_packs_bought_on_the_last_day_count_only_that_day(demo):
    account = await buy_plan(months=3)
    await buy_packs(account, 1, bj(2024, 1, 31, 10, 0))
    assert (await plan_state(account.partner, bj(2024, 1, 31, 10, 0))).quota == 40
    assert (await plan_state(account.partner, bj(2024, 1, 31, 23, 59, 59))).quota == 40
    assert (await plan_state(account.partner, bj(2024, 2, 1, 0, 0, 0))).quota == 30  # reset at 00:00 on the 1st


async def test_2330_utc_on_the_31st_is_already_next_month_in_beijing(demo):
    account = await buy_plan(months=3)
    paid_at = datetime(2024, 1, 31, 23, 30, tzinfo=UTC)  # 2024/02/01 07:30 in Beijing
    await buy_packs(account, 1, paid_at)
    assert (await plan_state(account.partner, paid_at)).quota == 40
    assert (await plan_state(account.partner, bj(2024, 1, 31, 23, 59, 59))).quota == 30  # January: not counted
    # asked in UTC, the window is still Beijing's February
    assert (await plan_state(account.partner, datetime(2024, 2, 29, 15, 59, 59, tzinfo=UTC))).quota == 40
    assert (await plan_state(account.partner, datetime(2024, 2, 29, 16, 0, 0, tzinfo=UTC))).quota == 30
    # 15:59 UTC on the 31st is still January in Beijing
    late_january = datetime(2024, 1, 31, 15, 59, tzinfo=UTC)
    await buy_packs(account, 2, late_january)
    assert (await plan_state(account.partner, late_january)).quota == 50
    assert (await plan_state(account.partner, paid_at)).quota == 40


async def test_the_buyer_is_told_the_new_quota(demo):
    account = await buy_plan()
    order_id = await buy_packs(account, 2, START)
    note = await Outbox.select().where((Outbox.account == account.id) & (Outbox.subject == "工单增购包已生效")).first()
    assert order_id in note["body"] and "增加 20 个" in note["body"] and "现为 50 个" in note["body"]
    assert "2024/01/31 23:59:59" in note["body"]


# ------------------------------------------------------------------------------------------------ refusals


async def test_basic_and_premium_are_not_offered_packs(demo):
    basic = await account_by_login("partner-a-ops")
    with pytest.raises(Conflict) as refused:
        await packs.place(basic, 1, None, START)
    assert "基础级" in refused.value.message and refused.value.status_code == 409
    premium = await buy_plan(level="premium")
    offer = await packs.offer(premium, "1", START)
    assert offer.refusal is not None and "尊享级" in offer.refusal.message and offer.amount is None
    assert await SupportOrder.count().where(SupportOrder.kind == "pack") == 0


async def test_a_non_certified_main_account_buys_packs_through_its_member(demo):
    await buy_plan("partner-b-buyer")
    main = await account_by_login("partner-b")
    with pytest.raises(DomainError) as refused:
        await packs.place(main, 1, None, START)
    assert refused.value.status_code == 403 and "主帐号不能直接购买" in refused.value.message
    buyer = await account_by_login("partner-b-buyer")
    await buy_packs(buyer, 1, START)
    assert (await plan_state(buyer.partner, START)).quota == 40


async def test_a_pack_order_cannot_be_paid_once_the_plan_is_no_longer_standard(demo):
    account = await buy_plan()  # ends 2024/02/01 23:59:59
    order_id = await packs.place(account, 1, None, bj(2024, 1, 31, 12, 0))
    with pytest.raises(Conflict):
        await payments.settle(order_id, bj(2024, 2, 2, 9, 0), payer_id=account.id)
    order = await SupportOrder.select().where(SupportOrder.id == order_id).first()
    assert order["status"] == "pending"
    assert (await Account.select(Account.balance_fen).where(Account.id == account.id).first())[
        "balance_fen"
    ] == 10_000_000 - 850_000


async def test_the_same_confirmation_sent_twice_makes_one_order(demo):
    account = await buy_plan()
    first = await packs.place(account, 2, "same-key", START)
    again = await packs.place(account, 2, "same-key", START)
    assert first == again and await SupportOrder.count().where(SupportOrder.kind == "pack") == 1


# ---------------------------------------------------------------------------------------------------- HTTP


async def http_buy_plan(client, login: str = "partner-a-ops", level: str = "standard") -> None:
    await sign_in(client, login)
    await buy_plan(login, level)


async def test_pack_page_previews_the_price_live(client, demo):
    await http_buy_plan(client)
    full = await client.get("/plan/packs")
    assert full.status_code == 200 and "<html" in full.text
    assert "增购包个数" in full.text and 'role="status"' in full.text and "¥2,000.00" in full.text
    assert "计算费用" in full.text and "立即购买" in full.text and "已用 0 / 共 30" in full.text
    three = await client.get("/plan/packs?count=3", headers={"HX-Request": "true"})
    assert three.status_code == 200 and "<html" not in three.text
    assert "¥6,000.00" in three.text and "由30个增加到60个" in three.text and "2024/01/31 23:59:59" in three.text
    assert "HX-Request" in three.headers["vary"]
    half_typed = await client.get("/plan/packs?count=0", headers={"HX-Request": "true"})
    assert half_typed.status_code == 200 and "1至99" in half_typed.text and "¥" not in half_typed.text


async def test_a_bad_count_is_a_400_with_the_message_at_the_field(client, demo):
    await http_buy_plan(client)
    for raw in ["0", "100", "abc", ""]:
        page = await client.get(f"/plan/packs?count={raw}")
        assert page.status_code == 400 and 'id="count-error"' in page.text and "1至99" in page.text, raw
        assert "<title>错误：" in page.text
        confirm = await client.get(f"/plan/packs/confirm?count={raw}")
        assert confirm.status_code == 400 and 'id="count-error"' in confirm.text
        posted = await post_form(
            client,
            "/plan/packs/confirm",
            {"count": raw, "agree": "yes", "request_key": "k" + raw},
            token_from="/plan/packs",
        )
        assert posted.status_code == 400 and 'id="count-error"' in posted.text
    assert await SupportOrder.count().where(SupportOrder.kind == "pack") == 0


async def test_the_agreement_must_be_ticked(client, demo):
    await http_buy_plan(client)
    page = await client.get("/plan/packs/confirm?count=2")
    assert page.status_code == 200 and "订单确认" in page.text and "¥4,000.00" in page.text
    assert "我已阅读并同意《合作伙伴支持计划服务协议》" in page.text and "去购买" in page.text
    posted = await post_form(
        client, "/plan/packs/confirm", {"count": "2", "request_key": "k"}, token_from="/plan/packs/confirm?count=2"
    )
    assert posted.status_code == 400 and 'id="agree-error"' in posted.text
    assert await SupportOrder.count().where(SupportOrder.kind == "pack") == 0


@pytest.mark.parametrize(
    "login, level, words", [("partner-a-ops", None, "基础级"), ("partner-a-ops", "premium", "尊享级")]
)
async def test_basic_and_premium_pages_say_why_and_link_back(client, demo, login, level, words):
    await sign_in(client, login)
    if level:
        await buy_plan(login, level)
    page = await client.get("/plan/packs")
    assert page.status_code == 409 and words in page.text and 'href="/plan"' in page.text
    assert "立即购买" not in page.text and "增购包个数" not in page.text
    posted = await post_form(
        client, "/plan/packs/confirm", {"count": "1", "agree": "yes", "request_key": "k"}, token_from="/tickets"
    )
    assert posted.status_code == 409 and words in posted.text
    assert await SupportOrder.count().where(SupportOrder.kind == "pack") == 0


async def test_two_packs_paid_by_balance_make_50_tickets_this_month(client, demo):
    await http_buy_plan(client)
    posted = await post_form(
        client,
        "/plan/packs/confirm",
        {"count": "2", "agree": "yes", "request_key": "k2"},
        token_from="/plan/packs/confirm?count=2",
    )
    assert posted.status_code == 303
    order_id = posted.headers["location"].split("/")[2]
    assert posted.headers["location"] == f"/orders/{order_id}/pay"
    pay_page = await client.get(f"/orders/{order_id}/pay")
    assert "订单已生成，请核对优惠折扣并尽快支付" in pay_page.text and "¥4,000.00" in pay_page.text
    assert "工单增购包" in pay_page.text
    chosen = await post_form(client, f"/orders/{order_id}/pay", {"method": "balance", "coupon": ""})
    assert chosen.headers["location"] == f"/orders/{order_id}/verify"
    await post_form(
        client, f"/orders/{order_id}/verify/send", {"channel": "phone"}, token_from=f"/orders/{order_id}/verify"
    )
    code = await latest_code("partner-a-ops")
    paid = await post_form(
        client, f"/orders/{order_id}/verify", {"code": code}, token_from=f"/orders/{order_id}/verify"
    )
    assert paid.status_code == 303
    detail = await client.get("/plan")
    assert "已用 0 / 共 50" in detail.text and "含工单增购包增加的 20 个，有效期至 2024/01/31 23:59:59" in detail.text
    ops = await Account.select().where(Account.login == "partner-a-ops").first()
    assert ops["balance_fen"] == 10_000_000 - 850_000 - 400_000
    order = await SupportOrder.select().where(SupportOrder.id == order_id).first()
    assert (order["status"], order["pack_count"], order["due_fen"]) == ("paid", 2, 400_000)
