"""The shared payment pages through HTTP: sandbox gateway, its callback, partner payment, contract, CLI."""

from __future__ import annotations

import subprocess
import sys

from models.services.gateway import SandboxGateway
from models.tables import Account, Period
from tests.helpers.http import place_order, post_form, sign_in
from tests.helpers.queries import latest_code


async def test_online_payment_through_the_sandbox_page(client, demo):
    await sign_in(client, "partner-b-buyer")
    order_id = await place_order(client)
    chosen = await post_form(client, f"/orders/{order_id}/pay", {"method": "online"})
    checkout = chosen.headers["location"]
    assert checkout.startswith(f"/payments/sandbox/{order_id}?")
    sandbox = await client.get(checkout)
    assert "沙箱支付网关" in sandbox.text and "不会产生真实扣款" in sandbox.text
    token = sandbox.text.split('name="token" value="')[1].split('"')[0]
    cancelled = await post_form(
        client,
        f"/payments/sandbox/{order_id}",
        {"decision": "cancel", "amount_fen": "850000", "token": token},
        token_from=checkout,
    )
    assert cancelled.headers["location"] == f"/orders/{order_id}/pay?cancelled=1"
    assert "在线支付已取消" in (await client.get(cancelled.headers["location"])).text
    tampered = await post_form(
        client,
        f"/payments/sandbox/{order_id}",
        {"decision": "pay", "amount_fen": "1", "token": token},
        token_from=checkout,
    )
    assert tampered.status_code == 400
    paid = await post_form(
        client,
        f"/payments/sandbox/{order_id}",
        {"decision": "pay", "amount_fen": "850000", "token": token},
        token_from=checkout,
    )
    assert paid.headers["location"] == f"/orders/{order_id}/result"
    assert "支付成功" in (await client.get(paid.headers["location"])).text


async def test_gateway_callback_endpoint_verifies_and_is_idempotent(client, demo, settings):
    await sign_in(client, "partner-b-buyer")
    order_id = await place_order(client)
    await post_form(client, f"/orders/{order_id}/pay", {"method": "online"})
    payload, signature = SandboxGateway(settings.secret_bytes).notification(order_id, 850_000)
    forged = await client.post("/payments/sandbox/notify", data=payload, headers={"x-signature": "bad"})
    assert forged.status_code == 400
    for _ in range(2):
        response = await client.post("/payments/sandbox/notify", data=payload, headers={"x-signature": signature})
        assert response.status_code == 200 and response.json()["status"] == "paid"
    assert await Period.count() == 1


async def test_insufficient_balance_message_on_the_payment_page(client, demo):
    await sign_in(client, "partner-b-buyer")
    order_id = await place_order(client, months=12)
    response = await post_form(client, f"/orders/{order_id}/pay", {"method": "balance"})
    assert response.status_code == 409
    assert "余额不足，还差 ¥2,000.00" in response.text and 'href="/balance"' in response.text


async def test_partner_pays_a_members_order(client, demo):
    await sign_in(client, "partner-b-buyer")
    order_id = await place_order(client)
    response = await post_form(client, f"/orders/{order_id}/pay", {"method": "partner"})
    assert "已申请合作伙伴代付" in (await client.get(response.headers["location"])).text
    await sign_in(client, "partner-b")
    listing = await client.get("/orders")  # 待代付订单 has its own page now: the list links to it
    assert '<a href="/orders/partner-requests">待代付订单</a>' in listing.text
    waiting = await client.get("/orders/partner-requests")
    assert "待代付订单" in waiting.text and f"/orders/{order_id}/verify" in waiting.text
    await post_form(
        client, f"/orders/{order_id}/verify/send", {"channel": "email"}, token_from=f"/orders/{order_id}/verify"
    )
    paid = await post_form(
        client,
        f"/orders/{order_id}/verify",
        {"code": await latest_code("partner-b")},
        token_from=f"/orders/{order_id}/verify",
    )
    assert paid.status_code == 303
    main = await Account.select().where(Account.login == "partner-b").first()
    assert main["balance_fen"] == 10_000_000 - 850_000


async def test_contract_is_printable_and_downloadable(client, demo):
    await sign_in(client, "partner-b-buyer")
    order_id = await place_order(client)
    await post_form(client, f"/orders/{order_id}/pay", {"method": "contract"})
    contract = await client.get(f"/orders/{order_id}/contract")
    assert "合作伙伴支持计划购买合同" in contract.text and order_id in contract.text
    download = await client.get(f"/orders/{order_id}/contract?download=true")
    assert download.headers["content-disposition"] == f'attachment; filename="contract-{order_id}.html"'


async def test_owner_cancels_a_pending_order(client, demo):
    await sign_in(client, "partner-b-buyer")
    order_id = await place_order(client)
    response = await post_form(client, f"/orders/{order_id}/cancel", {}, token_from=f"/orders/{order_id}")
    assert response.status_code == 303
    assert "已取消" in (await client.get(f"/orders/{order_id}")).text


def cli(db_url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "web.cli", *args],
        capture_output=True,
        text=True,
        env={"CONSOLE_DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"},
    )


async def test_cli_refuses_bad_amounts_with_the_reason(db, demo):
    for amount, reason in [("-5", "greater than zero"), ("abc", "must be a number"), ("1.234", "2 decimal places")]:
        result = cli(db, "balance", "top-up", "partner-a", amount)
        assert result.returncode == 2
        assert result.stderr.startswith("error: bad amount") and reason in result.stderr.lower(), result.stderr
        assert "Traceback" not in result.stderr
    unknown = cli(db, "orders", "confirm-offline", "CS000")
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1
