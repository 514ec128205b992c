"""合作伙伴代付 as a request (SPEC.md §13, issue 13): a member asks, the main account's 待代付订单 lists it with who
asked and for what, the main account pays it (its own code) or rejects it (驳回) with a reason; after a rejection
the member sees the reason and pays another way (coupons allowed again); both sides are notified; a second 驳回,
a 驳回 after payment and a pay racing a 驳回 answer 409 with one winner."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from models.services import coupons, orders
from models.services.accounts import account_by_login
from models.tables import Outbox, PartnerPayRequest
from tests.helpers.http import csrf_token, place_order, post_form, sign_in
from tests.helpers.queries import balance, latest_code

MEMBER, MAIN = "partner-b-buyer", "partner-b"  # each ¥100,000.00; Standard costs ¥8,500.00 a month


async def request_partner_payment(client, months: int = 1) -> str:
    await sign_in(client, MEMBER)
    order_id = await place_order(client, months=months)
    asked = await post_form(client, f"/orders/{order_id}/pay", {"method": "partner"})
    assert asked.status_code == 303, asked.text
    return order_id


async def reject(client, order_id: str, reason: str):
    path = f"/orders/partner-requests/{order_id}/reject"
    return await post_form(client, path, {"reason": reason})


async def subjects(login: str) -> list[str]:
    account = await account_by_login(login)
    rows = await Outbox.select(Outbox.subject).where(Outbox.account == account.id).order_by(Outbox.id)
    return [row["subject"] for row in rows]


async def bodies(login: str, subject: str) -> list[str]:
    account = await account_by_login(login)
    rows = await Outbox.select(Outbox.body).where((Outbox.account == account.id) & (Outbox.subject == subject))
    return [row["body"] for row in rows]


async def states(order_id: str) -> list[str]:
    rows = await PartnerPayRequest.select(PartnerPayRequest.state).where(PartnerPayRequest.order_id == order_id)
    return [row["state"] for row in rows]


async def test_a_request_is_listed_with_requester_level_term_and_amount(client, demo):
    order_id = await request_partner_payment(client, months=3)
    assert await states(order_id) == ["requested"]
    pay = await client.get(f"/orders/{order_id}/pay")
    assert "代付申请" in pay.text and "待主帐号处理" in pay.text
    detail = await client.get(f"/orders/{order_id}")
    assert '<span class="tag tag-pending">待主帐号处理</span>' in detail.text
    # the same 确认付款 again keeps the one request (and tells the main account once)
    again = await post_form(client, f"/orders/{order_id}/pay", {"method": "partner"})
    assert again.status_code == 303 and await states(order_id) == ["requested"]
    assert (await subjects(MAIN)).count("代付申请") == 1
    [told] = await bodies(MAIN, "代付申请")
    assert MEMBER in told and order_id in told and "¥25,500.00" in told

    member_view = await client.get("/orders/partner-requests")
    assert member_view.status_code == 404  # the list is the main account's
    await sign_in(client, MAIN)
    listing = await client.get("/orders/partner-requests")
    assert listing.status_code == 200
    for fact in (MEMBER, order_id, "标准级", "3个月", "¥25,500.00", "申请时间", "去支付", "驳回"):
        assert fact in listing.text, fact
    assert f'href="/orders/{order_id}/verify"' in listing.text
    assert f'href="/orders/partner-requests/{order_id}/reject"' in listing.text
    assert 'data-label="申请人"' in listing.text


async def test_a_reason_of_0_or_201_characters_is_refused(client, demo):
    order_id = await request_partner_payment(client)
    await sign_in(client, MAIN)
    form = await client.get(f"/orders/partner-requests/{order_id}/reject")
    assert form.status_code == 200 and "驳回原因" in form.text and 'maxlength="200"' in form.text
    for reason, message in (
        ("", "请填写驳回原因。"),
        ("   ", "请填写驳回原因。"),
        ("原" * 201, "驳回原因不能超过200个字符。"),
    ):
        refused = await reject(client, order_id, reason)
        assert refused.status_code == 400, reason
        assert "存在问题" in refused.text and message in refused.text and 'aria-invalid="true"' in refused.text
    assert await states(order_id) == ["requested"]
    # without the CSRF token nothing happens
    bare = await client.post(f"/orders/partner-requests/{order_id}/reject", data={"reason": "no"})
    assert bare.status_code == 403 and await states(order_id) == ["requested"]
    done = await reject(client, order_id, "原" * 200)
    assert done.status_code == 303 and done.headers["location"] == "/orders/partner-requests"


async def test_rejected_then_the_member_sees_the_reason_and_pays_by_balance(client, demo, clock):
    order_id = await request_partner_payment(client)
    member = await account_by_login(MEMBER)
    await sign_in(client, MAIN)
    rejected = await reject(client, order_id, "本月预算已用完，请用自己的余额支付")
    assert rejected.status_code == 303
    listing = await client.get("/orders/partner-requests")
    assert f"已驳回订单 {order_id} 的代付申请。" in listing.text and "暂无待代付订单" in listing.text
    assert f'href="/orders/{order_id}/verify"' not in listing.text
    [told] = await bodies(MEMBER, "代付申请已驳回")
    assert "本月预算已用完，请用自己的余额支付" in told and order_id in told and MAIN in told

    order = await orders.get(order_id)
    assert order.is_pending and order.method == "" and order.payer is None
    await sign_in(client, MEMBER)
    for path in (f"/orders/{order_id}", f"/orders/{order_id}/pay"):
        page = await client.get(path)
        assert page.status_code == 200
        assert "代付申请已驳回" in page.text and "驳回原因：本月预算已用完，请用自己的余额支付" in page.text
        assert '<span class="tag tag-cancelled">已驳回</span>' in page.text
    assert "等待合作伙伴代付" not in page.text
    # coupons apply again, and the balance pays
    coupon = await coupons.grant(member.id, clock.now(), voucher=Decimal("500"))
    chosen = await post_form(client, f"/orders/{order_id}/pay", {"method": "balance", "coupon": str(coupon)})
    assert chosen.headers["location"] == f"/orders/{order_id}/verify", chosen.text
    await post_form(
        client, f"/orders/{order_id}/verify/send", {"channel": "phone"}, token_from=f"/orders/{order_id}/verify"
    )
    paid = await post_form(
        client,
        f"/orders/{order_id}/verify",
        {"code": await latest_code(MEMBER)},
        token_from=f"/orders/{order_id}/verify",
    )
    assert paid.status_code == 303
    assert await balance(MEMBER) == 10_000_000 - 800_000 and await balance(MAIN) == 10_000_000
    assert (await orders.get(order_id)).refund_to == member.id
    assert await states(order_id) == ["rejected"]

    await sign_in(client, MAIN)  # the main account's old link says the request is over
    stale = await client.get(f"/orders/partner-requests/{order_id}/reject")
    assert stale.status_code == 409 and "驳回" in stale.text


async def test_asking_again_after_a_rejection_makes_a_new_request(client, demo):
    order_id = await request_partner_payment(client)
    await sign_in(client, MAIN)
    assert (await reject(client, order_id, "金额不对")).status_code == 303
    await sign_in(client, MEMBER)
    again = await post_form(client, f"/orders/{order_id}/pay", {"method": "partner"})
    assert again.status_code == 303
    assert sorted(await states(order_id)) == ["rejected", "requested"]
    assert (await subjects(MAIN)).count("代付申请") == 2
    detail = await client.get(f"/orders/{order_id}")
    assert "待主帐号处理" in detail.text and "代付申请已驳回" not in detail.text


async def test_another_method_withdraws_the_request(client, demo):
    order_id = await request_partner_payment(client)
    chosen = await post_form(client, f"/orders/{order_id}/pay", {"method": "contract"})
    assert chosen.status_code == 303 and await states(order_id) == ["withdrawn"]
    await sign_in(client, MAIN)
    listing = await client.get("/orders/partner-requests")
    assert order_id not in listing.text and "暂无待代付订单" in listing.text
    late = await reject(client, order_id, "不需要")
    assert late.status_code == 409 and "已撤回" in late.text and MEMBER in late.text


async def pay_as_main(client, order_id: str):
    await post_form(
        client, f"/orders/{order_id}/verify/send", {"channel": "email"}, token_from=f"/orders/{order_id}/verify"
    )
    return await post_form(
        client, f"/orders/{order_id}/verify", {"code": await latest_code(MAIN)}, token_from=f"/orders/{order_id}/verify"
    )


async def test_paid_by_the_main_account_then_a_reject_is_409(client, demo):
    order_id = await request_partner_payment(client)
    await sign_in(client, MAIN)
    assert (await pay_as_main(client, order_id)).status_code == 303
    assert await states(order_id) == ["paid"]
    assert await balance(MAIN) == 10_000_000 - 850_000 and await balance(MEMBER) == 10_000_000
    main = await account_by_login(MAIN)
    assert (await orders.get(order_id)).refund_to == main.id  # a refund of this period goes to the main account
    [told] = await bodies(MEMBER, "订单已支付")
    assert MAIN in told and order_id in told
    late = await reject(client, order_id, "太晚了")
    assert late.status_code == 409 and "订单已代付" in late.text and "不能再驳回" in late.text
    await sign_in(client, MEMBER)
    detail = await client.get(f"/orders/{order_id}")
    assert '<span class="tag tag-paid">已代付</span>' in detail.text


async def test_a_second_reject_is_409_saying_what_happened(client, demo):
    order_id = await request_partner_payment(client)
    await sign_in(client, MAIN)
    assert (await reject(client, order_id, "第一次")).status_code == 303
    second = await reject(client, order_id, "第二次")
    assert second.status_code == 409
    assert "代付申请已驳回" in second.text and "驳回原因：第一次" in second.text and MAIN in second.text
    assert await states(order_id) == ["rejected"]
    assert len(await bodies(MEMBER, "代付申请已驳回")) == 1
    # the main account's 去支付 from an old tab: the request is over (409), nothing charged
    page = await client.get(f"/orders/{order_id}/verify")
    assert page.status_code == 409 and "代付申请已结束" in page.text
    assert await balance(MAIN) == 10_000_000


async def test_pay_and_reject_at_once_one_wins(racer, demo):
    order_id = await request_partner_payment(racer)
    await sign_in(racer, MAIN)
    sent = await post_form(
        racer, f"/orders/{order_id}/verify/send", {"channel": "email"}, token_from=f"/orders/{order_id}/verify"
    )
    assert sent.status_code == 303
    code = await latest_code(MAIN)
    token = await csrf_token(racer, f"/orders/{order_id}/verify")
    pay, rejected = await asyncio.gather(
        racer.post(f"/orders/{order_id}/verify", data={"code": code, "_csrf_token": token}),
        racer.post(f"/orders/partner-requests/{order_id}/reject", data={"reason": "同时驳回", "_csrf_token": token}),
    )
    assert sorted([pay.status_code, rejected.status_code]) == [303, 409], (pay.text, rejected.text)
    [state] = await states(order_id)
    order = await orders.get(order_id)
    if pay.status_code == 303:
        assert state == "paid" and order.status == "paid" and await balance(MAIN) == 10_000_000 - 850_000
        assert "不能再驳回" in rejected.text
    else:
        assert state == "rejected" and order.is_pending and await balance(MAIN) == 10_000_000
        assert "驳回" in pay.text
