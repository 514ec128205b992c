"""消息中心, 通知设置 and the per-browser test clock in the browser, zh-CN and English (issue 15): the 消息中心 link's
accessible name carries the unread count and changes after a payment and after 标为已读; two browser contexts with
different test clocks on one server see different five-day states on the unsubscribe page; after moving the test
clock 7 days before the end and 立即执行定时任务 the 7-day reminder is in the inbox. axe on /messages,
/settings/notifications and /demo/clock at 1280 and 375 px; screenshots in tests/e2e/artifacts/inbox/."""

from __future__ import annotations

from pathlib import Path

import pytest
from a11y import assert_no_axe_violations
from flows import EN, PINNED, ZH, buy_by_balance, set_locale, sign_in, tr
from playwright.sync_api import Page, expect

from models.i18n import translations

BUYER = "partner-b-buyer"
SHOTS = Path(__file__).resolve().parent / "artifacts" / "inbox"
WIDTHS = (1280, 375)
# Bought at the pinned 2024/01/01 10:30:00 for a month: ends 2024/02/01 23:59:59, the five-day window ends 01/06.
INSIDE_FIVE_DAYS = "2024-01-03T09:00"
SEVEN_DAYS_BEFORE_THE_END = "2024-01-26T09:00"


def inbox_name(locale: str, unread: int) -> str:
    suffix = translations(locale).ngettext("（%(num)s条未读）", "（%(num)s条未读）", unread) % {"num": unread}
    return tr(locale, "消息中心") + suffix


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def axe_at_both_widths(page: Page, name: str, locale: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert_no_axe_violations(page)
        shoot(page, f"{name}-{locale}-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})


def set_clock(page: Page, locale: str, moment: str) -> None:
    page.goto("/demo/clock")
    page.get_by_label(tr(locale, "时间"), exact=True).fill(moment)
    page.get_by_role("button", name=tr(locale, "设置"), exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(moment.replace("-", "/").replace("T", " "))


@pytest.fixture
def console(make_server):
    return make_server(now=PINNED)


@pytest.mark.parametrize("locale", [ZH, EN])
def test_the_inbox_count_follows_a_payment_and_marking_read(console, new_context, locale):
    page = new_context(base_url=console.url).new_page()
    sign_in(page, BUYER)
    inbox_link = page.get_by_role("navigation", name=tr(ZH, "主菜单")).get_by_role("link", name=inbox_name(ZH, 0))
    expect(inbox_link).to_be_visible()
    order_id = buy_by_balance(page, console, BUYER)  # 订单已支付 comes to the inbox
    set_locale(page, locale)
    page.goto("/plan")
    nav = page.get_by_role("navigation", name=tr(locale, "主菜单"))
    nav.get_by_role("link", name=inbox_name(locale, 1), exact=True).click()
    expect(page.get_by_role("heading", name=tr(locale, "消息中心"), level=1)).to_be_visible()
    item = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="订单已支付"))
    expect(item).to_contain_text(tr(locale, "未读"))
    expect(item).to_contain_text("2024/01/01 10:30:00")
    expect(item.get_by_role("link")).to_have_count(1)  # to its order (or the plan)
    axe_at_both_widths(page, "messages", locale)

    item.get_by_role("button", name=tr(locale, "标为已读：%(subject)s", subject="订单已支付")).click()
    expect(nav.get_by_role("link", name=inbox_name(locale, 0), exact=True)).to_be_visible()
    expect(item).to_contain_text(tr(locale, "已读"))
    expect(page.get_by_role("button", name=tr(locale, "全部标为已读"))).to_have_count(0)
    assert order_id

    page.get_by_role("link", name=tr(locale, "通知设置"), exact=True).first.click()
    expect(page.get_by_role("heading", name=tr(locale, "通知设置"), level=1)).to_be_visible()
    reminders = page.get_by_role("group", name=tr(locale, "到期与续费提醒"))
    reminders.get_by_role("radio", name=tr(locale, "消息中心和邮件")).check()
    axe_at_both_widths(page, "notification-settings", locale)
    page.get_by_role("button", name=tr(locale, "保存"), exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(tr(locale, "通知设置已保存。"))
    expect(reminders.get_by_role("radio", name=tr(locale, "消息中心和邮件"))).to_be_checked()


@pytest.mark.parametrize("locale", [ZH, EN])
def test_two_browsers_two_clocks_and_the_seven_day_reminder(console, new_context, locale):
    setup = new_context(base_url=console.url).new_page()
    sign_in(setup, BUYER)
    buy_by_balance(setup, console, BUYER)
    setup.context.close()

    early, late = (new_context(base_url=console.url).new_page() for _ in range(2))
    for page, moment in ((early, INSIDE_FIVE_DAYS), (late, SEVEN_DAYS_BEFORE_THE_END)):
        page.goto("/login")
        set_locale(page, locale)
        set_clock(page, locale, moment)  # before signing in: the clock stays with the browser
        sign_in(page, BUYER, locale=locale)
    expect(early.locator(".demo-banner")).to_contain_text("2024/01/03 09:00")
    expect(late.locator(".demo-banner")).to_contain_text("2024/01/26 09:00")

    for page in (early, late):
        page.goto("/plan/unsubscribe")
    five_day = tr(
        locale,
        "您本次退订属于5天无理由退订，将全额退还实付金额，不收取手续费和已消费金额，已使用的代金券将退还，折扣券不退还。",
    )
    not_five_day = tr(locale, "您本次退订属于非5天无理由退订，需收取手续费和已消费金额，已使用的代金券和折扣券不退还。")
    expect(early.get_by_text(five_day)).to_be_visible()
    expect(late.get_by_text(not_five_day)).to_be_visible()
    expect(early.get_by_text(not_five_day)).to_have_count(0)

    late.goto("/demo/clock")
    expect(late.get_by_role("heading", name=tr(locale, "测试时钟"), level=1)).to_be_visible()
    late.get_by_role("button", name=tr(locale, "立即执行定时任务"), exact=True).click()
    expect(late.get_by_role("status")).to_contain_text("2024/01/26 09:00")
    axe_at_both_widths(late, "demo-clock", locale)
    nav = late.get_by_role("navigation", name=tr(locale, "主菜单"))
    nav.get_by_role("link", name=inbox_name(locale, 2), exact=True).click()  # 订单已支付 and the reminder
    reminder = late.get_by_role("listitem").filter(has=late.get_by_role("heading", name="支持计划将在7天内到期"))
    expect(reminder).to_contain_text("2024/02/01 23:59:59")
    expect(reminder).to_contain_text(tr(locale, "未读"))

    early.goto("/demo/clock")
    early.get_by_role("button", name=tr(locale, "恢复真实时间"), exact=True).click()
    expect(early.locator(".demo-banner")).not_to_contain_text("2024/01/03 09:00")
    expect(early.locator(".demo-banner")).to_contain_text(tr(locale, "测试时钟"))
