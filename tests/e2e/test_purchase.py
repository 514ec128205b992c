"""Purchase and pay end to end (issue 3, the guide's chapter 1): the change page with its live fee, the
购买确认 dialog (or page without JavaScript), 规格确认, the payment page, 身份验证 with the code from the
outbox, and the result; by mouse, without JavaScript and by keyboard only; 合作伙伴代付, the sandbox gateway
and the contract; the refusals; axe-core on every screen in zh-CN and English.

Every test that buys runs its own console pinned at 2024/01/01 10:30:00 (make_server), so no two tests share a
company's plan. Prices: Standard ¥8,500.00 a month, Premium ¥25,000.00 (SPEC §2); a month bought then ends
2024/02/01 23:59:59 (SPEC §3). Each demo account starts with ¥100,000.00.
"""

from __future__ import annotations

import re

import pytest
from a11y import assert_no_axe_violations
from flows import (
    EN,
    PINNED,
    ZH,
    axe_in_both_locales,
    expect_balance,
    expect_locale,
    open_menu_item,
    order_id_from,
    place_order,
    sign_in,
    summary_value,
    tab_to,
    tr,
    verify_and_pay,
)
from playwright.sync_api import expect
from server import latest_code

BUYER = "partner-b-buyer"  # the non-certified partner's same-company member: may buy
AGREE = "我已阅读并同意《合作伙伴支持计划服务协议》"
PAY_NOTICE = "订单已生成，请核对优惠折扣并尽快支付"
METHODS = ("余额支付", "在线支付", "合作伙伴代付", "申请线上合同请款后支付")
VALIDITY = "2024/01/01 10:30:00 – 2024/02/01 23:59:59"
ORDER_ID = re.compile(r"^CS2401011030\d{5}$")


@pytest.fixture
def console(make_server):
    return make_server(now=PINNED)


@pytest.fixture
def open_page(new_context, console):
    """open_page() -> a new page in its own context (its own session) on this test's console."""
    return lambda **kwargs: new_context(base_url=console.url, **kwargs).new_page()


def preview(page):
    return page.get_by_role("status")


def expect_plan(page, level: str, validity: str | None = VALIDITY) -> None:
    open_menu_item(page, "支持计划")
    expect(page.get_by_role("heading", name="合作伙伴支持计划", level=1)).to_be_visible()
    expect(summary_value(page, "当前规格")).to_have_text(level)
    if validity:
        expect(summary_value(page, "有效期")).to_have_text(validity)


def switch_language(page, locale: str) -> None:
    """The language switch in the top bar ("English" / "中文")."""
    page.get_by_role("navigation", name=tr(ZH if locale == EN else EN, "主菜单")).get_by_role(
        "link", name="English" if locale == EN else "中文", exact=True
    ).click()
    expect_locale(page, locale)


def test_chapter_one_paid_by_balance(console, open_page):
    """The guide's chapter 1 as a new user runs it, with axe-core on each screen in both locales."""
    page = open_page()
    sign_in(page, BUYER)
    open_menu_item(page, "支持计划")
    expect(summary_value(page, "当前规格")).to_have_text("基础级")
    page.get_by_role("link", name="更改", exact=True).click()

    # 1. The change page: levels as radios, the term, the fee in a live region that htmx refreshes.
    expect(page.get_by_role("heading", name="更改合作伙伴支持计划", level=1)).to_be_visible()
    levels = page.get_by_role("group", name="规格")
    standard, premium = (levels.get_by_role("radio", name=n, exact=True) for n in ("标准级", "尊享级"))
    expect(standard).to_be_checked()
    expect(premium).not_to_be_checked()
    term = page.get_by_role("combobox", name="购买时长")
    expect(term.locator("option:checked")).to_have_text("1个月")
    expect(term.get_by_role("option")).to_have_text([f"{n}个月" for n in range(1, 12)] + ["1年", "2年", "3年"])
    expect(preview(page)).to_have_attribute("aria-live", "polite")
    expect(preview(page)).to_contain_text("应付金额 ¥8,500.00")
    axe_in_both_locales(page)

    page.evaluate("() => { window.samePage = true; }")
    with page.expect_request(lambda r: "/plan/change" in r.url and r.headers.get("hx-request") == "true"):
        premium.check()
    expect(preview(page)).to_contain_text("¥25,000.00")
    expect(preview(page)).to_contain_text("尊享级，1个月")
    term.select_option(label="1年")
    expect(preview(page)).to_contain_text("¥300,000.00")
    term.select_option(label="1个月")
    standard.check()
    expect(preview(page)).to_contain_text("¥8,500.00")
    expect(preview(page)).to_contain_text("标准级，1个月")
    assert page.evaluate("() => window.samePage === true"), "the fee changed by reloading the page, not by htmx"
    expect(page).to_have_url(re.compile(r"/plan/change$"))

    # 2. 购买确认: a modal dialog; focus moves in, Esc closes it and focus returns to 立即购买.
    buy = page.get_by_role("button", name="立即购买", exact=True)
    dialog = page.get_by_role("dialog", name="购买确认")
    expect(dialog).to_be_hidden()
    buy.click()
    expect(dialog).to_be_visible()
    assert dialog.evaluate("d => d.matches(':modal')")
    expect(dialog).to_contain_text("标准级，1个月")  # what is bought and the fee, as on the no-JS page
    expect(dialog).to_contain_text("¥8,500.00")
    expect(dialog.get_by_role("button", name="确认", exact=True)).to_be_focused()

    def reopen(locale):
        page.reload()
        page.get_by_role("button", name=tr(locale, "立即购买"), exact=True).click()
        expect(page.get_by_role("dialog", name=tr(locale, "购买确认"))).to_be_visible()

    axe_in_both_locales(page, reopen)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(buy).to_be_focused()
    buy.click()
    dialog.get_by_role("button", name="确认", exact=True).click()

    # 3. 规格确认: the summary as it will be if paid now; unticked agreement → error summary, nothing made.
    expect(page.get_by_role("heading", name="规格确认", level=1)).to_be_visible()
    expect(summary_value(page, "规格")).to_have_text("标准级")
    expect(summary_value(page, "购买时长")).to_have_text("1个月")
    expect(summary_value(page, "生效时间")).to_contain_text("2024/01/01 10:30:00")
    expect(summary_value(page, "到期时间")).to_have_text("2024/02/01 23:59:59")
    expect(summary_value(page, "应付金额")).to_have_text("¥8,500.00")
    expect(page.get_by_role("link", name=re.compile("阅读《合作伙伴支持计划服务协议》"))).to_have_attribute(
        "href", "/agreement"
    )
    axe_in_both_locales(page)
    spec_url = page.url

    def submit_unticked(locale):
        page.goto(spec_url)
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.get_by_role("button", name=tr(locale, "去购买"), exact=True).click()
        assert answer.value.status == 400
        expect(page.get_by_role("alert")).to_be_visible()

    submit_unticked(ZH)
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading", name="存在问题")).to_be_visible()
    expect(summary.get_by_role("link", name=re.compile("请阅读并勾选同意"))).to_have_attribute("href", "#agree")
    expect(summary).to_be_focused()
    agree = page.get_by_role("checkbox", name=AGREE)
    expect(agree).to_have_attribute("aria-invalid", "true")
    expect(agree).to_have_accessible_description(re.compile("请阅读并勾选同意"))
    axe_in_both_locales(page, submit_unticked)
    agree.check()
    page.get_by_role("button", name="去购买", exact=True).click()

    # 4. The payment page (the guide's 图 2-4): 购买支持计划, the steps with 支付 current.
    expect(page.get_by_role("heading", name="购买支持计划", level=1)).to_be_visible()
    expect(page.get_by_role("list", name="订单步骤").locator("[aria-current=step]")).to_contain_text("支付")
    expect(page.get_by_text(PAY_NOTICE)).to_be_visible()
    order_id = order_id_from(page)
    assert ORDER_ID.match(order_id), order_id
    expect(summary_value(page, "订单号")).to_have_text(order_id)
    expect(summary_value(page, "应付金额")).to_have_text("¥8,500.00")
    methods = page.get_by_role("group", name="选择支付方式")
    for name in METHODS:
        expect(methods.get_by_role("radio", name=name, exact=True)).to_be_enabled()
    expect(methods.get_by_role("radio", name="余额支付", exact=True)).to_be_checked()
    expect(methods.get_by_role("radio", name="余额支付", exact=True)).to_have_accessible_description(
        "可用额度 ¥100,000.00"
    )
    expect(page.get_by_role("link", name="充值", exact=True)).to_have_attribute("href", "/balance")
    expect(page.get_by_role("group", name="优惠券").get_by_role("radio", name="不使用优惠券")).to_be_checked()
    axe_in_both_locales(page)
    page.get_by_role("button", name="确认付款", exact=True).click()

    # 5. 身份验证: 手机 or 邮箱 shown masked, 获取验证码, 验证码, 确定.
    expect(page.get_by_role("heading", name="身份验证", level=1)).to_be_visible()
    verify_url = page.url
    channel = page.get_by_role("group", name="验证方式")
    expect(channel.get_by_role("radio", name="手机", exact=True)).to_have_accessible_description("139****0002")
    expect(channel.get_by_role("radio", name="邮箱", exact=True)).to_have_accessible_description(
        "b***@haichuan.example"
    )
    axe_in_both_locales(page)
    channel.get_by_role("radio", name="邮箱", exact=True).check()
    page.get_by_role("button", name="获取验证码", exact=True).click()
    expect(page).to_have_url(verify_url)  # POST → 303 back to 身份验证: a reload sends nothing
    expect(page.get_by_role("status").filter(has_text="b***@haichuan.example")).to_contain_text(
        "发送至 b***@haichuan.example"
    )
    expect(page.get_by_label("验证码", exact=True)).to_be_focused()
    assert_no_axe_violations(page)
    switch_language(page, EN)  # back to 身份验证 in English (not an error page)
    expect(page).to_have_url(verify_url)
    expect(page.get_by_role("heading", name=tr(EN, "身份验证"), level=1)).to_be_visible()
    switch_language(page, ZH)

    # A second code within 60 s: 获取验证码 waits (the clock is pinned; the countdown is tested on its own).
    expect(page.get_by_role("button", name="获取验证码", exact=True)).to_be_disabled()

    def wrong_code(locale):
        page.goto(verify_url)
        page.get_by_label(tr(locale, "验证码"), exact=True).fill("12345")
        page.get_by_role("button", name=tr(locale, "确定"), exact=True).click()
        expect(page.get_by_role("alert")).to_be_visible()

    wrong_code(ZH)
    expect(page.get_by_label("验证码", exact=True)).to_have_accessible_description(re.compile("请输入6位数字验证码"))
    axe_in_both_locales(page, wrong_code)
    page.get_by_label("验证码", exact=True).fill(latest_code(console, BUYER))
    page.get_by_role("button", name="确定", exact=True).click()

    # The result, the plan, the orders and the balance.
    expect(page.get_by_role("heading", name="支付成功", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(f"订单 {order_id} 已支付 ¥8,500.00。")
    expect(summary_value(page, "状态")).to_have_text("已支付")
    expect(summary_value(page, "支付方式")).to_have_text("余额支付")
    axe_in_both_locales(page)

    expect_plan(page, "标准级")
    expect(page.get_by_role("link", name="续费", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="购买工单增购包", exact=True)).to_be_visible()
    axe_in_both_locales(page)

    open_menu_item(page, "订单管理")
    expect(page.get_by_role("heading", name="订单管理", level=1)).to_be_visible()
    rows = page.get_by_role("table", name=re.compile("您提交的订单")).get_by_role("row")
    expect(rows).to_have_count(2)  # the header and the one order: the unticked tries created nothing
    expect(rows.nth(1)).to_contain_text("已支付")
    axe_in_both_locales(page)
    page.get_by_role("link", name=order_id, exact=True).click()
    expect(page.get_by_role("heading", name="订单详情", level=1)).to_be_visible()
    expect(summary_value(page, "支付时间")).to_have_text("2024/01/01 10:30:00")
    axe_in_both_locales(page)

    expect_balance(page, "¥91,500.00")
    expect(page.get_by_role("row").filter(has_text=order_id)).to_contain_text("-¥8,500.00")
    axe_in_both_locales(page)
    assert f"订单 {order_id} 已支付 ¥8,500.00" in console.cli("messages", BUYER).stdout


def test_chapter_one_without_javascript(console, open_page):
    page = open_page(java_script_enabled=False)
    sign_in(page, BUYER)
    open_menu_item(page, "支持计划")
    page.get_by_role("link", name="更改", exact=True).click()
    expect(preview(page)).to_contain_text("¥8,500.00")
    # 计算费用 refreshes the same page with the same number as the live preview.
    page.get_by_role("radio", name="尊享级", exact=True).check()
    page.get_by_role("button", name="计算费用", exact=True).click()
    expect(preview(page)).to_contain_text("应付金额 ¥25,000.00")
    expect(page.get_by_role("radio", name="尊享级", exact=True)).to_be_checked()
    page.get_by_role("radio", name="标准级", exact=True).check()
    page.get_by_role("button", name="计算费用", exact=True).click()
    expect(preview(page)).to_contain_text("¥8,500.00")

    # No dialog: 立即购买 opens the 购买确认 page of its own.
    page.get_by_role("button", name="立即购买", exact=True).click()
    expect(page).to_have_url(re.compile(r"/plan/change/confirm\?"))
    expect(page.get_by_role("heading", name="购买确认", level=1)).to_be_visible()
    expect(summary_value(page, "规格")).to_have_text("标准级")
    expect(summary_value(page, "购买时长")).to_have_text("1个月")
    expect(summary_value(page, "应付金额")).to_have_text("¥8,500.00")
    axe_in_both_locales(page)
    page.get_by_role("button", name="确认", exact=True).click()

    expect(page.get_by_role("heading", name="规格确认", level=1)).to_be_visible()
    page.get_by_role("button", name="去购买", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("请阅读并勾选同意")
    page.get_by_role("checkbox", name=AGREE).check()
    page.get_by_role("button", name="去购买", exact=True).click()
    expect(page.get_by_text(PAY_NOTICE)).to_be_visible()
    order_id = order_id_from(page)
    page.get_by_role("button", name="确认付款", exact=True).click()
    # Without JavaScript 获取验证码 is not disabled: the page says from when, and the server refuses earlier.
    page.get_by_role("button", name="获取验证码", exact=True).click()
    expect(page.get_by_text("2024/01/01 10:31:00 起可重新获取")).to_be_visible()
    page.get_by_role("button", name="获取验证码", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("秒后可重新获取")

    def resend(locale):
        page.goto(f"/orders/{order_id}/verify")
        page.get_by_role("button", name=tr(locale, "获取验证码"), exact=True).click()
        expect(page.get_by_role("alert")).to_be_visible()

    axe_in_both_locales(page, resend)
    page.get_by_label("验证码", exact=True).fill(latest_code(console, BUYER))
    page.get_by_role("button", name="确定", exact=True).click()
    expect(page.get_by_role("heading", name="支付成功", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(order_id)
    expect_plan(page, "标准级")
    expect_balance(page, "¥91,500.00")


def test_chapter_one_by_keyboard_only(console, open_page):
    page = open_page()
    kb = page.keyboard
    page.goto("/login")
    tab_to(page, "帐号")
    kb.type(BUYER)
    tab_to(page, "密码")
    kb.type("demo-pass-2026")
    tab_to(page, "登录")
    kb.press("Enter")
    expect(page.get_by_role("heading", name="合作伙伴支持计划", level=1)).to_be_visible()

    tab_to(page, "支持与服务")
    kb.press("Enter")  # opens the menu
    tab_to(page, "支持计划")
    kb.press("Enter")
    expect(page).to_have_url(re.compile(r"/plan$"))
    tab_to(page, "更改")
    kb.press("Enter")
    expect(page.get_by_role("heading", name="更改合作伙伴支持计划", level=1)).to_be_visible()

    tab_to(page, "标准级")
    kb.press("ArrowDown")  # the radio group is one tab stop; arrows move the choice
    expect(page.get_by_role("radio", name="尊享级", exact=True)).to_be_checked()
    expect(preview(page)).to_contain_text("¥25,000.00")
    expect(page.get_by_role("radio", name="尊享级", exact=True)).to_be_focused()  # the swap kept the focus
    kb.press("ArrowUp")
    expect(page.get_by_role("radio", name="标准级", exact=True)).to_be_checked()
    expect(preview(page)).to_contain_text("¥8,500.00")

    tab_to(page, "立即购买")
    kb.press("Enter")
    dialog = page.get_by_role("dialog", name="购买确认")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="确认", exact=True)).to_be_focused()
    kb.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="立即购买", exact=True)).to_be_focused()
    kb.press("Space")
    expect(dialog).to_be_visible()
    kb.press("Enter")

    expect(page.get_by_role("heading", name="规格确认", level=1)).to_be_visible()
    tab_to(page, "去购买")
    kb.press("Enter")
    expect(page.get_by_role("alert")).to_be_focused()  # the error summary takes the focus
    kb.press("Tab")
    kb.press("Enter")  # its link leads to the checkbox
    tab_to(page, AGREE)
    kb.press("Space")
    expect(page.get_by_role("checkbox", name=AGREE)).to_be_checked()
    tab_to(page, "去购买")
    kb.press("Enter")

    expect(page.get_by_text(PAY_NOTICE)).to_be_visible()
    expect(page.get_by_role("radio", name="余额支付", exact=True)).to_be_checked()
    tab_to(page, "确认付款")
    kb.press("Enter")

    expect(page.get_by_role("heading", name="身份验证", level=1)).to_be_visible()
    expect(page.get_by_role("radio", name="手机", exact=True)).to_be_checked()
    tab_to(page, "获取验证码")
    kb.press("Enter")
    expect(page.get_by_role("status").filter(has_text="139****0002")).to_be_visible()
    expect(page.get_by_label("验证码", exact=True)).to_be_focused()  # focus moved to the field
    tab_to(page, "验证码")
    kb.type(latest_code(console, BUYER))
    tab_to(page, "确定")
    kb.press("Enter")
    expect(page.get_by_role("heading", name="支付成功", level=1)).to_be_visible()
    expect_plan(page, "标准级")
    expect_balance(page, "¥91,500.00")


def test_partner_pays_for_its_member(console, open_page):
    """合作伙伴代付: the member asks, the main account pays from its own balance with its own code."""
    buyer = open_page()
    sign_in(buyer, BUYER)
    order_id = place_order(buyer)
    buyer.get_by_role("radio", name="合作伙伴代付", exact=True).check()
    buyer.get_by_role("button", name="确认付款", exact=True).click()
    expect(buyer.get_by_role("heading", name="已申请合作伙伴代付", level=1)).to_be_visible()
    expect(summary_value(buyer, "状态")).to_have_text("待支付")
    expect(summary_value(buyer, "支付方式")).to_have_text("合作伙伴代付")
    axe_in_both_locales(buyer)

    main = open_page()
    sign_in(main, "partner-b")
    open_menu_item(main, "订单管理")
    main.get_by_role("link", name="待代付订单", exact=True).click()  # its own page (issue 13)
    awaiting = main.get_by_role("table", name="待代付订单")
    expect(main.get_by_role("heading", name="待代付订单", level=1)).to_be_visible()
    row = awaiting.get_by_role("row").filter(has_text=order_id)
    expect(row).to_contain_text("¥8,500.00")
    expect(row).to_contain_text(BUYER)
    axe_in_both_locales(main)
    row.get_by_role("link", name=f"去支付 {order_id}", exact=True).click()
    expect(main.get_by_role("heading", name="身份验证", level=1)).to_be_visible()
    expect(main.get_by_role("main")).to_contain_text("将从帐号 partner-b 的余额中扣除")
    expect(main.get_by_role("radio", name="手机", exact=True)).to_have_accessible_description("139****0001")
    verify_and_pay(main, console, "partner-b")
    expect(main.get_by_role("heading", name="支付成功", level=1)).to_be_visible()
    expect(main.get_by_role("status")).to_contain_text(order_id)

    main.goto("/orders/partner-requests")
    expect(main.get_by_role("main")).to_contain_text("暂无待代付订单。")
    expect_balance(main, "¥91,500.00")  # the main account paid
    expect_plan(main, "标准级")  # one plan per company
    expect_balance(buyer, "¥100,000.00")  # the member paid nothing
    expect_plan(buyer, "标准级")
    buyer.goto(f"/orders/{order_id}")
    expect(summary_value(buyer, "状态")).to_have_text("已支付")


def test_online_payment_and_contract(console, open_page):
    page = open_page()
    sign_in(page, BUYER)
    order_id = place_order(page)

    # 申请线上合同请款后支付: the order waits; its contract can be read and downloaded.
    page.get_by_role("radio", name="申请线上合同请款后支付", exact=True).check()
    page.get_by_role("button", name="确认付款", exact=True).click()
    expect(page.get_by_role("heading", name="等待线下付款", level=1)).to_be_visible()
    axe_in_both_locales(page)
    page.get_by_role("link", name="查看合同", exact=True).click()
    expect(page.get_by_role("heading", name="合作伙伴支持计划购买合同", level=1)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(f"合同编号：{order_id}")
    expect(summary_value(page, "应付金额")).to_have_text("¥8,500.00")
    axe_in_both_locales(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="下载合同", exact=True).click()
    assert download.value.suggested_filename == f"contract-{order_id}.html"

    # Changing one's mind: 订单管理 > the order > 去支付, now online through the sandbox.
    open_menu_item(page, "订单管理")
    page.get_by_role("link", name=order_id, exact=True).click()
    expect(summary_value(page, "状态")).to_have_text("待支付")
    axe_in_both_locales(page)
    page.get_by_role("link", name="去支付", exact=True).click()
    page.get_by_role("radio", name="在线支付", exact=True).check()
    page.get_by_role("button", name="确认付款", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("沙箱支付网关"), level=1)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(f"订单 {order_id}，支付金额 ¥8,500.00。")
    axe_in_both_locales(page, lambda locale: switch_language(page, locale))  # the switch keeps the signed link
    expect(page.get_by_role("main")).to_contain_text(f"订单 {order_id}，支付金额 ¥8,500.00。")

    # A cancelled sandbox payment leaves the order pending.
    page.get_by_role("button", name="取消支付", exact=True).click()
    expect(page.get_by_role("heading", name="购买支持计划", level=1)).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="在线支付已取消")).to_contain_text("订单仍待支付")
    expect(page.get_by_text(PAY_NOTICE)).to_be_visible()
    expect_plan(page, "基础级", validity=None)

    page.goto(f"/orders/{order_id}/pay")
    page.get_by_role("radio", name="在线支付", exact=True).check()
    page.get_by_role("button", name="确认付款", exact=True).click()
    page.get_by_role("button", name="沙箱支付", exact=True).click()
    expect(page.get_by_role("heading", name="支付成功", level=1)).to_be_visible()
    expect(summary_value(page, "支付方式")).to_have_text("在线支付")
    expect_plan(page, "标准级")
    expect_balance(page, "¥100,000.00")  # paid online, not from the balance


@pytest.mark.parametrize(
    "login, reason",
    [
        ("partner-b", "主帐号不能直接购买"),
        ("partner-b-other", "另行创建子帐号"),
    ],
)
def test_refused_accounts_see_why_and_cannot_buy(page, login, reason):
    sign_in(page, login)
    open_menu_item(page, "支持计划")
    with page.expect_response(lambda r: r.url.endswith("/plan/change")) as answer:
        page.get_by_role("link", name="更改", exact=True).click()
    assert answer.value.status == 403
    refusal = page.get_by_role("alert")
    expect(refusal.get_by_role("heading", name="当前帐号不能购买")).to_be_visible()
    expect(refusal).to_contain_text(reason)
    expect(page.get_by_role("button", name="立即购买")).to_have_count(0)
    expect(page.get_by_role("radio")).to_have_count(0)
    axe_in_both_locales(page)
    # The server re-checks every later step: no 规格确认, no order.
    page.goto("/plan/change/spec?level=standard&months=1")
    expect(page).to_have_url(re.compile(r"/plan/change$"))
    expect(page.get_by_role("heading", name="规格确认")).to_have_count(0)
    open_menu_item(page, "订单管理")
    expect(page.get_by_role("table", name=re.compile("您提交的订单"))).to_contain_text("暂无订单")


def test_language_switch_keeps_the_choice(page):
    """Switching language on 规格确认 keeps the level, term and amount (no order is made: nothing is ticked)."""
    sign_in(page, BUYER)
    page.goto("/plan/change")
    page.get_by_role("radio", name="尊享级", exact=True).check()
    page.get_by_label("购买时长", exact=True).select_option(label="1年")
    expect(preview(page)).to_contain_text("¥300,000.00")
    page.get_by_role("button", name="立即购买", exact=True).click()
    dialog = page.get_by_role("dialog", name="购买确认")
    expect(dialog).to_contain_text("尊享级，1年")
    expect(dialog).to_contain_text("¥300,000.00")
    dialog.get_by_role("button", name="确认", exact=True).click()

    def expect_premium_for_a_year(locale):
        expect(summary_value(page, tr(locale, "规格"))).to_have_text(tr(locale, "尊享级"))
        expect(summary_value(page, tr(locale, "应付金额"))).to_have_text("¥300,000.00")
        expect(summary_value(page, tr(locale, "购买时长"))).to_have_text(tr(locale, "%(num)s年", num=1))

    expect_premium_for_a_year(ZH)
    switch_language(page, EN)
    expect_premium_for_a_year(EN)
    page.get_by_role("button", name=tr(EN, "去购买"), exact=True).click()  # unticked: errors, from a POST
    expect(page.get_by_role("alert")).to_be_visible()
    switch_language(page, ZH)
    expect_premium_for_a_year(ZH)
    page.goto("/plan/change?level=premium&months=12")
    switch_language(page, EN)
    expect(page.get_by_role("radio", name=tr(EN, "尊享级"), exact=True)).to_be_checked()
    expect(preview(page)).to_contain_text("¥300,000.00")
    switch_language(page, ZH)
