"""Renewal end to end (issue 5, the guide's chapter 5): 续费管理 with its live amount and new end date, paid by
balance with and without JavaScript; auto-renew switched on from the detail page and run by `tick` with the
clock pinned 7 days before the end; the plan falling back to Basic after its end; axe-core on the new screens
in zh-CN and English.

Every test runs its own console (make_server) with a pinned clock, and the in-process scheduler off
(CONSOLE_SCHEDULER=off) so that only `tick` runs the jobs. Standard costs ¥8,500.00 a month; each demo
account starts with ¥100,000.00.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from a11y import assert_no_axe_violations
from flows import (
    EN,
    ZH,
    axe_in_both_locales,
    buy_by_balance,
    expect_balance,
    pay_by_balance,
    set_locale,
    sign_in,
    summary_value,
    tr,
)
from playwright.sync_api import Page, expect

BUYER = "partner-b-buyer"
NO_SCHEDULER = {"CONSOLE_SCHEDULER": "off"}
JAN_1 = "2024-01-01T10:30:00+08:00"  # a month bought now ends 2024/02/01 23:59:59
DEC_31 = "2023-12-31T09:00:00+08:00"  # a month bought now ends 2024/01/31 23:59:59
#: Screenshots kept as the run's artefacts, beside test_screens.py's (ignored by git).
ARTEFACTS = Path(__file__).resolve().parent / "artifacts" / "screens"
_SIDEWAYS = "() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1"


def open_detail(page: Page) -> None:
    page.goto("/plan")
    expect(page.get_by_role("heading", name="合作伙伴支持计划", level=1)).to_be_visible()


def open_renew_page(page: Page) -> None:
    """支持计划详情页 → 续费 → 续费管理 (guide chapter 5, steps 2 and 3)."""
    open_detail(page)
    page.get_by_role("link", name="续费", exact=True).click()
    expect(page.get_by_role("heading", name="续费管理", level=1)).to_be_visible()


@pytest.fixture
def console(make_server):
    return make_server(now=JAN_1, extra_env=NO_SCHEDULER)


def test_done_means_jan_31_renewed_for_a_month_ends_feb_29_and_costs_8500(make_server, new_context):
    server = make_server(now=DEC_31, extra_env=NO_SCHEDULER)
    page = new_context(base_url=server.url).new_page()
    sign_in(page, BUYER)
    buy_by_balance(page, server, BUYER)
    open_detail(page)
    expect(summary_value(page, "有效期")).to_have_text("2023/12/31 09:00:00 – 2024/01/31 23:59:59")
    expect_balance(page, "¥91,500.00")

    open_renew_page(page)
    expect(summary_value(page, "当前有效期")).to_have_text("2023/12/31 09:00:00 – 2024/01/31 23:59:59")
    expect(page.get_by_role("combobox", name="续费时长").locator("option:checked")).to_have_text("1个月")
    expect(page.get_by_role("status")).to_contain_text("¥8,500.00")
    expect(page.get_by_role("status")).to_contain_text("2024/02/29 23:59:59")
    page.get_by_role("button", name="去支付", exact=True).click()
    pay_by_balance(page, server, BUYER)

    open_detail(page)
    expect(summary_value(page, "有效期")).to_have_text("2023/12/31 09:00:00 – 2024/02/29 23:59:59")
    expect_balance(page, "¥83,000.00")  # ¥8,500.00 less than before the renewal


def test_renew_two_months_by_balance_with_javascript(console, new_context):
    page = new_context(base_url=console.url).new_page()
    sign_in(page, BUYER)
    buy_by_balance(page, console, BUYER)
    open_renew_page(page)

    # The page: the plan, its current end, the level's service items, the term, the live amount.
    expect(summary_value(page, "当前规格")).to_have_text("标准级")
    expect(summary_value(page, "当前有效期")).to_have_text("2024/01/01 10:30:00 – 2024/02/01 23:59:59")
    items = page.get_by_role("table", name="标准级的服务项")
    expect(items.get_by_role("row", name=re.compile("培训"))).to_contain_text("每月一次线上集中培训")
    expect(items.get_by_role("row", name=re.compile("技术类支持"))).to_contain_text("每月30工单")
    term = page.get_by_role("combobox", name="续费时长")
    expect(term.get_by_role("option")).to_have_text([f"{n}个月" for n in range(1, 12)] + ["1年", "2年", "3年"])
    status = page.get_by_role("status")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_contain_text("应付金额 ¥8,500.00")
    expect(status).to_contain_text("续费后到期时间 2024/03/01 23:59:59")
    axe_in_both_locales(page)

    page.evaluate("() => { window.samePage = true; }")
    with page.expect_request(lambda r: "/plan/renew?months=2" in r.url and r.headers.get("hx-request") == "true"):
        term.select_option(label="2个月")
    expect(status).to_contain_text("应付金额 ¥17,000.00")
    expect(status).to_contain_text("续费后到期时间 2024/04/01 23:59:59")
    assert page.evaluate("() => window.samePage === true"), "the amount changed by reloading, not by htmx"
    assert_no_axe_violations(page)

    page.get_by_role("button", name="去支付", exact=True).click()
    expect(summary_value(page, "订单类型")).to_have_text("续费")
    expect(summary_value(page, "时长")).to_have_text("2个月")
    expect(summary_value(page, "应付金额")).to_have_text("¥17,000.00")
    pay_by_balance(page, console, BUYER)

    open_detail(page)
    expect(summary_value(page, "有效期")).to_have_text("2024/01/01 10:30:00 – 2024/04/01 23:59:59")
    history = page.get_by_role("table").last  # 周期记录
    expect(history).to_contain_text("2024/02/02 00:00:00 – 2024/04/01 23:59:59")
    expect_balance(page, "¥74,500.00")


def test_renew_two_months_by_balance_without_javascript(console, new_context):
    buyer = new_context(base_url=console.url).new_page()
    sign_in(buyer, BUYER)
    buy_by_balance(buyer, console, BUYER)

    page = new_context(base_url=console.url, java_script_enabled=False).new_page()
    sign_in(page, BUYER)
    open_renew_page(page)
    page.get_by_role("combobox", name="续费时长").select_option(label="2个月")
    page.get_by_role("button", name="计算费用", exact=True).click()  # the page comes back with the new amount
    expect(page.get_by_role("heading", name="续费管理", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("应付金额 ¥17,000.00")
    expect(page.get_by_role("status")).to_contain_text("续费后到期时间 2024/04/01 23:59:59")
    expect(page.get_by_role("combobox", name="续费时长").locator("option:checked")).to_have_text("2个月")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="去支付", exact=True).click()
    expect(summary_value(page, "应付金额")).to_have_text("¥17,000.00")
    pay_by_balance(page, console, BUYER)

    open_detail(page)
    expect(summary_value(page, "有效期")).to_have_text("2024/01/01 10:30:00 – 2024/04/01 23:59:59")
    expect_balance(page, "¥74,500.00")


def test_auto_renew_through_tick_seven_days_before_the_end(console, new_context):
    page = new_context(base_url=console.url).new_page()
    sign_in(page, BUYER)
    buy_by_balance(page, console, BUYER)
    open_detail(page)

    # The setting on the detail page: off, the term defaulting to the last period's.
    setting = page.get_by_role("region", name="自动续费设置")
    switch = setting.get_by_role("group", name="自动续费")
    expect(switch.get_by_role("radio", name="关闭", exact=True)).to_be_checked()
    expect(setting.get_by_role("combobox", name="每次自动续费时长").locator("option:checked")).to_have_text("1个月")
    axe_in_both_locales(page)
    switch.get_by_role("radio", name="开启", exact=True).check()
    setting.get_by_role("button", name="保存自动续费设置", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="自动续费已开启")).to_be_visible()
    expect(summary_value(page, "自动续费")).to_have_text("已开启，每次续费1个月")
    expect(page.get_by_role("group", name="自动续费").get_by_role("radio", name="开启", exact=True)).to_be_checked()

    console.restart(now="2024-01-24T10:30:00+08:00")  # 8 days before the end date: not yet
    assert "auto_renewed: 0" in console.cli("tick").stdout
    console.restart(now="2024-01-25T10:30:00+08:00")  # 7 days before: charged from the balance
    assert "auto_renewed: 1" in console.cli("tick").stdout
    assert "auto_renewed: 0" in console.cli("tick").stdout  # again: the period is never renewed twice
    messages = console.cli("messages", BUYER).stdout
    assert messages.count("自动续费成功") == 1 and "2024/03/01 23:59:59" in messages

    sign_in(page, BUYER)  # a new day, a new session
    open_detail(page)
    expect(summary_value(page, "有效期")).to_have_text("2024/01/01 10:30:00 – 2024/03/01 23:59:59")
    expect_balance(page, "¥83,000.00")


def test_insufficient_balance_is_told_with_the_shortfall(make_server, new_context):
    server = make_server(now=JAN_1, extra_env=NO_SCHEDULER)
    page = new_context(base_url=server.url).new_page()
    sign_in(page, BUYER)
    buy_by_balance(page, server, BUYER)
    open_detail(page)
    page.get_by_role("radio", name="开启", exact=True).check()
    page.get_by_role("combobox", name="每次自动续费时长").select_option(label="1年")
    page.get_by_role("button", name="保存自动续费设置", exact=True).click()
    expect(summary_value(page, "自动续费")).to_have_text("已开启，每次续费1年")
    server.restart(now="2024-01-30T10:30:00+08:00")
    assert "auto_renew_failed: 1" in server.cli("tick").stdout  # ¥102,000.00 against ¥91,500.00
    assert "余额不足，还差 ¥10,500.00" in server.cli("messages", BUYER).stdout


def test_the_plan_falls_back_to_basic_after_its_end(console, new_context):
    page = new_context(base_url=console.url).new_page()
    sign_in(page, BUYER)
    buy_by_balance(page, console, BUYER)

    console.restart(now="2024-02-02T00:00:00+08:00")  # one second after the end
    sign_in(page, BUYER)
    open_detail(page)
    expect(summary_value(page, "当前规格")).to_have_text("基础级")
    expect(summary_value(page, "有效期")).to_have_text("无（基础级长期有效）")
    expect(summary_value(page, "本月技术类工单")).to_contain_text("0")
    history = page.get_by_role("table").last
    expect(history).to_contain_text("2024/01/01 10:30:00 – 2024/02/01 23:59:59")
    expect(history).to_contain_text("已结束")
    expect(page.get_by_role("link", name="续费", exact=True)).to_have_count(0)
    expect(page.get_by_role("region", name="自动续费设置")).to_have_count(0)

    page.goto("/plan/renew")  # an old bookmark: renewing Basic is not offered, changing is
    expect(page.get_by_role("heading", name="续费管理", level=1)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("没有可续费的支持计划")
    expect(page.get_by_role("button", name="去支付")).to_have_count(0)
    axe_in_both_locales(page)
    page.get_by_role("main").get_by_role("link", name="更改", exact=True).click()
    expect(page.get_by_role("heading", name="更改合作伙伴支持计划", level=1)).to_be_visible()


def test_serve_runs_auto_renew_in_process(make_server, new_context):
    """With its scheduler on (the default), `serve` renews by itself: no `tick` is run here."""
    server = make_server(now=JAN_1)
    page = new_context(base_url=server.url).new_page()
    sign_in(page, BUYER)
    buy_by_balance(page, server, BUYER)
    open_detail(page)
    page.get_by_role("radio", name="开启", exact=True).check()
    page.get_by_role("button", name="保存自动续费设置", exact=True).click()
    expect(summary_value(page, "自动续费")).to_have_text("已开启，每次续费1个月")

    server.restart(now="2024-01-26T08:00:00+08:00")  # the scheduler's first run is at start-up
    sign_in(page, BUYER)
    for _ in range(50):
        open_detail(page)
        if "2024/03/01 23:59:59" in summary_value(page, "有效期").inner_text():
            break
        page.wait_for_timeout(200)
    expect(summary_value(page, "有效期")).to_have_text("2024/01/01 10:30:00 – 2024/03/01 23:59:59")
    assert "auto_renewed: 0" in server.cli("tick").stdout  # already done: never twice
    assert server.cli("messages", BUYER).stdout.count("自动续费成功") == 1


def test_the_console_look_in_both_locales_at_desktop_and_phone_widths(console, new_context):
    """续费管理 with its breadcrumb, the steps (服务选型 current), the service items, 续费时长 and the sticky price bar:
    应付金额 (the payment page's name for it) for the term it names, and 去支付; axe at 1280 and 375 px."""
    page = new_context(base_url=console.url).new_page()
    sign_in(page, BUYER)
    buy_by_balance(page, console, BUYER)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for locale in (ZH, EN):
        set_locale(page, locale)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto("/plan/renew")
        crumbs = page.get_by_role("navigation", name=tr(locale, "面包屑"))
        expect(crumbs.get_by_role("link", name=tr(locale, "支持计划"), exact=True)).to_have_attribute("href", "/plan")
        expect(page.get_by_role("heading", name=tr(locale, "续费管理"), level=1)).to_be_visible()
        expect(page.locator('.steps [aria-current="step"]')).to_contain_text(tr(locale, "服务选型"))
        bar = page.locator(".price-bar")
        expect(bar.get_by_role("button", name=tr(locale, "去支付"), exact=True)).to_be_visible()
        status = bar.get_by_role("status")
        expect(status).to_contain_text(tr(locale, "应付金额"))
        expect(status).to_contain_text("¥8,500.00")
        term = page.get_by_role("combobox", name=tr(locale, "续费时长"))
        expect(status).to_contain_text(term.locator("option:checked").inner_text())  # the term it was computed for
        assert bar.evaluate("b => getComputedStyle(b).position") == "sticky"
        for width in (1280, 375):
            page.set_viewport_size({"width": width, "height": 900})
            assert not page.evaluate(_SIDEWAYS), f"the page scrolls sideways at {width}px [{locale}]"
            page.screenshot(path=str(ARTEFACTS / f"renew-look-{locale}-{width}.png"), full_page=True)
            assert_no_axe_violations(page)
    set_locale(page, ZH)


def test_a_term_chosen_before_htmx_has_loaded_still_gets_its_amount(console, new_context):
    """A quick hand (or a slow network): 续费时长 changes while htmx.min.js is still on its way, so no change
    event reaches htmx. Once the scripts run, the page asks for the amount of the term now chosen."""
    page = new_context(base_url=console.url).new_page()
    sign_in(page, BUYER)
    buy_by_balance(page, console, BUYER)
    open_detail(page)
    held = []
    page.route(re.compile(r".*/htmx\.min\.js.*"), lambda route: held.append(route))
    page.get_by_role("link", name="续费", exact=True).click()
    expect(page.get_by_role("heading", name="续费管理", level=1)).to_be_visible()
    page.get_by_role("combobox", name="续费时长").select_option(label="2个月")
    assert held, "htmx.min.js was not requested"
    assert page.evaluate("() => window.htmx === undefined"), "htmx ran before the choice"
    held[0].continue_()
    expect(page.get_by_role("status")).to_contain_text("¥17,000.00")
    expect(page.get_by_role("status")).to_contain_text("2个月")
    expect(page.locator(".stale-note")).to_be_hidden()


def test_without_javascript_a_changed_term_marks_the_amount_out_of_date(console, new_context):
    buyer = new_context(base_url=console.url).new_page()
    sign_in(buyer, BUYER)
    buy_by_balance(buyer, console, BUYER)
    # With JavaScript the amount follows the term: never marked out of date.
    open_renew_page(buyer)
    note = buyer.locator(".stale-note")
    buyer.get_by_role("combobox", name="续费时长").select_option(label="2个月")
    expect(buyer.get_by_role("status")).to_contain_text("¥17,000.00")
    expect(buyer.get_by_role("status")).to_contain_text("2个月")
    expect(note).to_be_hidden()

    page = new_context(base_url=console.url, java_script_enabled=False).new_page()
    sign_in(page, BUYER)
    open_renew_page(page)
    note = page.locator(".stale-note")
    expect(note).to_be_hidden()
    page.get_by_role("combobox", name="续费时长").select_option(label="2个月")
    expect(note).to_be_visible()
    amount = page.get_by_role("status").locator(".amount")
    expect(amount).to_have_text("¥8,500.00")
    assert "line-through" in amount.evaluate("a => getComputedStyle(a).textDecorationLine")
    assert_no_axe_violations(page)
    # 去支付 at once: no order at an amount nobody saw; the page shows the amount for 2个月 first.
    page.get_by_role("button", name="去支付", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("应付金额已按续费时长2个月重新计算，尚未创建订单")
    expect(amount).to_have_text("¥17,000.00")
    expect(note).to_be_hidden()
    page.get_by_role("button", name="去支付", exact=True).click()
    expect(summary_value(page, "应付金额")).to_have_text("¥17,000.00")


def test_a_stale_tab_after_another_renewal_is_told_so(console, new_context):
    """Two tabs on 续费管理: one renews and pays; the other's 去支付 is a 409 page saying the plan was renewed and
    showing the new end and amount (nothing placed), never a silent redirect to a payment."""
    context = new_context(base_url=console.url)
    first = context.new_page()
    sign_in(first, BUYER)
    buy_by_balance(first, console, BUYER)
    second = context.new_page()
    open_renew_page(first)
    open_renew_page(second)
    first.get_by_role("button", name="去支付", exact=True).click()
    pay_by_balance(first, console, BUYER)

    with second.expect_response(lambda r: r.request.method == "POST") as answer:
        second.get_by_role("button", name="去支付", exact=True).click()
    assert answer.value.status == 409
    alert = second.get_by_role("alert").filter(has_text="续费未提交")
    expect(alert.get_by_role("heading", name="续费未提交：支持计划已发生变化")).to_be_visible()
    expect(alert).to_contain_text("支持计划已续费，当前到期时间为 2024/03/01 23:59:59。未创建订单")
    expect(alert.get_by_role("link", name="查看支持计划")).to_have_attribute("href", "/plan")
    expect(second.get_by_role("status")).to_contain_text("2024/04/01 23:59:59")  # renewing after the new end
    assert "/orders/" not in second.url
    assert_no_axe_violations(second)
