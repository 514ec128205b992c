"""退订管理 end to end, the clock pinned: buy Standard as a new user would, come back later, unsubscribe.

A non-five-day unsubscribe with JavaScript (including the hour turning between page and submit), a five-day
one without JavaScript, one by keyboard only, and axe on the screens in both locales.
"""

from __future__ import annotations

import re

from a11y import assert_no_axe_violations
from flows import available_balance, buy_by_balance, pay_by_balance, place_order, sign_in, summary_value, tab_to
from playwright.sync_api import Page, expect

BUYER = "partner-b-buyer"
BOUGHT = "2024-01-01T10:30:00+08:00"


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
