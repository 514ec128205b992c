"""Refund orders in the browser (issue 13, SPEC.md §13), in zh-CN and in English, axe on each screen:

- 仅退订未生效的续费周期: Standard bought on 2024/01/01 10:30 and renewed once by balance; on 2024/01/15 the
  unsubscribe page offers the choice, the renewal alone is refunded in full (¥8,500.00, no fee), the current period
  stays, and 订单管理 shows the refund order (退款 ¥8,500.00, 已退款) linked to the renewal (已退订).
- 降级: Premium bought on 2024/01/01 10:30, downgraded on 2024/01/15 18:40 (¥9,011.87 back); its row in 订单管理 and
  its page show a refund (退款 ¥9,011.87, 已退款, 退款金额), never 应付金额 or 已支付."""

from __future__ import annotations

import re

import pytest
from a11y import assert_no_axe_violations
from flows import EN, ZH, buy_by_balance, pay_by_balance, set_locale, sign_in, summary_value, tr
from playwright.sync_api import Page, expect

BUYER = "partner-b-buyer"
BOUGHT = "2024-01-01T10:30:00+08:00"
LATER = "2024-01-15T18:40:00+08:00"
AGREE = "我已阅读并同意《合作伙伴支持计划服务协议》"


def order_row(page: Page, locale: str, order_id: str):
    rows = page.get_by_role("region", name=tr(locale, "订单列表")).locator("tbody tr")
    return rows.filter(has=page.get_by_role("link", name=order_id, exact=True))


def refund_order_id(page: Page, locale: str, kind: str) -> str:
    """The newest order of KIND in 订单管理 (filtered by the type select), its id."""
    page.goto("/orders")
    page.get_by_label(tr(locale, "类型"), exact=True).select_option(kind)
    page.get_by_role("button", name=tr(locale, "筛选"), exact=True).click()
    rows = page.get_by_role("region", name=tr(locale, "订单列表")).locator("tbody tr")
    expect(rows).to_have_count(1)
    return rows.first.get_by_role("link").inner_text().strip()


@pytest.mark.parametrize("locale", [ZH, EN])
def test_only_the_renewal_not_started_is_unsubscribed(make_server, new_context, locale):
    srv = make_server(now=BOUGHT)
    page = new_context(base_url=srv.url).new_page()
    sign_in(page, BUYER)
    buy_by_balance(page, srv, BUYER)
    page.goto("/plan/renew")
    page.get_by_role("button", name="去支付", exact=True).click()
    pay_by_balance(page, srv, BUYER, amount="¥8,500.00")

    srv.restart(now=LATER)
    set_locale(page, locale)
    sign_in(page, BUYER, locale=locale)
    page.goto("/plan/unsubscribe")
    expect(page.get_by_role("heading", name=tr(locale, "退订管理"), level=1)).to_be_visible()
    whole = page.get_by_role("radio", name=tr(locale, "退订全部"), exact=True)
    renewals = page.get_by_role("radio", name=tr(locale, "仅退订未生效的续费周期"), exact=True)
    expect(whole).to_be_checked()
    expect(page.get_by_role("table").locator("tbody tr")).to_have_count(2)  # the current period and the renewal
    assert_no_axe_violations(page)

    renewals.check()
    page.get_by_role("button", name=tr(locale, "按所选范围计算退订金额"), exact=True).click()
    expect(page.get_by_role("radio", name=tr(locale, "仅退订未生效的续费周期"), exact=True)).to_be_checked()
    fee_rows = page.get_by_role("table").locator("tbody tr")
    expect(fee_rows).to_have_count(1)
    expect(fee_rows.first).to_contain_text("2024/02/02 00:00:00")  # the renewal, not started
    expect(summary_value(page, tr(locale, "手续费"))).to_have_text("-¥0.00")
    expect(summary_value(page, tr(locale, "退订金额"))).to_have_text("¥8,500.00")
    assert_no_axe_violations(page)

    page.get_by_role("button", name=tr(locale, "退订"), exact=True).click()  # nothing chosen: the error summary
    summary = page.get_by_role("alert").filter(has_text=tr(locale, "存在问题"))
    expect(summary).to_contain_text(tr(locale, "请选择退订原因。"))
    expect(page.get_by_role("radio", name=tr(locale, "仅退订未生效的续费周期"), exact=True)).to_be_checked()
    assert_no_axe_violations(page)
    page.get_by_role("radio", name=tr(locale, "购买云服务时选择参数错误"), exact=True).check()
    page.get_by_role("checkbox", name=tr(locale, "我已确认本次退订金额和相关费用。")).check()
    page.get_by_role("button", name=tr(locale, "退订"), exact=True).click()
    expect(page.get_by_role("heading", name=tr(locale, "退订成功"), level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("¥8,500.00")
    assert_no_axe_violations(page)

    page.goto("/plan")  # the current period stays
    expect(summary_value(page, tr(locale, "有效期"))).to_contain_text("2024/02/01 23:59:59")
    refund = refund_order_id(page, locale, "unsub_renewals")
    row = order_row(page, locale, refund)
    expect(row).to_contain_text(tr(locale, "退款 %(amount)s", amount="¥8,500.00"))
    expect(row).to_contain_text(tr(locale, "已退款"))
    assert_no_axe_violations(page)
    row.get_by_role("link", name=refund, exact=True).click()
    expect(summary_value(page, tr(locale, "退款金额"))).to_contain_text("¥8,500.00")
    links = page.get_by_role("region", name=tr(locale, "退款对应的订单"))
    expect(links.locator("tbody tr")).to_have_count(1)
    expect(links).to_contain_text(tr(locale, "已退订"))
    assert_no_axe_violations(page)


@pytest.mark.parametrize("locale", [ZH, EN])
def test_a_downgrade_shows_a_refund_in_the_orders_list_and_on_its_page(make_server, new_context, locale):
    srv = make_server(now=BOUGHT)
    page = new_context(base_url=srv.url).new_page()
    sign_in(page, BUYER)
    bought = buy_by_balance(page, srv, BUYER, level="尊享级")

    srv.restart(now=LATER)
    set_locale(page, locale)
    sign_in(page, BUYER, locale=locale)
    page.goto("/plan/change")
    page.get_by_role("button", name=tr(locale, "立即变更"), exact=True).click()
    expect(page.get_by_role("heading", name=tr(locale, "规格确认"), exact=True)).to_be_visible()
    page.get_by_role("checkbox", name=tr(locale, AGREE)).check()
    page.get_by_role("button", name=tr(locale, "确认变更"), exact=True).click()
    expect(page.get_by_role("heading", name=tr(locale, "降级成功"), exact=True)).to_be_visible()

    down = refund_order_id(page, locale, "downgrade")
    row = order_row(page, locale, down)
    expect(row).to_contain_text(tr(locale, "退款 %(amount)s", amount="¥9,011.87"))
    expect(row).to_contain_text(tr(locale, "已退款"))
    expect(row).not_to_contain_text(tr(locale, "已支付"))
    assert_no_axe_violations(page)
    row.get_by_role("link", name=down, exact=True).click()
    expect(summary_value(page, tr(locale, "退款金额"))).to_contain_text("¥9,011.87")
    expect(summary_value(page, tr(locale, "状态"))).to_have_text(tr(locale, "已退款"))
    expect(page.get_by_role("term").filter(has_text=re.compile("^" + re.escape(tr(locale, "应付金额"))))).to_have_count(
        0
    )
    links = page.get_by_role("region", name=tr(locale, "退款对应的订单"))
    expect(links.get_by_role("link", name=bought, exact=True)).to_be_visible()
    history = page.get_by_role("region", name=tr(locale, "订单记录"))
    expect(history).to_contain_text(BUYER)
    assert_no_axe_violations(page)
    links.get_by_role("link", name=bought, exact=True).click()  # and back: the purchase names its refund order
    expect(page.get_by_role("region", name=tr(locale, "退款订单")).get_by_role("link", name=down)).to_be_visible()
    assert_no_axe_violations(page)
