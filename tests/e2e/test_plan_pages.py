"""No dead ends on the plan's own pages (issue 12 §2), as a new user would, in both locales: a payment abandoned is
found again on the detail page (the banner, 继续支付 back to the payment page, 取消订单 with its confirmation); a
ticket opens on a page of its own with its status and response target; an invalid pack count is marked on the
field; the balance page says how to top up. axe-core on each of these screens."""

from __future__ import annotations

import re

import pytest
from a11y import assert_no_axe_violations
from flows import EN, PINNED, ZH, buy_by_balance, expect_locale, open_menu_item, place_order, set_locale, sign_in, tr
from playwright.sync_api import Page, expect


def banner(page: Page, locale: str):
    """The pending-order banner of the detail page (a warning box titled 您有待支付的订单)."""
    title = page.get_by_role("heading", name=tr(locale, "您有待支付的订单"), exact=True)
    return page.locator(".alert-warning", has=title)


@pytest.mark.parametrize("locale", [ZH, EN])
def test_an_abandoned_payment_is_found_again_on_the_detail_page(make_server, new_context, locale):
    srv = make_server(now=PINNED)
    page = new_context(base_url=srv.url).new_page()
    sign_in(page, "partner-b-buyer")
    order_id = place_order(page, "尊享级", "3个月")
    set_locale(page, locale)
    page.goto("/orders")  # the payment is left: the partner goes elsewhere, then back to 支持计划
    open_menu_item(page, "支持计划", locale)
    expect_locale(page, locale)
    shown = banner(page, locale)
    expect(shown).to_be_visible()
    expect(shown).to_contain_text(order_id)
    expect(shown).to_contain_text("¥75,000.00")
    expect(shown.get_by_role("link", name=tr(locale, "取消订单"), exact=True)).to_be_visible()
    assert_no_axe_violations(page)

    shown.get_by_role("link", name=tr(locale, "继续支付"), exact=True).click()
    expect(page).to_have_url(re.compile(rf"/orders/{order_id}/pay$"))
    expect(page.get_by_text(tr(locale, "订单已生成，请核对优惠折扣并尽快支付"))).to_be_visible()

    # A second 新购 is not made while this one waits: placing one shows why (409), naming the order.
    page.goto("/plan")
    banner(page, locale).get_by_role("link", name=tr(locale, "取消订单"), exact=True).click()
    expect(page).to_have_url(re.compile(rf"/orders/{order_id}/cancel\?from=plan$"))
    page.get_by_role("button", name=tr(locale, "确认取消订单"), exact=True).click()
    expect(page.get_by_text(tr(locale, "订单 %(order)s 已取消。", order=order_id))).to_be_visible()
    page.goto("/plan")
    expect(page.get_by_role("heading", name=tr(locale, "您有待支付的订单"))).to_have_count(0)


def test_a_second_purchase_order_is_refused_while_one_waits(make_server, new_context):
    srv = make_server(now=PINNED)
    page = new_context(base_url=srv.url).new_page()
    sign_in(page, "partner-a-ops")
    first = place_order(page)
    other = new_context(base_url=srv.url).new_page()  # another account of the company, in its own browser
    sign_in(other, "partner-a")
    other.goto("/plan")
    expect(other.get_by_role("heading", name="贵公司有待支付的订单")).to_be_visible()
    expect(other.get_by_text(first)).to_be_visible()
    with other.expect_response(lambda r: r.request.method == "POST" and "/plan/change/spec" in r.url) as placed:
        place_order_anyway(other)
    assert placed.value.status == 409
    expect(other.get_by_text(re.compile("贵公司已有待支付的新购订单"))).to_be_visible()


def place_order_anyway(page: Page) -> None:
    """规格确认 reached by its address, the agreement ticked, 去购买 (the steps place_order would take)."""
    page.goto("/plan/change/spec?level=premium&months=1")
    page.get_by_role("checkbox", name="我已阅读并同意《合作伙伴支持计划服务协议》").check()
    page.get_by_role("button", name="去购买", exact=True).click()


@pytest.mark.parametrize("locale", [ZH, EN])
def test_a_ticket_opens_on_its_own_page(make_server, new_context, locale):
    srv = make_server(now=PINNED)
    page = new_context(base_url=srv.url).new_page()
    sign_in(page, "partner-a-ops")
    buy_by_balance(page, srv, "partner-a-ops")
    set_locale(page, locale)
    page.goto("/plan")
    open_menu_item(page, "工单", locale)
    page.get_by_role("radio", name=tr(locale, "技术类"), exact=True).check()
    page.get_by_role("radio", name=re.compile("^" + re.escape(tr(locale, "生产系统异常")))).check()
    page.get_by_label(tr(locale, "标题")).fill("控制台无法登录")
    page.get_by_label(tr(locale, "问题描述")).fill("生产环境报错。")
    page.get_by_role("button", name=tr(locale, "提交工单"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/tickets/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("控制台无法登录")
    expect(page.get_by_role("status").filter(has_text=re.compile("#1"))).to_be_visible()
    status = page.get_by_role("term").filter(has_text=tr(locale, "状态")).locator("xpath=following-sibling::dd[1]")
    expect(status).to_have_text(tr(locale, "待受理"))
    response = (
        page.get_by_role("term").filter(has_text=tr(locale, "响应时间")).locator("xpath=following-sibling::dd[1]")
    )
    expect(response).to_contain_text(tr(locale, "%(num)s小时", num=3))
    assert_no_axe_violations(page)
    page.get_by_role("link", name=tr(locale, "返回工单列表")).click()
    row = page.get_by_role("row").filter(has_text="控制台无法登录")
    expect(row).to_contain_text(tr(locale, "待受理"))
    row.get_by_role("link", name="控制台无法登录").click()
    expect(page).to_have_url(re.compile(r"/tickets/\d+$"))


@pytest.mark.parametrize("locale", [ZH, EN])
def test_an_invalid_pack_count_is_marked_on_the_field(make_server, new_context, locale):
    srv = make_server(now=PINNED)
    page = new_context(base_url=srv.url).new_page()
    sign_in(page, "partner-a-ops")
    buy_by_balance(page, srv, "partner-a-ops")
    set_locale(page, locale)
    page.goto("/plan/packs")
    count = page.get_by_label(tr(locale, "增购包个数"))
    count.fill("120")  # live, by htmx
    expect(count).to_have_attribute("aria-invalid", "true")
    expect(count).to_have_accessible_description(re.compile("99"))
    expect(page.get_by_role("button", name=tr(locale, "立即购买"), exact=True)).to_be_enabled()
    assert_no_axe_violations(page)
    count.fill("2")
    expect(page.get_by_role("status")).to_contain_text("¥4,000.00")
    expect(count).not_to_have_attribute("aria-invalid", "true")
    page.goto("/plan/packs?count=abc")  # without the live preview: the whole page marks it, with the summary
    expect(page.get_by_role("alert")).to_contain_text(tr(locale, "增购包个数须为1至99之间的整数。"))
    expect(page.get_by_label(tr(locale, "增购包个数"))).to_have_attribute("aria-invalid", "true")
    assert_no_axe_violations(page)


@pytest.mark.parametrize("locale", [ZH, EN])
def test_the_balance_page_says_how_to_top_up(server, new_context, locale):
    page = new_context().new_page()
    sign_in(page, "partner-a")
    set_locale(page, locale)
    page.reload()
    open_menu_item(page, "余额", locale)
    expect(page.get_by_role("heading", name=tr(locale, "余额与充值"), level=1)).to_be_visible()
    expect(page.get_by_role("main")).not_to_contain_text("partner-console")
    expect(page.get_by_role("main")).to_contain_text("+¥100,000.00")
    assert_no_axe_violations(page)
