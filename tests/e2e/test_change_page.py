"""The change page shows what each level gives before it is chosen (issue 12 §1), in zh-CN and English: each level
a radio card with its price for the chosen term and its key service items, the 规格对比 table (every service item,
Basic / Standard / Premium, the current level named in its column header), the sticky price bar whose preview names
the level and term it was computed for; without JavaScript, a choice the preview was not computed for marks it out
of date; the downgrade's 规格确认 lists what is lost. axe on the page in the Basic, Standard and Premium states (the
disclosures open) and on the downgrade's 规格确认; screenshots at 1280 and 375 px kept as artefacts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from a11y import assert_no_axe_violations
from flows import (
    EN,
    PINNED,
    ZH,
    buy_by_balance,
    expect_locale,
    pay_by_balance,
    set_locale,
    sign_in,
    summary_value,
    tr,
)
from playwright.sync_api import Page, expect

from models.i18n import translations

BUYER = "partner-b-buyer"
LATER = "2024-01-15T18:40:00+08:00"
FEE = "¥9,011.87"
STALE = "选择已更改，请点击“计算费用”更新费用。"
ARTEFACTS = Path(__file__).resolve().parent / "artifacts" / "screens"


def trn(locale: str, msgid: str, n: int, **params) -> str:
    """An ngettext message as the console shows it (the same msgid for singular and plural in zh-CN)."""
    return translations(locale).ngettext(msgid, msgid, n) % {"num": n, **params}


def facts(locale: str, minutes: int, tickets: int | None, days: int) -> list[str]:
    """The key service items a level's card names (web/changes/levels.py)."""
    return [
        tr(locale, "生产系统不可用：%(minutes)s分钟内响应", minutes=minutes),
        tr(locale, "技术类工单：不限数量") if tickets is None else trn(locale, "技术类工单：每月%(num)s个", tickets),
        trn(locale, "云产品架构咨询：每年%(num)s个工作日", days),
        trn(locale, "关键事件保障：每年%(num)s自然日（仅限包年购买）", days),
        tr(locale, "IM企业群支持"),
    ]


def start(page: Page, locale: str, login: str = BUYER) -> None:
    page.goto("/login")
    set_locale(page, locale)
    sign_in(page, login, locale=locale)
    expect_locale(page, locale)


def open_change(page: Page, locale: str) -> None:
    page.goto("/plan/change")
    expect(page.get_by_role("heading", name=tr(locale, "更改合作伙伴支持计划"), level=1)).to_be_visible()


def open_disclosures(page: Page, locale: str) -> None:
    for name in ("规格对比", "怎么算的"):
        summary = page.locator("details > summary").filter(has_text=re.compile("^" + re.escape(tr(locale, name)) + "$"))
        if summary.count():
            summary.click()


def shoot(page: Page, name: str) -> None:
    """The screen at 1280 and 375 px, as tall as the page (the sticky price bar at the end of the form)."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        height = page.evaluate("() => document.documentElement.scrollHeight")
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(ARTEFACTS / f"{name}-{width}.png"))
    page.set_viewport_size({"width": 1280, "height": 900})


def stale_note(page: Page, locale: str):
    return page.get_by_text(tr(locale, STALE), exact=True)


@pytest.mark.parametrize("locale", [ZH, EN])
def test_see_what_premium_adds_before_choosing_it(make_server, new_context, locale):
    srv = make_server(now=PINNED)
    page = new_context(base_url=srv.url).new_page()
    start(page, locale)
    open_change(page, locale)
    levels = page.get_by_role("group", name=tr(locale, "规格"))
    standard = levels.get_by_role("radio", name=tr(locale, "标准级"), exact=True)
    premium = levels.get_by_role("radio", name=tr(locale, "尊享级"), exact=True)
    expect(standard).to_be_checked()
    expect(premium).not_to_be_checked()

    # Premium's card, before choosing it: its price for the chosen term and what it gives.
    term = page.get_by_label(tr(locale, "购买时长"), exact=True)
    one_month = tr(
        locale, "%(amount)s / %(term)s", amount="¥25,000.00", term=term.locator("option:checked").inner_text()
    )
    description = premium.evaluate("r => document.getElementById(r.getAttribute('aria-describedby')).textContent")
    assert one_month in description, description
    for fact in facts(locale, 15, None, 8):
        assert fact in description, (fact, description)
    for fact in facts(locale, 30, 30, 4):
        expect(page.locator("#level-details")).to_contain_text(fact)

    # 规格对比, one click away: every service item by level, Basic (the current level) named so.
    compare = page.get_by_role("region", name=tr(locale, "规格对比"))
    expect(compare).to_be_hidden()
    page.get_by_text(tr(locale, "规格对比"), exact=True).click()
    expect(compare).to_be_visible()
    headers = compare.get_by_role("columnheader")
    expect(headers).to_have_text(
        [
            tr(locale, "服务项"),
            tr(locale, "%(level)s（当前规格）", level=tr(locale, "基础级")),
            tr(locale, "标准级"),
            tr(locale, "尊享级"),
        ]
    )
    tickets = compare.get_by_role("row").filter(has=page.get_by_role("rowheader", name=tr(locale, "技术类支持")))
    expect(tickets.get_by_role("cell")).to_have_text(
        [
            tr(locale, "不提供"),
            tr(locale, "7x24小时 工单、电话（每月30工单）"),
            tr(locale, "7x24小时 工单、电话（不限工单数）"),
        ]
    )
    expect(compare.get_by_role("row")).to_have_count(9)  # the header and the 8 service items
    assert_no_axe_violations(page)
    shoot(page, f"change-compare-{locale}")

    # A year: the cards and the preview follow the term (htmx), the preview names what it was computed for.
    preview = page.get_by_role("status")
    term.select_option("12")
    year = term.locator("option:checked").inner_text()
    expect(page.locator("#level-2-price")).to_have_text(
        tr(locale, "%(amount)s / %(term)s", amount="¥300,000.00", term=year)
    )
    expect(page.locator("#level-price")).to_have_text(
        tr(locale, "%(amount)s / %(term)s", amount="¥102,000.00", term=year)
    )
    expect(preview).to_contain_text("¥102,000.00")
    premium.check()
    expect(preview).to_contain_text("¥300,000.00")
    expect(preview).to_contain_text(
        tr(locale, "%(level)s，%(term)s；按标准价格计算。", level=tr(locale, "尊享级"), term=year)
    )
    expect(stale_note(page, locale)).to_be_hidden()  # with JavaScript the preview follows every choice
    expect(page.locator(".price-bar").get_by_role("button", name=tr(locale, "立即购买"), exact=True)).to_be_visible()
    expect(page.locator(".price-bar").get_by_role("button", name=tr(locale, "计算费用"), exact=True)).to_be_visible()


@pytest.mark.parametrize("locale", [ZH, EN])
def test_without_javascript_a_changed_choice_marks_the_preview_out_of_date(make_server, new_context, locale):
    srv = make_server(now=PINNED)
    page = new_context(base_url=srv.url, java_script_enabled=False).new_page()
    start(page, locale)
    open_change(page, locale)
    preview = page.get_by_role("status")
    amount = preview.locator(".amount")
    month = page.get_by_label(tr(locale, "购买时长"), exact=True).locator("option:checked").inner_text()
    computed_for = tr(locale, "%(level)s，%(term)s；按标准价格计算。", level=tr(locale, "标准级"), term=month)
    expect(preview).to_contain_text(computed_for)
    expect(stale_note(page, locale)).to_be_hidden()

    page.get_by_role("radio", name=tr(locale, "尊享级"), exact=True).check()
    expect(stale_note(page, locale)).to_be_visible()
    expect(amount).to_have_text("¥8,500.00")  # still the amount it was computed for, which it names
    expect(preview).to_contain_text(computed_for)
    assert amount.evaluate("a => getComputedStyle(a).textDecorationLine") == "line-through"
    page.get_by_role("radio", name=tr(locale, "标准级"), exact=True).check()
    expect(stale_note(page, locale)).to_be_hidden()  # back to what it was computed for

    page.get_by_label(tr(locale, "购买时长"), exact=True).select_option("12")  # a term: the cards' prices too
    expect(stale_note(page, locale)).to_be_visible()
    price = page.locator("#level-price")
    assert price.evaluate("p => getComputedStyle(p).textDecorationLine") == "line-through"
    shoot(page, f"change-stale-{locale}")
    page.get_by_role("button", name=tr(locale, "计算费用"), exact=True).click()
    expect(stale_note(page, locale)).to_be_hidden()
    expect(amount).to_have_text("¥102,000.00")
    assert price.evaluate("p => getComputedStyle(p).textDecorationLine") == "none"

    # 立即购买 on an out-of-date preview: 购买确认 recomputes for the choice as it is.
    page.get_by_role("radio", name=tr(locale, "尊享级"), exact=True).check()
    expect(stale_note(page, locale)).to_be_visible()
    page.get_by_role("button", name=tr(locale, "立即购买"), exact=True).click()
    expect(page.get_by_role("heading", name=tr(locale, "购买确认"), level=1)).to_be_visible()
    expect(summary_value(page, tr(locale, "规格"))).to_have_text(tr(locale, "尊享级"))
    expect(summary_value(page, tr(locale, "应付金额"))).to_have_text("¥300,000.00")


def test_the_out_of_date_preview_passes_axe(make_server, new_context):
    """The marked state as a browser without JavaScript shows it (axe needs scripts, so the state is set here
    without the change event that would ask htmx for a new preview)."""
    srv = make_server(now=PINNED)
    page = new_context(base_url=srv.url).new_page()
    start(page, ZH)
    open_change(page, ZH)
    page.evaluate(
        """() => {
          document.querySelector('form.change-form').classList.remove('live');
          document.getElementById('level-2').checked = true;
          document.querySelector('#months option[value="12"]').selected = true;
        }"""
    )
    expect(stale_note(page, ZH)).to_be_visible()
    assert_no_axe_violations(page)


def test_the_change_page_in_each_state_and_the_downgrade_spec_pass_axe(make_server, new_context):
    srv = make_server(now=PINNED)
    page = new_context(base_url=srv.url).new_page()
    sign_in(page, BUYER)

    def check(name: str, path: str = "/plan/change") -> None:
        for locale in (ZH, EN):
            set_locale(page, locale)
            page.goto(path)
            expect_locale(page, locale)
            open_disclosures(page, locale)
            assert_no_axe_violations(page)
            shoot(page, f"{name}-{locale}")
        set_locale(page, ZH)

    check("change-basic")
    buy_by_balance(page, srv, BUYER)
    srv.restart(now=LATER)
    sign_in(page, BUYER)
    check("change-standard")
    page.goto("/plan/change")
    open_disclosures(page, ZH)
    expect(page.get_by_role("radio", name="标准级", exact=True)).to_have_accessible_description(re.compile("当前规格"))
    expect(page.get_by_role("columnheader", name="标准级（当前规格）")).to_have_count(1)
    page.get_by_role("button", name="立即变更", exact=True).click()
    page.get_by_role("dialog", name="购买确认").get_by_role("button", name="确认", exact=True).click()
    page.get_by_role("checkbox", name="我已阅读并同意《合作伙伴支持计划服务协议》").check()
    page.get_by_role("button", name="确认变更", exact=True).click()
    pay_by_balance(page, srv, BUYER, amount=FEE)

    check("change-premium")
    page.goto("/plan/change")
    open_disclosures(page, ZH)
    expect(page.get_by_role("columnheader", name="尊享级（当前规格）")).to_have_count(1)
    expect(page.get_by_role("status")).to_contain_text(tr(ZH, "退费金额"))
    page.get_by_role("button", name="立即变更", exact=True).click()
    expect(page.get_by_role("heading", name="规格确认", level=1)).to_be_visible()
    lost = page.get_by_role("table", name="降级后将减少的服务")
    expect(lost.get_by_role("row")).to_have_count(6)  # the header and the 5 items Standard gives less of
    expect(lost.get_by_role("row").filter(has_text="问题解决优先级")).to_contain_text("高")
    expect(lost.get_by_role("row").filter(has_text="问题解决优先级")).to_contain_text("一般")
    check("change-downgrade-spec", "/plan/change/downgrade/spec")
