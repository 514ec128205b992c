"""怎么算的 (SPEC.md §14) on the renew page and the pack page, zh-CN and en: opened by keyboard (Tab to the summary,
Enter), the lines visible and adding up to the amount shown (summed here from the page), axe; screenshots at 1280
and 375 px with the disclosure open in tests/e2e/artifacts/explain/."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from a11y import assert_no_axe_violations
from flows import EN, ZH, buy_by_balance, set_locale, sign_in, tab_to, tr
from playwright.sync_api import Page, expect

BUYER = "partner-a-ops"
JANUARY = "2024-01-29T10:00:00+08:00"  # the month's last 3 days: the pack page warns
SHOTS = Path(__file__).resolve().parent / "artifacts" / "explain"


def amount(text: str) -> Decimal:
    """'¥8,500.00', '-¥3,396.6034', '+¥0.00' as a Decimal."""
    cleaned = text.strip().replace("¥", "").replace(",", "")
    return Decimal(cleaned)


def open_by_keyboard_and_sum(page: Page, details_id: str, locale: str) -> Decimal:
    details = page.locator(f"#{details_id}")
    summary = details.locator("summary")
    expect(summary).to_have_text(tr(locale, "怎么算的"))
    tab_to(page, summary)
    page.keyboard.press("Enter")
    expect(details).to_have_attribute("open", "")
    rows = details.locator("tbody tr")
    expect(rows.first).to_be_visible()
    added = Decimal(0)
    for i in range(rows.count()):
        row = rows.nth(i)
        expect(row.locator("th")).to_be_visible()
        if row.get_attribute("data-kind") != "subtotal":
            added += amount(row.locator("td").inner_text())
    total = amount(details.locator("tfoot td").inner_text())
    assert added == total, (added, total)
    return total


def shoot(page: Page, name: str, locale: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{locale}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.parametrize("locale", [ZH, EN])
def test_renew_and_pack_amounts_explain_themselves(make_server, new_context, locale):
    srv = make_server(now=JANUARY)
    page = new_context(base_url=srv.url).new_page()
    sign_in(page, BUYER)
    buy_by_balance(page, srv, BUYER)
    set_locale(page, locale)

    page.goto("/plan/renew?months=12")
    total = open_by_keyboard_and_sum(page, "renew-explain", locale)
    assert total == Decimal("102000.00")
    expect(page.locator(".price-bar .amount")).to_have_text("¥102,000.00")
    assert_no_axe_violations(page)
    shoot(page, "renew", locale)

    page.goto("/plan/packs?count=3")
    total = open_by_keyboard_and_sum(page, "pack-explain", locale)
    assert total == Decimal("6000.00")
    expect(page.locator(".price-bar .amount")).to_have_text("¥6,000.00")
    expect(page.locator("[data-lapse-warning]")).to_contain_text("2024/01/31 23:59:59")
    assert_no_axe_violations(page)
    shoot(page, "packs", locale)

    page.goto("/plan/packs/confirm?count=3")
    assert open_by_keyboard_and_sum(page, "pack-explain", locale) == Decimal("6000.00")
    assert_no_axe_violations(page)
