"""Receipts (凭证, issue 13) in the browser, zh-CN and English: from the order page 查看凭证 opens the receipt (its
heading, the order id, the amount in figures and in Chinese capitals), which passes axe-core at 1280 and 375 px;
下载凭证（PDF） downloads the same document as a PDF (application/pdf, non-empty, the order id and the capitals in
its text). The contract of a 申请线上合同请款后支付 order passes axe in both locales and 下载合同（PDF） downloads it.
Screenshots land in tests/e2e/artifacts/receipts/ (the PDFs too, for a look at their first page).

The console is pinned at 2024/01/01 10:30:00; partner-b-buyer buys Standard for a month (¥8,500.00, paid by
balance)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from a11y import assert_no_axe_violations
from flows import (
    EN,
    PINNED,
    ZH,
    axe_in_both_locales,
    buy_by_balance,
    place_order,
    set_locale,
    sign_in,
    summary_value,
    tr,
)
from playwright.sync_api import Page, expect
from pypdf import PdfReader

BUYER = "partner-b-buyer"
SHOTS = Path(__file__).resolve().parent / "artifacts" / "receipts"
WIDTHS = (1280, 375)


@pytest.fixture
def console(make_server, new_context):
    srv = make_server(now=PINNED)
    page = new_context(base_url=srv.url).new_page()
    sign_in(page, BUYER)
    srv.paid_order = buy_by_balance(page, srv, BUYER)
    page.context.close()
    return srv


def axe_at_both_widths(page: Page, name: str, locale: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert_no_axe_violations(page)
        page.screenshot(path=str(SHOTS / f"{name}-{locale}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.parametrize("locale", [ZH, EN])
def test_a_receipt_page_and_its_pdf(console, new_context, locale):
    order_id = console.paid_order
    page = new_context(base_url=console.url, accept_downloads=True).new_page()
    sign_in(page, BUYER)
    set_locale(page, locale)
    page.goto(f"/orders/{order_id}")
    expect(summary_value(page, tr(locale, "状态"))).to_have_text(tr(locale, "已支付"))

    page.get_by_role("link", name=tr(locale, "查看凭证"), exact=True).click()
    expect(page).to_have_url(f"{console.url}/orders/{order_id}/receipt")
    expect(page.get_by_role("heading", name=tr(locale, "付款凭证"), level=1)).to_be_visible()
    document = page.get_by_role("article")
    for text in (order_id, "¥8,500.00", "捌仟伍佰元整", BUYER, tr(locale, "余额支付")):
        expect(document).to_contain_text(text)
    axe_at_both_widths(page, "receipt", locale)

    with page.expect_download() as download:
        page.get_by_role("link", name=tr(locale, "下载凭证（PDF）"), exact=True).click()
    assert download.value.suggested_filename == f"{order_id}-receipt.pdf"
    content = Path(download.value.path()).read_bytes()
    assert content.startswith(b"%PDF") and len(content) > 1000
    (SHOTS / f"receipt-{locale}.pdf").write_bytes(content)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert order_id in text and "捌仟伍佰元整" in text and tr(locale, "付款凭证") in text

    # the same address answers application/pdf to the browser's own request (cookies and all)
    response = page.request.get(f"/orders/{order_id}/receipt.pdf")
    assert response.ok and response.headers["content-type"] == "application/pdf"


def test_the_contract_downloads_as_a_pdf(make_server, new_context):
    srv = make_server(now=PINNED)
    page = new_context(base_url=srv.url, accept_downloads=True).new_page()
    sign_in(page, BUYER)
    order_id = place_order(page)
    page.get_by_role("radio", name="申请线上合同请款后支付", exact=True).check()
    page.get_by_role("button", name="确认付款", exact=True).click()
    page.get_by_role("link", name="查看合同", exact=True).click()
    expect(page.get_by_role("heading", name="合作伙伴支持计划购买合同", level=1)).to_be_visible()
    axe_in_both_locales(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="下载合同（PDF）", exact=True).click()
    assert download.value.suggested_filename == f"contract-{order_id}.pdf"
    content = Path(download.value.path()).read_bytes()
    assert content.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert "合作伙伴支持计划购买合同" in text and order_id in text and "¥8,500.00" in text
