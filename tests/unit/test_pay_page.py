"""确认付款 (the guide's 图 2-4), 身份验证 and 取消订单 through HTTP (issue 12): the coupon's amounts (htmx fragment
and the no-JS 使用优惠券 answer) are what the payment charges; a short balance is not preselected and the page says
by how much; a wrong code says how many tries remain; sending a code is POST → 303 and a reload sends nothing; the
countdown's moment; pages of orders that can no longer be paid say why (4xx with a message, not a redirect); 取消订单
asks first."""

from __future__ import annotations

import re
from decimal import Decimal

from models.services import coupons, unsubscribe
from models.services.accounts import account_by_login
from models.tables import LedgerEntry, Outbox, SupportOrder, VerificationCode
from tests.helpers.http import place_order, post_form, sign_in
from tests.helpers.queries import balance, latest_code
from tests.helpers.renewals import ends_on_jan_31
from tests.helpers.times import bj

BUYER = "partner-b-buyer"  # ¥100,000.00 on the balance; Standard costs ¥8,500.00 a month
HTMX = {"HX-Request": "true"}
AMOUNT = re.compile(r'<span class="amount">(¥[\d,.]+)</span>')


def checked(html: str, name: str) -> str | None:
    """The value of the checked radio NAME, or None."""
    for tag in re.findall(r"<input[^>]*>", html):
        if f'name="{name}"' in tag and " checked" in tag:
            return re.search(r'value="([^"]*)"', tag).group(1)
    return None


async def grant(login: str, clock, **kind) -> int:
    account = await account_by_login(login)
    return await coupons.grant(account.id, clock.now(), **kind)


async def pay_by_balance(client, order_id: str, coupon: str = "") -> None:
    chosen = await post_form(client, f"/orders/{order_id}/pay", {"method": "balance", "coupon": coupon})
    assert chosen.headers["location"] == f"/orders/{order_id}/verify", chosen.text
    sent = await post_form(
        client, f"/orders/{order_id}/verify/send", {"channel": "phone"}, token_from=f"/orders/{order_id}/verify"
    )
    assert sent.status_code == 303
    paid = await post_form(
        client,
        f"/orders/{order_id}/verify",
        {"code": await latest_code(BUYER)},
        token_from=f"/orders/{order_id}/verify",
    )
    assert paid.status_code == 303, paid.text


# --- 确认付款 -----------------------------------------------------------------------------------------------


async def test_the_pay_page_is_the_guides_figure_2_4(client, demo):
    await sign_in(client, BUYER)
    order_id = await place_order(client)
    page = await client.get(f"/orders/{order_id}/pay")
    assert page.status_code == 200
    html = page.text
    assert "<h1>购买支持计划</h1>" in html and 'aria-current="step"' in html
    assert "订单已生成，请核对优惠折扣并尽快支付" in html and order_id in html
    assert "支付：" in html and "余额支付：" in html and html.count("¥8,500.00") >= 4
    for hint in (
        "可用额度 ¥100,000.00",
        "支持多种在线支付方式",
        "申请由合作伙伴提交并支付该订单（不可使用优惠券）",
        "前往合同页面申请并下载合同，线下申请款项后再完成支付；您已选择的折扣优惠会保存至相应的待支付订单。",
    ):
        assert hint in html
    assert 'href="/balance">充值</a>' in html
    assert checked(html, "method") == "balance"  # the balance is enough: preselected
    # 取消订单 is its own section after 确认付款, a danger link to the confirmation page
    assert html.index(">确认付款</button>") < html.index('class="button danger"')
    assert f'href="/orders/{order_id}/cancel?from=pay"' in html


async def test_the_coupon_fragment_names_its_coupon_and_its_amount_is_what_a_voucher_charges(client, demo, clock):
    voucher = await grant(BUYER, clock, voucher=Decimal("500"), minimum=Decimal("1000"))
    await sign_in(client, BUYER)
    order_id = await place_order(client)
    fragment = await client.get(f"/orders/{order_id}/pay?coupon={voucher}&method=balance", headers=HTMX)
    assert fragment.status_code == 200
    assert len(fragment.content) <= 2048 and "<html" not in fragment.text
    assert "按所选优惠券（代金券 ¥500.00）计算" in fragment.text
    assert AMOUNT.findall(fragment.text) == ["¥8,000.00"]
    # the other amounts of the page come along out of band: 应付金额 at the top, 支付 above the methods
    assert re.search(r'id="order-due" hx-swap-oob="true">¥8,000.00<', fragment.text)
    assert re.search(r'id="pay-amount" hx-swap-oob="true">支付：<strong[^>]*>¥8,000.00<', fragment.text)
    assert "余额支付：" in fragment.text
    without = await client.get(f"/orders/{order_id}/pay?coupon=&method=balance", headers=HTMX)
    assert "未使用优惠券" in without.text and AMOUNT.findall(without.text) == ["¥8,500.00"]

    await pay_by_balance(client, order_id, str(voucher))
    charge = await LedgerEntry.select().where(LedgerEntry.order_id == order_id).first()
    assert charge["amount_fen"] == -800_000  # the fragment's ¥8,000.00
    assert await balance(BUYER) == 10_000_000 - 800_000


async def test_a_discount_coupons_fragment_amount_is_what_is_charged(client, demo, clock):
    rate = await grant(BUYER, clock, rate=Decimal("0.9"))
    await sign_in(client, BUYER)
    order_id = await place_order(client)
    fragment = await client.get(f"/orders/{order_id}/pay?coupon={rate}", headers=HTMX)
    assert "折扣券 9折" in fragment.text and AMOUNT.findall(fragment.text) == ["¥7,650.00"]
    await pay_by_balance(client, order_id, str(rate))
    order = await SupportOrder.select().where(SupportOrder.id == order_id).first()
    assert (order["status"], order["due_fen"], order["discount_fen"]) == ("paid", 765_000, 85_000)
    assert await balance(BUYER) == 10_000_000 - 765_000


async def test_use_coupon_without_javascript_recomputes_the_page_for_that_coupon(client, demo, clock):
    voucher = await grant(BUYER, clock, voucher=Decimal("500"))
    await sign_in(client, BUYER)
    order_id = await place_order(client)
    page = await client.get(f"/orders/{order_id}/pay")
    assert ">使用优惠券</button>" in page.text
    applied = await post_form(
        client, f"/orders/{order_id}/pay", {"action": "coupon", "coupon": str(voucher), "method": "online"}
    )
    assert applied.status_code == 303
    assert applied.headers["location"] == f"/orders/{order_id}/pay?coupon={voucher}&method=online"
    again = await client.get(applied.headers["location"])
    assert checked(again.text, "coupon") == str(voucher) and checked(again.text, "method") == "online"
    assert AMOUNT.findall(again.text) == ["¥8,000.00"]
    assert re.search(r'id="order-due">¥8,000.00<', again.text)
    stored = await SupportOrder.select().where(SupportOrder.id == order_id).first()
    assert stored["coupon"] is None and stored["due_fen"] == 850_000  # nothing chosen yet: only shown


async def test_a_coupon_that_does_not_apply_is_refused_with_the_reason(client, demo, clock):
    await sign_in(client, BUYER)
    order_id = await place_order(client)
    for value in ("999", "abc"):
        refused = await client.get(f"/orders/{order_id}/pay?coupon={value}")
        assert refused.status_code == 400
        assert "该优惠券不能用于此订单" in refused.text and AMOUNT.findall(refused.text) == ["¥8,500.00"]
    fragment = await client.get(f"/orders/{order_id}/pay?coupon=999", headers=HTMX)
    assert fragment.status_code == 200  # htmx swaps 2xx only: the amounts without the coupon, saying why
    assert "该优惠券不能用于此订单" in fragment.text and AMOUNT.findall(fragment.text) == ["¥8,500.00"]


async def test_a_short_balance_is_not_preselected_and_the_shortfall_is_shown(client, demo):
    await sign_in(client, BUYER)
    order_id = await place_order(client, months=12)  # ¥102,000.00 > ¥100,000.00
    page = await client.get(f"/orders/{order_id}/pay")
    assert checked(page.text, "method") is None
    assert "可用额度 ¥100,000.00；余额不足，差额 ¥2,000.00" in page.text  # next to 余额支付
    assert "差额 ¥2,000.00，因此未预先选择余额支付" in page.text and 'href="/balance"' in page.text
    unchosen = await post_form(client, f"/orders/{order_id}/pay", {"coupon": ""})
    assert unchosen.status_code == 400 and "请选择支付方式。" in unchosen.text
    short = await post_form(client, f"/orders/{order_id}/pay", {"method": "balance", "coupon": ""})
    assert short.status_code == 409 and "余额不足，还差 ¥2,000.00" in short.text


async def test_a_members_partner_payment_request_shows_who_must_pay_it(client, demo):
    await sign_in(client, BUYER)
    order_id = await place_order(client)
    await post_form(client, f"/orders/{order_id}/pay", {"method": "partner"})
    pay = await client.get(f"/orders/{order_id}/pay")
    assert "等待合作伙伴代付" in pay.text and "正在等待主帐号 partner-b 支付" in pay.text
    assert checked(pay.text, "method") == "partner"
    detail = await client.get(f"/orders/{order_id}")
    assert "代付帐号" in detail.text and "主帐号 partner-b（等待其支付）" in detail.text
    verify = await client.get(f"/orders/{order_id}/verify")  # the member pays nothing by code here
    assert verify.status_code == 409 and "等待合作伙伴代付" in verify.text and 'name="code"' not in verify.text

    await sign_in(client, "partner-b")
    main_pay = await client.get(f"/orders/{order_id}/pay")
    assert main_pay.status_code == 200 and f'href="/orders/{order_id}/verify"' in main_pay.text
    assert 'name="method"' not in main_pay.text
    main_detail = await client.get(f"/orders/{order_id}")
    assert f'href="/orders/{order_id}/verify">去支付' in main_detail.text and "取消订单" not in main_detail.text


# --- orders that can no longer be paid ------------------------------------------------------------------------


async def test_the_pay_page_of_a_cancelled_or_paid_order_says_why(client, demo):
    await sign_in(client, BUYER)
    order_id = await place_order(client)
    await post_form(client, f"/orders/{order_id}/cancel", {}, token_from=f"/orders/{order_id}")
    cancelled = await client.get(f"/orders/{order_id}/pay", follow_redirects=False)
    assert cancelled.status_code == 409 and "location" not in cancelled.headers
    assert "订单已取消" in cancelled.text and "不能再支付" in cancelled.text and 'href="/plan"' in cancelled.text
    assert 'name="method"' not in cancelled.text
    chosen = await post_form(client, f"/orders/{order_id}/pay", {"method": "balance"}, token_from="/orders")
    assert chosen.status_code == 409 and "订单已取消" in chosen.text

    paid_id = await place_order(client, months=2)
    await pay_by_balance(client, paid_id)
    paid = await client.get(f"/orders/{paid_id}/pay", follow_redirects=False)
    assert paid.status_code == 409 and "订单已支付" in paid.text
    assert f'href="/orders/{paid_id}/result"' in paid.text


async def test_the_pay_page_of_a_renewal_of_an_unsubscribed_plan_says_so(client, demo, clock):
    account = await ends_on_jan_31(clock)
    clock.moment = bj(2024, 1, 10, 10, 0)
    await sign_in(client, BUYER)
    chosen = await post_form(client, "/plan/renew", {"months": "1", "action": "pay", "request_key": "r1"})
    order_id = chosen.headers["location"].split("/")[2]
    assert (await client.get(f"/orders/{order_id}/pay")).status_code == 200
    quote = await unsubscribe.quote(account, clock.now(), 10)  # another tab unsubscribes
    await unsubscribe.submit(
        account,
        reason="test_done",
        comment="",
        confirmed=True,
        period_key=quote.period_key,
        computed_at=quote.computed_at,
        shown=quote.shown,
        now=clock.now(),
        quota=10,
    )
    stale = await client.get(f"/orders/{order_id}/pay")
    assert stale.status_code == 409 and "订单无法支付" in stale.text
    assert "支持计划已退订，不能再为它续费" in stale.text
    assert f'href="/orders/{order_id}/cancel"' in stale.text  # the pending order can still be cancelled
    verify = await client.get(f"/orders/{order_id}/verify")
    assert verify.status_code == 409 and "支持计划已退订" in verify.text and 'name="code"' not in verify.text


# --- 身份验证 ------------------------------------------------------------------------------------------------


async def order_at_verify(client) -> str:
    await sign_in(client, BUYER)
    order_id = await place_order(client)
    await post_form(client, f"/orders/{order_id}/pay", {"method": "balance", "coupon": ""})
    return order_id


async def send(client, order_id: str, channel: str = "phone"):
    return await post_form(
        client, f"/orders/{order_id}/verify/send", {"channel": channel}, token_from=f"/orders/{order_id}/verify"
    )


async def test_the_verify_page_says_what_is_being_paid(client, demo):
    order_id = await order_at_verify(client)
    page = await client.get(f"/orders/{order_id}/verify")
    assert page.status_code == 200
    for fact in (order_id, "标准级", "1个月", "¥8,500.00", "将从帐号 partner-b-buyer 的余额中扣除"):
        assert fact in page.text
    assert 'data-resend-in="0"' in page.text and "autofocus" not in page.text


async def test_sending_a_code_is_post_then_303_and_a_reload_sends_nothing(client, demo, clock):
    order_id = await order_at_verify(client)
    sent = await send(client, order_id, "email")
    assert sent.status_code == 303 and sent.headers["location"] == f"/orders/{order_id}/verify"
    for _ in range(2):  # the page, then a reload
        page = await client.get(sent.headers["location"])
        assert page.status_code == 200
    assert await VerificationCode.count().where(VerificationCode.order_id == order_id) == 1
    assert await Outbox.count().where(Outbox.subject == "身份验证码") == 1
    html = page.text
    assert "验证码已于 2024/01/01 10:30:00 发送至 b***@haichuan.example，10分钟内有效（至 2024/01/01 10:40:00）" in html
    assert checked(html, "channel") == "email"  # the channel the code went to
    assert re.search(r'<input id="code"[^>]*autofocus', html)  # focus goes to 验证码
    # the countdown: 获取验证码 may be used again from 10:31:00; the server refuses earlier
    assert 'data-resend-in="60"' in html and "2024/01/01 10:31:00 起可重新获取" in html
    clock.advance(seconds=45)
    later = await client.get(f"/orders/{order_id}/verify")
    assert 'data-resend-in="15"' in later.text
    early = await send(client, order_id)
    assert early.status_code == 429 and "15 秒后可重新获取" in early.text
    clock.advance(seconds=15)
    assert 'data-resend-in="0"' in (await client.get(f"/orders/{order_id}/verify")).text
    assert (await send(client, order_id)).status_code == 303


async def test_a_wrong_code_says_how_many_tries_remain(client, demo):
    order_id = await order_at_verify(client)
    await send(client, order_id)
    right = await latest_code(BUYER)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        answer = await post_form(
            client, f"/orders/{order_id}/verify", {"code": wrong}, token_from=f"/orders/{order_id}/verify"
        )
        assert answer.status_code == 400
        assert f"验证码错误，还可以再输入{left}次；输错5次后验证码失效。" in answer.text
        assert 'aria-invalid="true"' in answer.text
    page = await client.get(f"/orders/{order_id}/verify")
    assert "该验证码还可以输入1次" in page.text  # the field's hint says it after a reload too
    last = await post_form(
        client, f"/orders/{order_id}/verify", {"code": wrong}, token_from=f"/orders/{order_id}/verify"
    )
    assert last.status_code == 400 and "验证码已输错5次，已失效。请重新获取。" in last.text
    assert "上一个验证码已失效，请重新获取。" in (await client.get(f"/orders/{order_id}/verify")).text
    void = await post_form(
        client, f"/orders/{order_id}/verify", {"code": right}, token_from=f"/orders/{order_id}/verify"
    )
    assert void.status_code == 400 and "该验证码已失效" in void.text
    assert await balance(BUYER) == 10_000_000


async def test_a_paid_orders_verify_page_says_it_is_paid_and_links_to_the_result(client, demo):
    order_id = await order_at_verify(client)
    await send(client, order_id)
    code = await latest_code(BUYER)
    paid = await post_form(
        client, f"/orders/{order_id}/verify", {"code": code}, token_from=f"/orders/{order_id}/verify"
    )
    assert paid.headers["location"] == f"/orders/{order_id}/result"
    back = await client.get(f"/orders/{order_id}/verify", follow_redirects=False)  # the Back button
    assert back.status_code == 409 and "location" not in back.headers
    assert "订单已支付" in back.text and "无需再次付款" in back.text
    assert f'href="/orders/{order_id}/result"' in back.text
    assert 'name="code"' not in back.text and "获取验证码" not in back.text
    resend = await send(client, order_id)
    assert resend.status_code == 409 and "订单已支付" in resend.text
    assert await VerificationCode.count() == 1


async def test_the_verify_page_of_an_order_not_paid_by_balance_says_to_choose_a_method(client, demo):
    await sign_in(client, BUYER)
    order_id = await place_order(client)
    page = await client.get(f"/orders/{order_id}/verify")
    assert page.status_code == 409 and "请先选择支付方式" in page.text
    assert f'href="/orders/{order_id}/pay"' in page.text and 'name="code"' not in page.text
    refused = await send(client, order_id)
    assert refused.status_code == 409 and await VerificationCode.count() == 0


# --- 取消订单 ------------------------------------------------------------------------------------------------


async def test_cancelling_asks_first_and_the_result_says_the_order_was_cancelled(client, demo):
    await sign_in(client, BUYER)
    order_id = await place_order(client)
    confirm = await client.get(f"/orders/{order_id}/cancel?from=pay")
    assert confirm.status_code == 200
    assert ">确认取消订单</button>" in confirm.text and 'class="danger solid"' in confirm.text
    assert f'<a href="/orders/{order_id}/pay">返回</a>' in confirm.text
    assert (await SupportOrder.select().where(SupportOrder.id == order_id).first())["status"] == "pending"
    plain = await client.get(f"/orders/{order_id}/cancel")
    assert f'<a href="/orders/{order_id}">返回</a>' in plain.text

    cancelled = await post_form(client, f"/orders/{order_id}/cancel", {}, token_from=f"/orders/{order_id}/cancel")
    assert cancelled.status_code == 303 and cancelled.headers["location"] == f"/orders/{order_id}"
    detail = await client.get(f"/orders/{order_id}")
    assert re.search(rf'role="status">订单 {order_id} 已取消。', detail.text)
    assert '<span class="tag tag-cancelled">已取消</span>' in detail.text and "去支付" not in detail.text
    again = await client.get(f"/orders/{order_id}/cancel")
    assert again.status_code == 409 and "订单已取消" in again.text and "确认取消订单" not in again.text


async def test_a_paid_order_cannot_be_cancelled_and_another_account_finds_nothing(client, demo):
    order_id = await order_at_verify(client)
    await send(client, order_id)
    await post_form(
        client,
        f"/orders/{order_id}/verify",
        {"code": await latest_code(BUYER)},
        token_from=f"/orders/{order_id}/verify",
    )
    refused = await post_form(client, f"/orders/{order_id}/cancel", {}, token_from=f"/orders/{order_id}")
    assert refused.status_code == 409 and "订单已支付" in refused.text
    assert (await client.get(f"/orders/{order_id}/cancel")).status_code == 409
    await sign_in(client, "partner-a-ops")
    assert (await client.get(f"/orders/{order_id}/cancel")).status_code == 404


async def test_order_pages_show_status_tags(client, demo):
    await sign_in(client, BUYER)
    order_id = await place_order(client)
    listing = await client.get("/orders")
    assert '<span class="tag tag-pending">待支付</span>' in listing.text and 'class="table stack"' in listing.text
    assert 'data-label="金额"' in listing.text
    detail = await client.get(f"/orders/{order_id}")
    assert '<span class="tag tag-pending">待支付</span>' in detail.text
    assert 'class="button danger"' in detail.text and f'href="/orders/{order_id}/cancel"' in detail.text
    await pay_by_balance(client, order_id)
    result = await client.get(f"/orders/{order_id}/result")
    assert '<span class="tag tag-paid">已支付</span>' in result.text and "支付成功" in result.text
