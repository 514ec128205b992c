"""确认付款 (the guide's 图 2-4), 身份验证 and 取消订单 in the browser, zh-CN and English (issue 12): the coupon
changes 应付金额 at once with JavaScript and by 使用优惠券 without it; the resend countdown (获取验证码 disabled,
then enabled, a polite live region that speaks twice); a wrong code says how many tries remain; 取消订单 asks
first (a dialog, or a page without JavaScript) and a stale tab says the order was cancelled; axe-core on each of
these screens. Screenshots at 1280 and 375 px land in tests/e2e/artifacts/payment/.

Each test runs its own console pinned at 2024/01/01 10:30:00; partner-b-buyer has ¥100,000.00 and two coupons
(a ¥500.00 voucher and a 9折 discount coupon). Standard for a month is ¥8,500.00."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from a11y import assert_no_axe_violations
from flows import EN, PINNED, ZH, place_order, set_locale, sign_in, summary_value, tr
from playwright.sync_api import Page, expect
from server import latest_code

from models.i18n import translations

BUYER = "partner-b-buyer"
VOUCHER = "代金券 ¥500.00"
DISCOUNT = "折扣券 9折"
SHOTS = Path(__file__).resolve().parent / "artifacts" / "payment"


@pytest.fixture
def console(make_server):
    srv = make_server(now=PINNED)
    srv.cli("coupon", "grant", BUYER, "--voucher", "500")
    srv.cli("coupon", "grant", BUYER, "--discount", "0.9")
    return srv


def balance_fen(console, login: str) -> int:
    """The account's balance as the console's database holds it."""
    with closing(sqlite3.connect(console.db_path)) as db:
        return db.execute("SELECT balance_fen FROM account WHERE login = ?", (login,)).fetchone()[0]


def ntr(locale: str, msgid: str, n: int) -> str:
    """The console's text for an ngettext pair whose singular and plural msgids are the same Chinese text."""
    return translations(locale).ngettext(msgid, msgid, n) % {"num": n}


def open_pay_page(new_context, console, locale: str, **context_args) -> tuple[Page, str]:
    """A signed-in buyer on the payment page of a new Standard order, in LOCALE."""
    page = new_context(base_url=console.url, **context_args).new_page()
    sign_in(page, BUYER)
    order_id = place_order(page)
    if locale != ZH:
        set_locale(page, locale)
        page.reload()
    expect(page.get_by_role("heading", name=tr(locale, "购买支持计划"), level=1)).to_be_visible()
    return page, order_id


def shoot(page: Page, name: str, locale: str) -> None:
    """Full-page screenshots at 1280 and 375 px (the artefacts a reviewer looks at), back to 1280 after."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{locale}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def amounts(page: Page):
    """The live region with the amounts block (应付金额, 余额支付) at the bottom of 确认付款."""
    return page.locator("#preview")


@pytest.mark.parametrize("locale", [ZH, EN])
def test_the_coupon_changes_the_amount_due_at_once(console, new_context, locale):
    page, order_id = open_pay_page(new_context, console, locale)
    expect(page.get_by_role("list", name=tr(locale, "订单步骤")).locator("[aria-current=step]")).to_contain_text(
        tr(locale, "支付")
    )
    expect(page.get_by_text(tr(locale, "订单已生成，请核对优惠折扣并尽快支付"))).to_be_visible()
    due = summary_value(page, tr(locale, "应付金额"))
    expect(due).to_have_text("¥8,500.00")
    expect(amounts(page)).to_have_attribute("aria-live", "polite")
    expect(amounts(page)).to_contain_text(tr(locale, "未使用优惠券：按原价 %(list)s 计算。", list="¥8,500.00"))
    methods = page.get_by_role("group", name=tr(locale, "选择支付方式"))
    expect(methods).to_have_accessible_description(tr(locale, "支付：") + "¥8,500.00")
    expect(methods.get_by_role("radio", name=tr(locale, "余额支付"), exact=True)).to_be_checked()
    # With JavaScript the amounts follow the choice, so the no-JS 使用优惠券 button is not shown.
    expect(page.locator("[data-no-js]")).to_be_hidden()

    page.evaluate("() => { window.samePage = true; }")
    coupons = page.get_by_role("group", name=tr(locale, "优惠券"))
    with page.expect_request(lambda r: f"/orders/{order_id}/pay?" in r.url and r.headers.get("hx-request") == "true"):
        coupons.get_by_role("radio", name=tr(locale, "代金券 %(amount)s", amount="¥500.00")).check()
    coupon_named = tr(locale, "代金券 %(amount)s", amount="¥500.00")
    expect(amounts(page)).to_contain_text(coupon_named)  # the amounts name the coupon they were computed for
    expect(amounts(page).locator(".amount")).to_have_text("¥8,000.00")
    expect(due).to_have_text("¥8,000.00")  # the order's 应付金额 at the top too (out of band)
    expect(methods).to_have_accessible_description(tr(locale, "支付：") + "¥8,000.00")
    expect(amounts(page)).to_contain_text(tr(locale, "余额支付：") + "¥8,000.00")
    shoot(page, "pay-coupon", locale)
    assert_no_axe_violations(page)

    coupons.get_by_role("radio", name=tr(locale, "折扣券 %(rate)s折", rate="9")).check()
    expect(amounts(page).locator(".amount")).to_have_text("¥7,650.00")
    expect(due).to_have_text("¥7,650.00")
    assert page.evaluate("() => window.samePage === true"), "the amount changed by reloading, not by htmx"

    # What the page said is what is charged.
    page.get_by_role("button", name=tr(locale, "确认付款"), exact=True).click()
    expect(page.get_by_role("heading", name=tr(locale, "身份验证"), level=1)).to_be_visible()
    expect(summary_value(page, tr(locale, "应付金额"))).to_have_text("¥7,650.00")
    page.get_by_role("button", name=tr(locale, "获取验证码"), exact=True).click()
    page.get_by_label(tr(locale, "验证码"), exact=True).fill(latest_code(console, BUYER))
    page.get_by_role("button", name=tr(locale, "确定"), exact=True).click()
    expect(page.get_by_role("heading", name=tr(locale, "支付成功"), level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("¥7,650.00")
    assert balance_fen(console, BUYER) == 10_000_000 - 765_000


def test_use_coupon_without_javascript(console, new_context):
    page, order_id = open_pay_page(new_context, console, ZH, java_script_enabled=False)
    page.get_by_label(VOUCHER).check()
    # Without JavaScript nothing changes until 使用优惠券: the amounts still name what they were computed for.
    expect(amounts(page)).to_contain_text("未使用优惠券")
    page.get_by_role("button", name="使用优惠券", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/orders/{order_id}/pay\?coupon=\d+&method=balance$"))
    expect(page.get_by_label(VOUCHER)).to_be_checked()
    expect(page.get_by_role("radio", name="余额支付", exact=True)).to_be_checked()
    expect(summary_value(page, "应付金额")).to_have_text("¥8,000.00")
    expect(amounts(page)).to_contain_text("按所选优惠券（代金券 ¥500.00）计算")
    expect(amounts(page).locator(".amount")).to_have_text("¥8,000.00")
    assert_no_axe_violations(page)
    shoot(page, "pay-coupon-nojs", ZH)

    page.get_by_role("button", name="确认付款", exact=True).click()
    expect(summary_value(page, "应付金额")).to_have_text("¥8,000.00")
    page.get_by_role("button", name="获取验证码", exact=True).click()
    page.get_by_label("验证码", exact=True).fill(latest_code(console, BUYER))
    page.get_by_role("button", name="确定", exact=True).click()
    expect(page.get_by_role("status")).to_have_text(f"订单 {order_id} 已支付 ¥8,000.00。")
    assert balance_fen(console, BUYER) == 10_000_000 - 800_000


@pytest.mark.parametrize("locale", [ZH, EN])
def test_the_resend_countdown_and_the_tries_left_after_a_wrong_code(console, new_context, locale):
    page, order_id = open_pay_page(new_context, console, locale)
    page.clock.install()  # the browser's clock, to fast-forward the 60 seconds (the server's is pinned)
    page.get_by_role("button", name=tr(locale, "确认付款"), exact=True).click()
    expect(page.get_by_role("heading", name=tr(locale, "身份验证"), level=1)).to_be_visible()
    main = page.get_by_role("main")
    for fact in (order_id, tr(locale, "标准级"), "¥8,500.00"):
        expect(main).to_contain_text(fact)  # what is being paid
    send = page.get_by_role("button", name=tr(locale, "获取验证码"), exact=True)
    expect(send).to_be_enabled()
    send.click()

    # POST → 303: back on 身份验证, the code field focused, the button waiting for 60 seconds.
    expect(page).to_have_url(re.compile(rf"/orders/{order_id}/verify$"))
    expect(page.get_by_role("status").filter(has_text="139****0002")).to_be_visible()
    expect(page.get_by_label(tr(locale, "验证码"), exact=True)).to_be_focused()
    expect(send).to_be_disabled()
    live = page.locator("[data-live]")
    expect(live).to_have_attribute("role", "status")
    started = tr(locale, "%(seconds)s 秒后可重新获取验证码。", seconds="60")
    expect(live).to_have_text(started)  # said once when the wait starts
    ticker = page.locator("[data-ticker]")
    expect(ticker).to_have_attribute("aria-hidden", "true")
    page.clock.fast_forward(30_000)
    expect(ticker).to_have_text(tr(locale, "%(seconds)s 秒后可重新获取", seconds="30"))
    expect(live).to_have_text(started)  # the live region is not updated every second
    expect(send).to_be_disabled()
    page.clock.fast_forward(31_000)
    expect(send).to_be_enabled()
    expect(live).to_have_text(tr(locale, "现在可以重新获取验证码。"))
    expect(ticker).to_have_text("")

    # A wrong code: how many tries remain.
    right = latest_code(console, BUYER)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for left in (4, 3):
        page.get_by_label(tr(locale, "验证码"), exact=True).fill(wrong)
        page.get_by_role("button", name=tr(locale, "确定"), exact=True).click()
        message = ntr(locale, "验证码错误，还可以再输入%(num)s次；输错5次后验证码失效。", left)
        expect(page.get_by_role("alert")).to_contain_text(message)
        expect(page.get_by_label(tr(locale, "验证码"), exact=True)).to_have_accessible_description(
            re.compile(re.escape(str(left)))
        )
    expect(page.get_by_role("alert")).to_be_focused()
    shoot(page, "verify-wrong-code", locale)
    assert_no_axe_violations(page)

    # The server's clock one minute on: the enabled button does send a new code.
    console.restart(now="2024-01-01T10:31:01+08:00")
    page.goto(f"/orders/{order_id}/verify")
    expect(send).to_be_enabled()  # the server says a new code may be sent now: no wait
    send.click()
    expect(send).to_be_disabled()
    fresh = latest_code(console, BUYER)
    page.get_by_label(tr(locale, "验证码"), exact=True).fill(fresh)
    page.get_by_role("button", name=tr(locale, "确定"), exact=True).click()
    expect(page.get_by_role("heading", name=tr(locale, "支付成功"), level=1)).to_be_visible()

    # The Back button: the paid order's 身份验证 says it is paid and links to the result; no form.
    page.go_back()
    page.reload()
    expect(page.get_by_role("heading", name=tr(locale, "订单已支付"), level=1)).to_be_visible()
    expect(page.get_by_role("link", name=tr(locale, "查看支付结果"))).to_have_attribute(
        "href", f"/orders/{order_id}/result"
    )
    expect(page.get_by_label(tr(locale, "验证码"), exact=True)).to_have_count(0)
    assert_no_axe_violations(page)


def test_cancel_asks_first_with_and_without_javascript(console, new_context):
    page, order_id = open_pay_page(new_context, console, ZH)
    cancel = page.get_by_role("link", name="取消订单", exact=True)
    expect(cancel).to_have_class(re.compile(r"\bdanger\b"))
    # With JavaScript: a modal dialog; 返回 (or Esc) keeps the order, focus back on 取消订单.
    cancel.click()
    dialog = page.get_by_role("dialog", name="确认取消订单")
    expect(dialog).to_be_visible()
    assert dialog.evaluate("d => d.matches(':modal')")
    expect(dialog).to_contain_text(order_id)
    expect(dialog.get_by_role("button", name="返回", exact=True)).to_be_focused()
    assert_no_axe_violations(page)
    shoot(page, "cancel-dialog", ZH)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(cancel).to_be_focused()

    # An old tab of the same order, without JavaScript: the confirmation page.
    stale = new_context(base_url=console.url, java_script_enabled=False).new_page()
    sign_in(stale, BUYER)
    stale.goto(f"/orders/{order_id}/pay")
    stale.get_by_role("link", name="取消订单", exact=True).click()
    expect(stale.get_by_role("heading", name="取消订单", level=1)).to_be_visible()
    expect(stale.get_by_role("button", name="确认取消订单", exact=True)).to_be_visible()
    assert_no_axe_violations(stale)
    for locale in (ZH, EN):
        set_locale(stale, locale)
        stale.reload()
        shoot(stale, "cancel-confirm", locale)
        if locale == EN:
            assert_no_axe_violations(stale)
    set_locale(stale, ZH)
    stale.reload()
    stale.get_by_role("link", name="返回", exact=True).click()
    expect(stale).to_have_url(re.compile(rf"/orders/{order_id}/pay$"))

    # Confirmed in the dialog: the order page says it was cancelled.
    cancel.click()
    dialog.get_by_role("button", name="确认取消订单", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/orders/{order_id}$"))
    expect(page.get_by_role("status")).to_have_text(f"订单 {order_id} 已取消。")
    expect(summary_value(page, "状态")).to_have_text("已取消")
    assert_no_axe_violations(page)

    # The stale tab's 确认付款: why not, with the way on (not a silent redirect).
    stale.goto(f"/orders/{order_id}/pay")
    expect(stale.get_by_role("heading", name="订单已取消", level=1)).to_be_visible()
    expect(stale.get_by_role("status")).to_contain_text("不能再支付")
    expect(stale.get_by_role("button", name="确认付款")).to_have_count(0)
    expect(stale.get_by_role("link", name="查看订单详情")).to_have_attribute("href", f"/orders/{order_id}")
    assert_no_axe_violations(stale)
