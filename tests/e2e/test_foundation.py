"""Foundation end to end (issue 2): sign in, 支持与服务 > 支持计划, the detail page in both locales, a wrong
password, sign-out, axe-core, the no-JavaScript sign-in and the tab order of every action."""

from __future__ import annotations

import re

from a11y import assert_no_axe_violations
from flows import (
    EN,
    PINNED,
    ZH,
    buy_by_balance,
    expect_locale,
    open_menu_item,
    sign_in,
    sign_out,
    summary_value,
    tab_order,
)
from playwright.sync_api import expect


def detail_heading(page, name="合作伙伴支持计划"):
    return page.get_by_role("heading", name=name, exact=True, level=1)


def test_sign_in_and_detail_page_in_both_locales(page):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))
    expect_locale(page, ZH)
    expect(page.get_by_role("heading", name="登录", level=1)).to_be_visible()
    sign_in(page, "partner-b-buyer")

    open_menu_item(page, "支持计划")
    expect(page).to_have_url(re.compile(r"/plan$"))
    expect(page).to_have_title(re.compile("支持计划详情页"))
    expect(detail_heading(page)).to_be_visible()
    expect(summary_value(page, "当前规格")).to_have_text("基础级")
    expect(summary_value(page, "有效期")).to_contain_text("无")
    expect(page.get_by_role("table", name="基础级的服务项")).to_contain_text("业务类支持")
    expect(page.get_by_role("link", name="更改", exact=True)).to_be_visible()

    page.get_by_role("link", name="English", exact=True).click()
    expect(page).to_have_url(re.compile(r"/plan$"))
    expect_locale(page, EN)
    expect(detail_heading(page, "Partner Support Plan")).to_be_visible()
    expect(summary_value(page, "Validity")).to_be_visible()
    expect(page.get_by_role("definition").filter(has_text=re.compile(r"^Basic$"))).to_be_visible()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Change", exact=True)).to_be_visible()
    expect(page.get_by_text("基础级")).to_have_count(0)
    # The menu works in English too, and the choice sticks from page to page.
    open_menu_item(page, "支持计划", locale=EN)
    expect_locale(page, EN)
    expect(detail_heading(page, "Partner Support Plan")).to_be_visible()

    page.get_by_role("link", name="中文", exact=True).click()
    expect_locale(page, ZH)
    expect(detail_heading(page)).to_be_visible()


def test_wrong_password_is_refused_next_to_the_form(page):
    page.goto("/login")
    page.get_by_label("帐号", exact=True).fill("partner-a")
    page.get_by_label("密码", exact=True).fill("not-the-password")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/login")) as answer:
        page.get_by_role("button", name="登录", exact=True).click()
    assert 400 <= answer.value.status < 500, answer.value.status
    login = page.get_by_label("帐号", exact=True)
    expect(login).to_have_attribute("aria-invalid", "true")
    expect(login).to_have_accessible_description(re.compile("帐号或密码错误"))
    expect(login).to_have_value("partner-a")
    expect(page.get_by_role("alert")).to_contain_text("帐号或密码错误")  # the error summary
    expect(page).to_have_title(re.compile("^错误："))
    # No hint which part was wrong: an unknown login reads the same.
    message = page.locator("#login-error").text_content()
    page.get_by_label("帐号", exact=True).fill("no-such-login")
    page.get_by_label("密码", exact=True).fill("not-the-password")
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.locator("#login-error")).to_have_text(message)
    expect(page.get_by_role("button", name="退出")).to_have_count(0)


def test_sign_out(page):
    sign_in(page, "partner-a-ops")
    sign_out(page)
    expect(page).to_have_url(re.compile(r"/login"))
    page.goto("/plan")
    expect(page).to_have_url(re.compile(r"/login"))  # the session is gone
    expect(page.get_by_role("button", name="退出")).to_have_count(0)


def test_sign_out_of_every_session_from_the_sessions_page(page, new_context):
    """登录会话 (issue 11): another browser of the same account is signed out too; no axe violation."""
    other = new_context().new_page()
    sign_in(other, "partner-a")
    sign_in(page, "partner-a")
    page.get_by_role("link", name="当前帐号：partner-a").click()
    expect(page.get_by_role("heading", name="登录会话", level=1)).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="退出所有会话").click()
    expect(page.get_by_role("status")).to_contain_text("已在所有浏览器和设备上退出此帐号")
    assert_no_axe_violations(page)
    other.goto("/plan")
    expect(other).to_have_url(re.compile(r"/login"))


def test_axe_on_login_and_detail_pages_in_both_locales(page):
    page.goto("/login")
    assert_no_axe_violations(page)
    page.get_by_role("link", name="English", exact=True).click()
    expect_locale(page, EN)
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    assert_no_axe_violations(page)
    # A wrong try shows the error summary and the field error: still no violation.
    page.get_by_label("Account", exact=True).fill("partner-a")
    page.get_by_label("Password", exact=True).fill("wrong")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_no_axe_violations(page)

    sign_in(page, "partner-a", locale=EN)
    expect(detail_heading(page, "Partner Support Plan")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("link", name="中文", exact=True).click()
    expect_locale(page, ZH)
    expect(detail_heading(page)).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("navigation", name="主菜单").get_by_text("支持与服务", exact=True).click()  # menu open
    assert_no_axe_violations(page)


def test_sign_in_without_javascript(no_js_context):
    page = no_js_context.new_page()
    page.goto("/login")
    sign_in(page, "partner-b-buyer")
    expect(detail_heading(page)).to_be_visible()
    open_menu_item(page, "支持计划")
    expect(detail_heading(page)).to_be_visible()
    page.get_by_role("link", name="English", exact=True).click()
    expect_locale(page, EN)
    expect(detail_heading(page, "Partner Support Plan")).to_be_visible()
    page.get_by_role("link", name="中文", exact=True).click()
    assert_no_axe_violations(page)
    sign_out(page)


def test_tab_order_reaches_every_action_on_the_detail_page(page, new_context, make_server):
    sign_in(page, "partner-a-ops")
    expect(detail_heading(page)).to_be_visible()
    basic = tab_order(page)
    assert basic[0] == "跳到主要内容", basic
    for name in ("支持与服务", "English", "退出", "更改"):
        assert name in basic, (name, basic)
    assert basic.index("支持与服务") < basic.index("退出") < basic.index("更改"), basic
    # The skip link comes first and takes the keyboard to the main content.
    page.evaluate("() => document.activeElement.blur()")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="跳到主要内容")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()

    srv = make_server(now=PINNED)
    standard_page = new_context(base_url=srv.url).new_page()
    sign_in(standard_page, "partner-b-buyer")
    buy_by_balance(standard_page, srv, "partner-b-buyer")
    standard_page.goto("/plan")
    expect(summary_value(standard_page, "当前规格")).to_have_text("标准级")
    standard = tab_order(standard_page)
    assert standard[0] == "跳到主要内容", standard
    for name in ("支持与服务", "English", "退出", "续费", "购买工单增购包", "更多"):
        assert name in standard, (name, standard)
    assert standard.index("续费") < standard.index("购买工单增购包") < standard.index("更多"), standard
    # 更多 opens with the keyboard and its 更改 and 退订 are then in the tab order too.
    standard_page.get_by_role("link", name="续费", exact=True).focus()
    while standard_page.evaluate("() => document.activeElement.tagName") != "SUMMARY":
        standard_page.keyboard.press("Tab")
    standard_page.keyboard.press("Enter")
    standard_page.keyboard.press("Tab")
    expect(standard_page.get_by_role("link", name="更改", exact=True)).to_be_focused()
    standard_page.keyboard.press("Tab")
    expect(standard_page.get_by_role("link", name="退订", exact=True)).to_be_focused()
