"""价格目录 in the browser, zh-CN and English (issue 14, SPEC.md §2, §15): the demo operator raises 尊享级's monthly
price for new orders, effective now (the server's pinned clock), after a refused effective time in the past (the
error summary, the field marked); a later version is listed as 待生效版本; the partner's change page, priced at
¥25,000.00 before, shows ¥30,000.00 after. axe on the screen in each state at 1280 and 375 px, screenshots under
tests/e2e/artifacts/ops/catalog-*."""

from __future__ import annotations

import pytest
from a11y import assert_no_axe_violations
from flows import EN, PINNED, ZH, expect_locale, set_locale, sign_in, tr
from playwright.sync_api import Page, expect
from test_ops import check_screen, menu, ops_sign_in

BUYER = "partner-b-buyer"  # a Basic company that may buy: its change page offers both levels with their prices


def expect_premium_price(page: Page, locale: str, amount: str) -> None:
    """The partner's change page: Premium's card priced for the term chosen (one month)."""
    page.goto("/plan/change")
    term = page.get_by_label(tr(locale, "购买时长"), exact=True).locator("option:checked").inner_text()
    expect(page.locator("#level-2-price")).to_have_text(tr(locale, "%(amount)s / %(term)s", amount=amount, term=term))


@pytest.mark.parametrize("locale", [ZH, EN])
def test_an_operator_raises_premiums_price_and_the_change_page_shows_it(new_context, make_server, locale):
    srv = make_server(now=PINNED)
    partner = new_context(base_url=srv.url).new_page()
    partner.goto("/login")
    set_locale(partner, locale)
    sign_in(partner, BUYER, locale=locale)
    expect_premium_price(partner, locale, "¥25,000.00")

    page = new_context(base_url=srv.url).new_page()
    page.goto("/ops/login")
    set_locale(page, locale)
    ops_sign_in(page, locale)
    menu(page, locale, "价格目录")
    expect_locale(page, locale)
    expect(page.get_by_role("heading", name=tr(locale, "价格目录"), exact=True)).to_be_visible()
    current = page.get_by_role("region", name=tr(locale, "当前版本") + " " + tr(locale, "版本 %(id)s", id=1))
    expect(current).to_contain_text("¥25,000.00")
    expect(current).to_contain_text(tr(locale, "最初版本（始终有效）"))
    check_screen(page, "catalog", locale)

    # An effective time in the past: refused, said at the top and at the field, the prices kept as typed.
    premium = page.get_by_label(tr(locale, "尊享级月价（元）"), exact=True)
    effective = page.get_by_label(tr(locale, "生效时间（北京时间）"), exact=True)
    expect(effective).to_have_value("2024-01-01T10:30")  # now, by default
    premium.fill("30,000.00")
    effective.fill("2024-01-01T09:00")
    page.get_by_role("button", name=tr(locale, "保存新版本"), exact=True).click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(tr(locale, "生效时间不能早于当前时间（%(now)s）。", now="2024/01/01 10:30:00"))
    expect(effective).to_have_attribute("aria-invalid", "true")
    expect(premium).to_have_value("30,000.00")
    check_screen(page, "catalog-error", locale)

    # Effective now: the new version is the current one at once.
    effective.fill("2024-01-01T10:30")
    page.get_by_role("button", name=tr(locale, "保存新版本"), exact=True).click()
    expect(
        page.get_by_role("status").filter(
            has_text=tr(locale, "已创建价格目录版本 %(id)s，立即生效：此后的新订单按新价格计价。", id=2)
        )
    ).to_be_visible()
    current = page.get_by_role("region", name=tr(locale, "当前版本") + " " + tr(locale, "版本 %(id)s", id=2))
    expect(current).to_contain_text("¥30,000.00")
    expect(current).to_contain_text("ops-admin")

    # A version for later: listed as 待生效版本 until then; the current prices stay.
    page.get_by_label(tr(locale, "标准级月价（元）"), exact=True).fill("9000")
    page.get_by_label(tr(locale, "生效时间（北京时间）"), exact=True).fill("2024-02-01T00:00")
    page.get_by_role("button", name=tr(locale, "保存新版本"), exact=True).click()
    upcoming = page.get_by_role("region", name=tr(locale, "待生效版本列表"))
    expect(upcoming.get_by_role("row")).to_have_count(2)
    expect(upcoming).to_contain_text("2024/02/01 00:00:00")
    expect(upcoming).to_contain_text("¥9,000.00")
    check_screen(page, "catalog-upcoming", locale)

    # The partner's change page: the new price for a new order.
    expect_premium_price(partner, locale, "¥30,000.00")
    assert_no_axe_violations(partner)
