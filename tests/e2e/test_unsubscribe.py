"""退订管理 end to end, the clock pinned: buy Standard as a new user would, come back later, unsubscribe.

A non-five-day unsubscribe with JavaScript (including the hour turning between page and submit), a five-day
one without JavaScript, one by keyboard only, and axe on the screens in both locales.
"""

from __future__ import annotations

import re
from pathlib import Path

from a11y import assert_no_axe_violations
from flows import (
    EN,
    ZH,
    available_balance,
    buy_by_balance,
    pay_by_balance,
    place_order,
    set_locale,
    sign_in,
    summary_value,
    tab_to,
    tr,
)
from playwright.sync_api import Page, expect

BUYER = "partner-b-buyer"
BOUGHT = "2024-01-01T10:30:00+08:00"
#: Screenshots kept as the run's artefacts, beside test_screens.py's (ignored by git).
ARTEFACTS = Path(__file__).resolve().parent / "artifacts" / "screens"
_SIDEWAYS = "() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1"


def open_unsubscribe(page: Page) -> None:
    """支持与服务 > 支持计划 > 更多 > 退订 (guide chapter 6, steps 2 and 3)."""
    page.goto("/plan")
    page.get_by_text("更多", exact=True).click()
    page.get_by_role("link", name="退订", exact=True).click()
    expect(page.get_by_role("heading", name="退订管理")).to_be_visible()


def fee_row(page: Page, index: int = 0) -> list[str]:
    row = page.get_by_role("table").locator("tbody tr").nth(index)
    return [re.sub(r"\s+", " ", c).strip() for c in row.locator("td").all_inner_texts()]


def summary(page: Page, term: str) -> str:
    return summary_value(page, term).inner_text().strip()


def test_non_five_day_with_javascript(make_server, new_context):
    srv = make_server(now=BOUGHT)
    page = new_context(base_url=srv.url).new_page()
    sign_in(page, BUYER)
    buy_by_balance(page, srv, BUYER)

    srv.restart(now="2024-01-11T10:30:00+08:00")  # ten days later
    sign_in(page, BUYER)  # a sign-in lasts 8 hours of the (pinned) clock
    open_unsubscribe(page)
    expect(
        page.get_by_text("您本次退订属于非5天无理由退订，需收取手续费和已消费金额，已使用的代金券和折扣券不退还。")
    ).to_be_visible()
    expect(page.get_by_text("本次操作完成后，2024年12月31日前您还可以进行10次五天无理由退订。")).to_be_visible()
    for column in ["名称/ID", "产品类型", "产品规格", "区域", "起止时间", "已消费金额(¥)", "手续费(¥)", "退订金额(¥)"]:
        expect(page.get_by_role("columnheader", name=column, exact=True)).to_be_visible()
    # 240 of 758 hours used: 8,500 × 240/758 = 2,691.29; fee 850.00; refund 4,958.71.
    assert fee_row(page)[1:] == [
        "支持计划",
        "标准级（1个月）",
        "全局",
        "2024/01/01 10:30:00 2024/02/01 23:59:59",
        "2,691.29",
        "850.00",
        "4,958.71",
    ]
    assert summary(page, "实付金额") == "¥8,500.00" and summary(page, "退还余额") == "¥4,958.71"
    expect(page.get_by_text("以上金额按 2024/01/11 10:00:00 计算", exact=False)).to_be_visible()
    assert_no_axe_violations(page)

    # With JavaScript the comment appears only for 其他.
    comment = page.get_by_label("退订原因说明")
    expect(comment).to_be_hidden()
    page.get_by_role("radio", name="其他").check()
    expect(comment).to_be_visible()
    page.get_by_role("radio", name="业务测试完毕退订").check()
    expect(comment).to_be_hidden()

    # Submitting without ticking the confirmation: a message at the checkbox, nothing refunded.
    page.get_by_role("button", name="退订", exact=True).click()
    expect(page.get_by_role("alert").filter(has_text="请勾选“我已确认本次退订金额和相关费用。”")).to_be_visible()
    expect(page).to_have_title(re.compile("^错误："))
    assert_no_axe_violations(page)

    # The hour turns before the person submits: the amounts are recomputed and shown again first.
    srv.restart(now="2024-01-11T11:05:00+08:00")
    page.get_by_label("我已确认本次退订金额和相关费用。").check()
    page.get_by_role("button", name="退订", exact=True).click()
    expect(page.get_by_role("heading", name="退订金额已重新计算")).to_be_visible()
    assert fee_row(page)[5:] == ["2,702.51", "850.00", "4,947.49"]
    expect(page.get_by_label("我已确认本次退订金额和相关费用。")).not_to_be_checked()
    expect(page.get_by_role("radio", name="业务测试完毕退订")).to_be_checked()
    page.get_by_label("我已确认本次退订金额和相关费用。").check()
    page.get_by_role("button", name="退订", exact=True).click()

    expect(page.get_by_role("heading", name="退订成功")).to_be_visible()
    assert summary(page, "已消费金额") == "-¥2,702.51" and summary(page, "手续费") == "-¥850.00"
    assert summary(page, "退订金额") == "¥4,947.49" and summary(page, "退订原因") == "业务测试完毕退订"
    assert_no_axe_violations(page)
    assert available_balance(page) == "¥96,447.49"  # 100,000.00 − 8,500.00 + 4,947.49
    page.goto("/plan")
    expect(page.get_by_text("基础级").first).to_be_visible()
    expect(page.get_by_role("cell", name="已退订")).to_be_visible()


def test_five_day_without_javascript(make_server, new_context):
    srv = make_server(now=BOUGHT)
    srv.cli("coupon", "grant", BUYER, "--voucher", "500")
    page = new_context(base_url=srv.url, java_script_enabled=False).new_page()
    sign_in(page, BUYER)
    place_order(page)
    pay_by_balance(page, srv, BUYER, voucher="代金券 ¥500.00")
    assert available_balance(page) == "¥92,000.00"

    srv.restart(now="2024-01-03T09:15:00+08:00")  # within 5 × 24 hours of paying
    sign_in(page, BUYER)  # a sign-in lasts 8 hours of the (pinned) clock
    open_unsubscribe(page)
    expect(page.get_by_text("您本次退订属于5天无理由退订", exact=False)).to_be_visible()
    expect(page.get_by_text("本次操作完成后，2024年12月31日前您还可以进行9次五天无理由退订。")).to_be_visible()
    assert fee_row(page)[5:] == ["0.00", "0.00", "8,000.00"]
    # Without JavaScript the comment field is always there, with a hint saying when it is needed.
    comment = page.get_by_label("退订原因说明")
    expect(comment).to_be_visible()
    expect(page.get_by_text("选择“其他”时必填", exact=False)).to_be_visible()

    page.get_by_role("radio", name="其他").check()
    page.get_by_label("我已确认本次退订金额和相关费用。").check()
    page.get_by_role("button", name="退订", exact=True).click()
    expect(page.get_by_role("link", name=re.compile("选择“其他”时，请填写退订原因说明"))).to_be_visible()
    comment.fill("只是试用一下")
    page.get_by_label("我已确认本次退订金额和相关费用。").check()
    page.get_by_role("button", name="退订", exact=True).click()

    expect(page.get_by_role("heading", name="退订成功")).to_be_visible()
    expect(page.get_by_text("本次为五天无理由退订", exact=False)).to_be_visible()
    assert summary(page, "退订金额") == "¥8,000.00" and summary(page, "退订原因说明") == "只是试用一下"
    assert available_balance(page) == "¥100,000.00"
    page.goto("/plan/unsubscribe")  # the plan is Basic now: nothing left to unsubscribe
    expect(page.get_by_text("没有可退订的支持计划", exact=False)).to_be_visible()
    assert "已退还代金券 1 张" in srv.cli("messages", BUYER).stdout


def test_by_keyboard_and_axe_in_both_locales(make_server, new_context):
    srv = make_server(now=BOUGHT)
    page = new_context(base_url=srv.url).new_page()
    sign_in(page, BUYER)
    buy_by_balance(page, srv, BUYER)
    srv.restart(now="2024-01-15T18:40:00+08:00")  # the vendor's example
    sign_in(page, BUYER)  # a sign-in lasts 8 hours of the (pinned) clock

    page.goto("/plan")
    more = page.get_by_text("更多", exact=True)
    tab_to(page, more, limit=80)
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("link", name="退订", exact=True), limit=80)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="退订管理")).to_be_visible()
    assert fee_row(page)[5:] == ["3,857.52", "850.00", "3,792.48"]

    rules = page.get_by_role("link", name="退订规则说明")
    tab_to(page, rules, limit=80)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="退订规则说明")).to_be_visible()
    assert_no_axe_violations(page)
    page.go_back()

    first_reason = page.get_by_role("radio", name="购买云服务时选择参数错误")
    tab_to(page, first_reason, limit=80)
    page.keyboard.press("Space")
    for _ in range(6):  # arrows move through the group down to 其他
        page.keyboard.press("ArrowDown")
    expect(page.get_by_role("radio", name="其他")).to_be_checked()
    comment = page.get_by_label("退订原因说明")
    expect(comment).to_be_visible()
    page.keyboard.press("Tab")
    expect(comment).to_be_focused()
    page.keyboard.type("合同到期，改为按需购买")
    tab_to(page, page.get_by_label("我已确认本次退订金额和相关费用。"), limit=80)
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="退订", exact=True), limit=80)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="退订成功")).to_be_visible()
    assert summary(page, "已消费金额") == "-¥3,857.52" and summary(page, "退订金额") == "¥3,792.48"
    assert available_balance(page) == "¥95,292.48"  # 100,000.00 − 8,500.00 + 3,792.48


def test_axe_on_the_screen_in_both_locales(make_server, new_context):
    srv = make_server(now=BOUGHT)
    page = new_context(base_url=srv.url).new_page()
    sign_in(page, BUYER)
    buy_by_balance(page, srv, BUYER)
    srv.restart(now="2024-01-02T10:30:00+08:00")
    sign_in(page, BUYER)  # a sign-in lasts 8 hours of the (pinned) clock
    for locale_link in (None, "English"):
        if locale_link:
            page.get_by_role("link", name=locale_link).click()
            expect(page.locator("html")).to_have_attribute("lang", "en")
        page.goto("/plan/unsubscribe")
        expect(page.get_by_role("table")).to_be_visible()
        assert_no_axe_violations(page)
        page.get_by_role("button").filter(has_text=re.compile("^(退订|Unsubscribe)$")).click()  # nothing chosen
        expect(page.locator(".error-summary")).to_be_visible()
        assert_no_axe_violations(page)
        page.goto("/plan/unsubscribe/rules")
        assert_no_axe_violations(page)


def test_the_console_look_in_both_locales_at_desktop_and_phone_widths(make_server, new_context):
    """图 6-2 in the console look: "退订资源 < 退订管理" with its back link, the required mark on 请选择退订原因,
    退订金额 emphasised, 实付金额 / 已消费金额 / 手续费 each explained; the fee table in its own keyboard-focusable
    region that scrolls by keyboard in a narrow window; axe and no sideways scroll at 1280 and 375 px."""
    srv = make_server(now=BOUGHT)
    page = new_context(base_url=srv.url).new_page()
    sign_in(page, BUYER)
    buy_by_balance(page, srv, BUYER)
    srv.restart(now="2024-01-15T18:40:00+08:00")
    sign_in(page, BUYER)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for locale in (ZH, EN):
        set_locale(page, locale)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto("/plan/unsubscribe")
        title = page.get_by_role("heading", level=1)
        expect(title).to_contain_text(tr(locale, "退订管理"))
        back = title.get_by_role("link", name=tr(locale, "退订资源"), exact=True)
        expect(back).to_have_attribute("href", "/plan")

        reasons = page.get_by_role("group", name=re.compile(re.escape(tr(locale, "请选择退订原因"))))
        expect(reasons.locator("legend .required")).to_have_text("*")
        expect(reasons.locator("legend .required")).to_have_attribute("aria-hidden", "true")
        expect(reasons).to_have_accessible_name(re.compile(re.escape(tr(locale, "（必填）").strip()) + r"\s*$"))

        refund = summary_value(page, tr(locale, "退订金额"))
        expect(refund).to_have_text("¥3,792.48")
        assert refund.evaluate("dd => getComputedStyle(dd).fontWeight") in ("700", "bold")
        for term in ("实付金额", "已消费金额", "手续费"):
            note = summary_value(page, tr(locale, term)).locator("xpath=following-sibling::dd[1]")
            expect(note).to_be_visible()
            assert len(note.inner_text().strip()) > 10, term
        expect(page.get_by_role("button", name=tr(locale, "退订"), exact=True)).to_have_class(re.compile(r"\bdanger\b"))

        region = page.get_by_role("region", name=tr(locale, "退订明细"), exact=True)
        expect(region.get_by_role("table")).to_be_visible()
        tab_to(page, region, limit=80)
        expect(region).to_be_focused()
        page.set_viewport_size({"width": 720, "height": 900})  # a narrow window: the table scrolls in its region
        assert region.evaluate("r => r.scrollWidth > r.clientWidth")
        region.focus()
        for _ in range(5):
            page.keyboard.press("ArrowRight")
        region.page.wait_for_function("r => r.scrollLeft > 0", arg=region.element_handle(), timeout=3000)
        assert not page.evaluate(_SIDEWAYS)

        for width in (1280, 375):
            page.set_viewport_size({"width": width, "height": 900})
            assert not page.evaluate(_SIDEWAYS), f"the page scrolls sideways at {width}px [{locale}]"
            page.screenshot(path=str(ARTEFACTS / f"unsubscribe-look-{locale}-{width}.png"), full_page=True)
            assert_no_axe_violations(page)
        # On a phone each period is a block of labelled lines.
        expect(page.locator("#fee-table td[data-label]").first).to_be_visible()
    set_locale(page, ZH)


def test_a_stale_tab_is_told_the_plan_was_unsubscribed(make_server, new_context):
    """Two tabs on 退订管理: one unsubscribes; the other, sent later, gets a 409 page saying so (no silent
    redirect), with the first one's result one link away, and nothing is refunded twice."""
    srv = make_server(now=BOUGHT)
    context = new_context(base_url=srv.url)
    first = context.new_page()
    sign_in(first, BUYER)
    buy_by_balance(first, srv, BUYER)
    srv.restart(now="2024-01-15T18:40:00+08:00")
    sign_in(first, BUYER)
    second = context.new_page()
    for tab in (first, second):
        tab.goto("/plan/unsubscribe")
        tab.get_by_role("radio", name="业务测试完毕退订").check()
        tab.get_by_label("我已确认本次退订金额和相关费用。").check()
    first.get_by_role("button", name="退订", exact=True).click()
    expect(first.get_by_role("heading", name="退订成功")).to_be_visible()
    result_url = first.url

    with second.expect_response(lambda r: r.request.method == "POST") as answer:
        second.get_by_role("button", name="退订", exact=True).click()
    assert answer.value.status == 409
    expect(second.get_by_role("heading", name="该支持计划已退订")).to_be_visible()
    expect(second.get_by_role("alert")).to_contain_text("没有重复退款")
    assert "/plan/unsubscribe/result/" not in second.url
    assert_no_axe_violations(second)
    second.get_by_role("link", name="查看退订结果").click()
    assert second.url == result_url
    expect(second.get_by_role("heading", name="退订成功")).to_be_visible()
    assert available_balance(second) == "¥95,292.48"  # refunded once: 100,000.00 − 8,500.00 + 3,792.48
