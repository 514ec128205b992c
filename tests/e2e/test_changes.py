"""变更规格 end to end (guide chapter 4), the clock pinned as a new user would: buy Standard on 2024/01/01 10:30,
come back on 2024/01/15 18:40, upgrade (¥9,011.87 charged to the fen) paying by balance, with JavaScript and
without; downgrade (¥9,011.87 back on the balance); the Standard → Basic hint; axe on every new screen in zh-CN
and in English (switched with the "English" link)."""

from __future__ import annotations

import re

from a11y import assert_no_axe_violations
from flows import EN, ZH, available_balance, buy_by_balance, expect_locale, pay_by_balance, sign_in, summary_value, tr
from playwright.sync_api import Page, expect

BUYER = "partner-b-buyer"
BOUGHT = "2024-01-01T10:30:00+08:00"
LATER = "2024-01-15T18:40:00+08:00"
FEE = "¥9,011.87"
AGREE = "我已阅读并同意《合作伙伴支持计划服务协议》"


def come_back_later(page: Page, srv, locale: str = ZH) -> None:
    """Restart the console two weeks later; the sign-in of two weeks ago has ended, so sign in again."""
    srv.restart(now=LATER)
    sign_in(page, BUYER, locale=locale)


def open_change(page: Page, locale: str = ZH) -> None:
    """支持与服务 > 支持计划 > 更多 > 更改 (guide 4.1 / 4.2, step 3)."""
    page.goto("/plan")
    page.get_by_text(tr(locale, "更多"), exact=True).click()
    page.get_by_role("link", name=tr(locale, "更改"), exact=True).click()
    expect(page.get_by_role("heading", name=tr(locale, "更改合作伙伴支持计划"), level=1)).to_be_visible()


def downgrade(page: Page, locale: str = ZH, axe: bool = False) -> None:
    """尊享级 → 标准级: preview the refund, 立即变更, agree, 确认变更, the result with the refund."""
    open_change(page, locale)
    expect(page.get_by_role("radio", name=tr(locale, "标准级"), exact=True)).to_be_checked()
    expect(page.get_by_role("radio", name=tr(locale, "尊享级"), exact=True)).to_be_disabled()
    preview = page.get_by_role("status").filter(has_text=tr(locale, "退费金额"))
    expect(preview).to_contain_text(FEE)
    if axe:
        assert_no_axe_violations(page)
    page.get_by_role("button", name=tr(locale, "立即变更"), exact=True).click()
    expect(page.get_by_role("heading", name=tr(locale, "规格确认"), exact=True)).to_be_visible()
    expect(summary_value(page, tr(locale, "退费金额"))).to_contain_text(FEE)
    if axe:
        assert_no_axe_violations(page)
    page.get_by_role("checkbox", name=tr(locale, AGREE)).check()
    page.get_by_role("button", name=tr(locale, "确认变更"), exact=True).click()
    expect(page.get_by_role("heading", name=tr(locale, "降级成功"), exact=True)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(FEE)
    expect(summary_value(page, tr(locale, "您的当前余额"))).to_have_text("¥91,500.00")
    if axe:
        assert_no_axe_violations(page)


def test_upgrade_by_balance_with_javascript_then_downgrade(make_server, new_context):
    srv = make_server(now=BOUGHT)
    page = new_context(base_url=srv.url).new_page()
    sign_in(page, BUYER)
    buy_by_balance(page, srv, BUYER)
    come_back_later(page, srv)

    open_change(page)
    expect(page.get_by_role("radio", name="尊享级", exact=True)).to_be_checked()
    expect(page.get_by_role("radio", name="标准级", exact=True)).to_be_disabled()  # shown as the current level
    preview = page.get_by_role("status").filter(has_text="补交的费用")
    expect(preview).to_contain_text(FEE)
    expect(page.get_by_role("radio", name="尊享级", exact=True)).to_have_accessible_description(
        re.compile("补交的费用：" + re.escape(FEE))
    )
    page.get_by_text("怎么算的", exact=True).click()  # the explanation, one click away
    explain = page.locator("details#explain")
    expect(explain).to_contain_text("共758小时，剩余414小时")
    expect(explain).to_contain_text("¥25,000.00 × 414/758")
    assert_no_axe_violations(page)

    page.get_by_role("button", name="立即变更", exact=True).click()
    dialog = page.get_by_role("dialog", name="购买确认")
    expect(dialog).to_be_visible()
    assert_no_axe_violations(page)
    dialog.get_by_role("button", name="确认", exact=True).click()

    expect(page.get_by_role("heading", name="规格确认", exact=True)).to_be_visible()
    expect(summary_value(page, "补交的费用")).to_have_text(FEE)
    expect(summary_value(page, "变更后规格")).to_have_text("尊享级")
    page.get_by_role("button", name="确认变更", exact=True).click()  # not agreed yet: refused at the checkbox
    expect(page.get_by_role("alert")).to_contain_text("请阅读并勾选同意")
    expect(page).to_have_title(re.compile("^错误："))
    assert_no_axe_violations(page)
    page.get_by_role("checkbox", name=AGREE).check()
    page.get_by_role("button", name="确认变更", exact=True).click()
    pay_by_balance(page, srv, BUYER, amount=FEE)
    expect(page.get_by_role("status")).to_contain_text(FEE)

    page.goto("/plan")
    expect(summary_value(page, "当前规格")).to_have_text("尊享级")
    expect(summary_value(page, "有效期")).to_contain_text("2024/02/01 23:59:59")  # the end does not change
    assert available_balance(page) == "¥82,488.13"  # 100,000 - 8,500 - 9,011.87

    downgrade(page, axe=True)
    page.goto("/plan")
    expect(summary_value(page, "当前规格")).to_have_text("标准级")
    assert available_balance(page) == "¥91,500.00"
    page.goto("/orders")
    expect(page.get_by_role("row").filter(has_text="降级")).to_contain_text(FEE)


def test_upgrade_without_javascript(make_server, new_context):
    srv = make_server(now=BOUGHT)
    page = new_context(base_url=srv.url, java_script_enabled=False).new_page()
    sign_in(page, BUYER)
    buy_by_balance(page, srv, BUYER)
    come_back_later(page, srv)

    open_change(page)
    page.get_by_role("button", name="计算费用", exact=True).click()  # the preview without htmx: a plain GET
    expect(page.get_by_role("status")).to_contain_text(FEE)
    page.get_by_role("button", name="立即变更", exact=True).click()
    expect(page.get_by_role("heading", name="购买确认", exact=True, level=1)).to_be_visible()
    expect(page.get_by_text(FEE)).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="确认", exact=True).click()
    expect(page.get_by_role("heading", name="规格确认", exact=True)).to_be_visible()
    page.get_by_role("checkbox", name=AGREE).check()
    page.get_by_role("button", name="确认变更", exact=True).click()
    pay_by_balance(page, srv, BUYER, amount=FEE)
    page.goto("/plan")
    expect(summary_value(page, "当前规格")).to_have_text("尊享级")
    assert available_balance(page) == "¥82,488.13"

    downgrade(page)
    assert available_balance(page) == "¥91,500.00"


def test_standard_plan_offers_no_downgrade_but_explains_unsubscribe(make_server, new_context):
    srv = make_server(now=BOUGHT)
    page = new_context(base_url=srv.url).new_page()
    sign_in(page, BUYER)
    buy_by_balance(page, srv, BUYER)
    open_change(page)
    expect(page.get_by_text("标准级合作伙伴支持计划请选择“更多 > 退订”操作。")).to_be_visible()
    expect(page.get_by_role("radio", name="基础级")).to_have_count(0)
    expect(page.get_by_role("radio", name="标准级", exact=True)).to_be_disabled()
    expect(page.locator('[formaction="/plan/change/downgrade/spec"]')).to_have_count(0)
    expect(page.get_by_role("status")).not_to_contain_text("退费金额")
    # the first hour: the whole difference, ¥25,000.00 - ¥8,500.00
    expect(page.get_by_role("status")).to_contain_text("¥16,500.00")
    page.goto("/plan/change/downgrade/spec")
    expect(page).to_have_url(re.compile(r"/plan/change$"))


def test_new_screens_in_english(make_server, new_context):
    srv = make_server(now=BOUGHT)
    page = new_context(base_url=srv.url).new_page()
    sign_in(page, BUYER)
    buy_by_balance(page, srv, BUYER)
    come_back_later(page, srv)

    open_change(page)
    page.get_by_role("link", name="English", exact=True).click()
    expect_locale(page, EN)
    expect(page.get_by_role("heading", name=tr(EN, "更改合作伙伴支持计划"), level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(FEE)
    assert_no_axe_violations(page)
    page.get_by_role("button", name=tr(EN, "立即变更"), exact=True).click()
    dialog = page.get_by_role("dialog", name=tr(EN, "购买确认"))
    assert_no_axe_violations(page)
    dialog.get_by_role("button", name=tr(EN, "确认"), exact=True).click()
    expect(page.get_by_role("heading", name=tr(EN, "规格确认"), exact=True)).to_be_visible()
    expect_locale(page, EN)
    assert_no_axe_violations(page)
    page.get_by_role("checkbox", name=tr(EN, AGREE)).check()
    page.get_by_role("button", name=tr(EN, "确认变更"), exact=True).click()
    pay_by_balance(page, srv, BUYER, EN, amount=FEE)

    page.goto("/plan/change/upgrade/confirm?level=standard")  # no longer an upgrade: back to the change page
    expect(page).to_have_url(re.compile(r"/plan/change$"))
    downgrade(page, locale=EN, axe=True)
    expect_locale(page, EN)
