"""怎么算的 on the upgrade preview and on the unsubscribe page (issue 15), as a new user would: buy Standard on
2024/01/01 10:30, come back on 2024/01/15 18:40, open the upgrade's explanation by keyboard, add its lines up and
get the fee that is then charged; then open each unsubscribe amount's explanation. zh-CN and en, axe, and
screenshots at 1280 and 375 px in tests/e2e/artifacts/explain/."""

from __future__ import annotations

from decimal import Decimal

import pytest
from a11y import assert_no_axe_violations
from flows import (
    EN,
    ZH,
    available_balance,
    buy_by_balance,
    order_id_from,
    pay_by_balance,
    set_locale,
    sign_in,
    tab_to,
    tr,
)
from playwright.sync_api import Locator, Page, expect
from test_changes import AGREE, BOUGHT, BUYER, FEE, LATER
from test_explain import shoot


def open_and_add(page: Page, details: Locator, locale: str) -> tuple[Decimal, Decimal]:
    """Open the disclosure by keyboard; (the sum of its added lines' exact values, its total)."""
    summary = details.locator("summary")
    expect(summary).to_have_text(tr(locale, "怎么算的"))
    tab_to(page, summary)
    page.keyboard.press("Enter")
    expect(details).to_have_attribute("open", "")
    added = Decimal(0)
    rows = details.locator("tbody tr")
    expect(rows.first).to_be_visible()
    for i in range(rows.count()):
        row = rows.nth(i)
        if row.get_attribute("data-kind") != "subtotal":
            added += Decimal(row.locator("td").get_attribute("data-value") or "")
    return added, Decimal(details.locator("tfoot td").get_attribute("data-value") or "")


def yuan(text: str) -> Decimal:
    return Decimal(text.strip().lstrip("-").replace("¥", "").replace(",", ""))


@pytest.mark.parametrize("locale", [ZH, EN])
def test_upgrade_fee_and_unsubscribe_amounts_explain_themselves(make_server, new_context, locale):
    srv = make_server(now=BOUGHT)
    page = new_context(base_url=srv.url).new_page()
    sign_in(page, BUYER)
    buy_by_balance(page, srv, BUYER)
    srv.restart(now=LATER)
    sign_in(page, BUYER)
    set_locale(page, locale)

    before = yuan(available_balance(page, locale))
    page.goto("/plan/change?level=premium")
    added, total = open_and_add(page, page.locator("#explain"), locale)
    assert added == total == yuan(FEE)
    expect(page.get_by_role("status").filter(has_text=tr(locale, "补交的费用"))).to_contain_text(FEE)
    assert_no_axe_violations(page)
    shoot(page, "upgrade", locale)

    # The fee the lines add up to is the fee charged.
    page.get_by_role("button", name=tr(locale, "立即变更"), exact=True).click()
    page.get_by_role("dialog", name=tr(locale, "购买确认")).get_by_role(
        "button", name=tr(locale, "确认"), exact=True
    ).click()
    expect(page.get_by_role("heading", name=tr(locale, "规格确认"), exact=True)).to_be_visible()
    page.get_by_role("checkbox", name=tr(locale, AGREE)).check()
    page.get_by_role("button", name=tr(locale, "确认变更"), exact=True).click()
    pay_by_balance(page, srv, BUYER, locale, amount=FEE)
    order_id = order_id_from(page)
    assert yuan(available_balance(page, locale)) == before - added

    # The order page and its receipt show the lines the preview showed.
    page.goto(f"/orders/{order_id}")
    kept, kept_total = open_and_add(page, page.locator("#order-explain"), locale)
    assert kept == kept_total == added
    assert_no_axe_violations(page)
    shoot(page, "order", locale)
    page.goto(f"/orders/{order_id}/receipt")
    expect(page.get_by_role("heading", name=tr(locale, "怎么算的"), exact=True)).to_be_visible()
    assert Decimal(page.locator(".doc-explain tfoot td").get_attribute("data-value") or "") == added
    assert_no_axe_violations(page)
    shoot(page, "receipt", locale)

    page.goto("/plan/unsubscribe")
    explained = page.locator(".summary-list details.explain")
    expect(explained).to_have_count(3)  # 已消费金额, 手续费, 退订金额
    for i in range(3):
        details = explained.nth(i)
        added, total = open_and_add(page, details, locale)
        shown = details.locator("xpath=ancestor::div[contains(@class,'row')]").locator("dd").first.inner_text()
        assert added == total == yuan(shown)
    expect(page.locator("#refund-changes")).to_contain_text(tr(locale, "下一个整点"))
    assert_no_axe_violations(page)
    shoot(page, "unsubscribe", locale)
