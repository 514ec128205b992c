"""Buying a plan through HTTP, paying by balance with the code from the outbox (guide chapter 1)."""

from __future__ import annotations

from models.tables import Account, LedgerEntry, SupportOrder
from tests.helpers.http import place_order, post_form, sign_in
from tests.helpers.queries import latest_code


async def test_change_page_previews_price_and_htmx_gets_only_the_block(client, demo):
    await sign_in(client, "partner-b-buyer")
    full = await client.get("/plan/change?level=standard&months=1")
    assert full.status_code == 200
    assert "应付金额" in full.text and "¥8,500.00" in full.text and "<html" in full.text
    assert "补交的费用" not in full.text  # the upgrade's name for its fee, never a purchase's amount
    block = await client.get("/plan/change?level=premium&months=12", headers={"HX-Request": "true"})
    assert "<html" not in block.text and "¥300,000.00" in block.text
    assert len(block.content) <= 2048  # the swap stays small (issue 12 §4)
    assert "HX-Request" in block.headers["vary"]


async def test_bad_term_is_a_400_with_the_message_at_the_field(client, demo):
    await sign_in(client, "partner-b-buyer")
    response = await client.get("/plan/change?level=standard&months=abc")
    assert response.status_code == 400
    assert 'id="months-error"' in response.text


async def test_refusals_show_on_the_change_page(client, demo):
    await sign_in(client, "partner-b")
    main = await client.get("/plan/change")
    assert main.status_code == 403 and "主帐号不能直接购买" in main.text and "立即购买" not in main.text
    await sign_in(client, "partner-b-other")
    other = await client.get("/plan/change")
    assert other.status_code == 403 and "另行创建子帐号" in other.text


async def test_unticked_agreement_creates_nothing(client, demo):
    await sign_in(client, "partner-b-buyer")
    response = await post_form(
        client,
        "/plan/change/spec",
        {"level": "standard", "months": "1", "request_key": "x"},
        token_from="/plan/change/spec?level=standard&months=1",
    )
    assert response.status_code == 400
    assert "error-summary" in response.text
    assert await SupportOrder.count() == 0


async def test_whole_purchase_by_balance(client, demo):
    await sign_in(client, "partner-b-buyer")
    order_id = await place_order(client)
    again = await place_order(client)  # the same form sent twice finds the same order
    assert again == order_id
    pay_page = await client.get(f"/orders/{order_id}/pay")
    assert "订单已生成，请核对优惠折扣并尽快支付" in pay_page.text and "¥8,500.00" in pay_page.text
    chosen = await post_form(client, f"/orders/{order_id}/pay", {"method": "balance", "coupon": ""})
    assert chosen.headers["location"] == f"/orders/{order_id}/verify"
    sent = await post_form(
        client, f"/orders/{order_id}/verify/send", {"channel": "phone"}, token_from=f"/orders/{order_id}/verify"
    )
    assert sent.status_code == 303 and sent.headers["location"] == f"/orders/{order_id}/verify"
    assert "139****0002" in (await client.get(sent.headers["location"])).text
    wrong = await post_form(
        client, f"/orders/{order_id}/verify", {"code": "000000"}, token_from=f"/orders/{order_id}/verify"
    )
    code = await latest_code("partner-b-buyer")
    if code != "000000":
        assert wrong.status_code == 400 and "验证码错误" in wrong.text
    paid = await post_form(
        client, f"/orders/{order_id}/verify", {"code": code}, token_from=f"/orders/{order_id}/verify"
    )
    assert paid.status_code == 303
    replay = await post_form(
        client, f"/orders/{order_id}/verify", {"code": code}, token_from=f"/orders/{order_id}/result"
    )
    assert replay.status_code == 303  # the replay shows the result, and charges nothing more
    detail = await client.get("/plan")
    assert "标准级" in detail.text and "2024/01/01 10:30:00 – 2024/02/01 23:59:59" in detail.text
    buyer = await Account.select().where(Account.login == "partner-b-buyer").first()
    assert buyer["balance_fen"] == 10_000_000 - 850_000
    charges = await LedgerEntry.select().where((LedgerEntry.account == buyer["id"]) & (LedgerEntry.kind == "charge"))
    assert [c["amount_fen"] for c in charges] == [-850_000]


async def test_another_account_gets_404_on_an_order(client, demo):
    await sign_in(client, "partner-b-buyer")
    order_id = await place_order(client)
    await sign_in(client, "partner-a-ops")
    assert (await client.get(f"/orders/{order_id}/pay")).status_code == 404
    assert (await client.get(f"/orders/{order_id}")).status_code == 404
