"""The company's pending orders on the detail page (issue 12 §2, SPEC.md §13): 继续支付 and 取消订单 for the account
that placed the order, 等待主帐号代付 for a 代付 request, the request to pay for the main account, and the others
of the company told who placed it."""

from __future__ import annotations

import asyncio
import re

import pytest

from models.services import purchase
from models.services.accounts import account_by_login
from models.services.errors import Conflict
from models.tables import SupportOrder
from tests.helpers.http import csrf_token, place_order, post_form, sign_in
from tests.helpers.plans import buy_plan

RACE = 20


def banner(html: str) -> str:
    """The pending-order banner of a page ("" when there is none)."""
    match = re.search(r'<div class="alert alert-warning">.*?</div>\s*</div>\s*</div>', html, re.S)
    return match.group(0) if match else ""


async def test_detail_page_shows_own_pending_purchase_with_pay_and_cancel(client, demo):
    await sign_in(client, "partner-a-ops")
    assert banner((await client.get("/plan")).text) == ""
    order_id = await place_order(client, "premium", 3)
    shown = banner((await client.get("/plan")).text)
    assert "您有待支付的订单" in shown and order_id in shown
    assert "新购 尊享级 3个月" in shown and "应付金额：" in shown
    assert f'href="/orders/{order_id}/pay"' in shown and "继续支付" in shown
    assert (
        f'href="/orders/{order_id}/cancel?from=plan"' in shown
        and 'class="button danger"' in shown
        and "取消订单" in shown
    )
    assert 'role="alert"' not in shown  # a pending order is not an error
    assert (await client.get(f"/orders/{order_id}/pay")).status_code == 200  # 继续支付 leads to the payment page
    asked = await client.get(f"/orders/{order_id}/cancel?from=plan")  # 取消订单 asks first
    assert asked.status_code == 200 and 'action="/orders/' + order_id + '/cancel"' in asked.text
    cancelled = await post_form(client, f"/orders/{order_id}/cancel", {}, token_from="/plan")
    assert cancelled.status_code == 303
    assert banner((await client.get("/plan")).text) == ""


async def test_a_partner_payment_request_waits_for_the_main_account(client, demo):
    await sign_in(client, "partner-a-ops")
    order_id = await place_order(client)
    chosen = await post_form(client, f"/orders/{order_id}/pay", {"method": "partner", "coupon": ""})
    assert chosen.status_code == 303
    member_view = banner((await client.get("/plan")).text)
    assert "等待主帐号代付" in member_view and "继续支付" not in member_view
    assert f'href="/orders/{order_id}/cancel?from=plan"' in member_view  # the member may still withdraw it
    await sign_in(client, "partner-a")
    main_view = banner((await client.get("/plan")).text)
    assert "您有待支付的订单" in main_view and "子帐号申请由您代付" in main_view
    assert f'href="/orders/{order_id}/verify"' in main_view  # the main account pays after 身份验证
    assert "取消订单" not in main_view and "partner-a-ops" in main_view


async def test_others_in_the_company_see_the_order_without_actions(client, demo):
    await sign_in(client, "partner-a-ops")
    order_id = await place_order(client)
    await sign_in(client, "partner-a")
    shown = banner((await client.get("/plan")).text)
    assert "贵公司有待支付的订单" in shown and order_id in shown and "partner-a-ops" in shown
    assert "继续支付" not in shown and "取消订单" not in shown
    await sign_in(client, "partner-b-buyer")  # another company sees nothing of it
    assert banner((await client.get("/plan")).text) == ""


# --- no second pending 新购 (SPEC.md §13) --------------------------------------------------------------------------


async def spec_form(client, level: str, months: int, key: str):
    return await post_form(
        client,
        "/plan/change/spec",
        {"level": level, "months": str(months), "agree": "yes", "request_key": key},
        token_from=f"/plan/change/spec?level={level}&months={months}",
    )


async def test_a_second_purchase_order_is_refused_with_409_and_the_first_order(client, demo):
    await sign_in(client, "partner-a-ops")
    first = await place_order(client)
    assert await place_order(client) == first  # the same form sent again finds its order
    second = await spec_form(client, "premium", 12, "another-tab")
    assert second.status_code == 409, second.text
    assert "贵公司已有待支付的新购订单" in second.text and first in second.text
    await sign_in(client, "partner-a")  # another account of the company: still one pending 新购
    third = await spec_form(client, "standard", 2, "main-tab")
    assert third.status_code == 409 and first in third.text
    assert await SupportOrder.count().where(SupportOrder.kind == "purchase") == 1


async def test_after_cancelling_the_pending_order_a_new_one_may_be_placed(client, demo):
    await sign_in(client, "partner-a-ops")
    first = await place_order(client)
    assert (await post_form(client, f"/orders/{first}/cancel", {}, token_from="/plan")).status_code == 303
    again = await spec_form(client, "premium", 1, "after-cancel")
    assert again.status_code == 303 and again.headers["location"] != f"/orders/{first}/pay"


async def test_two_tabs_racing_make_one_purchase_order(racer, demo):
    await sign_in(racer, "partner-a-ops")
    token = await csrf_token(racer, "/plan/change/spec?level=standard&months=1")
    answers = await asyncio.gather(
        *[
            racer.post(
                "/plan/change/spec",
                data={
                    "level": "standard",
                    "months": "1",
                    "agree": "yes",
                    "request_key": f"tab-{i}",
                    "_csrf_token": token,
                },
                follow_redirects=False,
            )
            for i in range(RACE)
        ]
    )
    assert sorted(a.status_code for a in answers) == [303] + [409] * (RACE - 1), [a.status_code for a in answers]
    assert await SupportOrder.count().where(SupportOrder.kind == "purchase") == 1


async def test_the_service_refuses_a_second_purchase_order(demo, clock):
    ops, main = await account_by_login("partner-a-ops"), await account_by_login("partner-a")
    first = await purchase.place(ops, "standard", 1, "k1", clock.now())
    with pytest.raises(Conflict) as refused:
        await purchase.place(main, "premium", 1, "k2", clock.now())
    assert refused.value.status_code == 409 and refused.value.params == {"order": first}
    assert (await purchase.pending_purchase(ops.partner)).id == first


# --- the detail page in the console look ----------------------------------------------------------------------------


async def test_detail_page_has_header_summary_actions_items_and_periods(client, demo, clock):
    await buy_plan("partner-b-buyer", "standard", 1, clock.now())
    await sign_in(client, "partner-b-buyer")
    html = (await client.get("/plan")).text
    assert '<nav aria-label="面包屑">' in html and '<span aria-current="page">支持计划</span>' in html
    assert '<a href="/plan">支持与服务</a>' in html and "<h1>合作伙伴支持计划</h1>" in html
    summary = html[html.index('id="plan-summary"') : html.index('id="service-items"')]
    for words in ("当前规格", "标准级", "有效期", "本月技术类工单", "已用 0 / 共 30", "自动续费", "未开启"):
        assert words in summary, words
    assert '<a class="button" href="/plan/renew">续费</a>' in summary
    assert '<a class="button secondary" href="/plan/packs">购买工单增购包</a>' in summary
    assert '<details class="menu">' in summary and '<a href="/plan/change">更改</a>' in summary
    assert '<a href="/plan/unsubscribe">退订</a>' in summary
    assert 'id="service-items"' in html and "致命严重性/响应时间" in html
    periods = html[html.index('id="periods"') :]
    assert '<table class="table stack"' in periods and 'data-label="起止时间"' in periods
    assert '<span class="tag tag-paid">当前</span>' in periods


async def test_a_basic_plan_offers_change_as_its_one_button(client, demo):
    await sign_in(client, "partner-b-buyer")
    html = (await client.get("/plan")).text
    assert '<a class="button" href="/plan/change">更改</a>' in html and "更多" not in html
    assert 'id="periods"' not in html  # nothing bought yet
