"""Issue 13's "Done means", as a new user would, in zh-CN and in English: buy 尊享级 for a month, renew it twice, drop
just the two renewals (仅退订未生效的续费周期), downgrade; 订单管理 filtered to 已退款 shows the two refund orders, whose
receipts (page and PDF) and whose CSV rows add up to what the ledger says.

The console is pinned at 2024/01/01 10:30 for the purchase and the renewals (¥25,000.00 each, by balance), then at
2024/01/15 18:40 (the vendor's worked example): the renewals are refunded whole (¥50,000.00, no fee) and the
downgrade refunds (25,000 − 8,500) × 414/758 = ¥9,011.87."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from a11y import assert_no_axe_violations
from flows import EN, ZH, buy_by_balance, pay_by_balance, set_locale, sign_in, tr
from playwright.sync_api import Page, expect
from pypdf import PdfReader

BUYER = "partner-b-buyer"
BOUGHT = "2024-01-01T10:30:00+08:00"
LATER = "2024-01-15T18:40:00+08:00"
AGREE = "我已阅读并同意《合作伙伴支持计划服务协议》"
RENEWALS_BACK, DOWNGRADE_BACK = Decimal("50000.00"), Decimal("9011.87")


def renew_a_month(page: Page, srv) -> None:
    page.goto("/plan/renew")
    page.get_by_role("button", name="去支付", exact=True).click()
    pay_by_balance(page, srv, BUYER, amount="¥25,000.00")


def drop_the_renewals(page: Page, locale: str) -> None:
    page.goto("/plan/unsubscribe")
    page.get_by_role("radio", name=tr(locale, "仅退订未生效的续费周期"), exact=True).check()
    page.get_by_role("button", name=tr(locale, "按所选范围计算退订金额"), exact=True).click()
    page.get_by_role("radio", name=tr(locale, "购买云服务时选择参数错误"), exact=True).check()
    page.get_by_role("checkbox", name=tr(locale, "我已确认本次退订金额和相关费用。")).check()
    page.get_by_role("button", name=tr(locale, "退订"), exact=True).click()
    expect(page.get_by_role("heading", name=tr(locale, "退订成功"), level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("¥50,000.00")


def downgrade(page: Page, locale: str) -> None:
    page.goto("/plan/change")
    page.get_by_role("button", name=tr(locale, "立即变更"), exact=True).click()
    page.get_by_role("checkbox", name=tr(locale, AGREE)).check()
    page.get_by_role("button", name=tr(locale, "确认变更"), exact=True).click()
    expect(page.get_by_role("heading", name=tr(locale, "降级成功"), exact=True)).to_be_visible()


def csv_rows(page: Page, href: str) -> list[dict[str, str]]:
    response = page.request.get(href)
    assert response.ok and response.headers["content-type"].startswith("text/csv")
    body = response.body()
    assert body.startswith("\ufeff".encode())  # the BOM, so that Excel reads Chinese
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def receipt_amount(page: Page, locale: str, order_id: str) -> str:
    """Opens the order's receipt from its page; checks the page (axe) and the PDF; returns the PDF's text."""
    page.goto(f"/orders/{order_id}")
    page.get_by_role("link", name=tr(locale, "查看凭证"), exact=True).click()
    expect(page.get_by_role("heading", name=tr(locale, "退款凭证"), level=1)).to_be_visible()
    expect(page.get_by_role("article")).to_contain_text(order_id)
    assert_no_axe_violations(page)
    with page.expect_download() as download:
        page.get_by_role("link", name=tr(locale, "下载凭证（PDF）"), exact=True).click()
    content = Path(download.value.path()).read_bytes()
    assert content.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert order_id in text
    return text


@pytest.mark.parametrize("locale", [ZH, EN])
def test_buy_renew_twice_drop_the_renewals_downgrade_and_reconcile(make_server, new_context, locale):
    srv = make_server(now=BOUGHT)
    page = new_context(base_url=srv.url, accept_downloads=True).new_page()
    sign_in(page, BUYER)
    buy_by_balance(page, srv, BUYER, level="尊享级")
    renew_a_month(page, srv)
    renew_a_month(page, srv)

    srv.restart(now=LATER)
    set_locale(page, locale)
    sign_in(page, BUYER, locale=locale)
    drop_the_renewals(page, locale)
    downgrade(page, locale)

    # 订单管理 filtered to 已退款: the two refund orders, and nothing else
    page.goto("/orders")
    page.get_by_label(tr(locale, "状态"), exact=True).select_option("refund_done")
    page.get_by_role("button", name=tr(locale, "筛选"), exact=True).click()
    rows = page.get_by_role("region", name=tr(locale, "订单列表")).locator("tbody tr")
    expect(rows).to_have_count(2)
    assert_no_axe_violations(page)
    # both made in the same (pinned) minute, so their order in the list is not asserted: the downgrade's and the
    # renewals' refund orders, each with its signed amount
    downgrade_row = rows.filter(has_text=tr(locale, "退款 %(amount)s", amount="¥9,011.87"))
    renewals_row = rows.filter(has_text=tr(locale, "退款 %(amount)s", amount="¥50,000.00"))
    expect(downgrade_row).to_contain_text(tr(locale, "已退款"))
    expect(renewals_row).to_contain_text(tr(locale, "已退款"))
    refund_ids = [row.get_by_role("link").first.inner_text().strip() for row in (downgrade_row, renewals_row)]
    export_href = page.get_by_role("link", name=tr(locale, "导出CSV"), exact=True).get_attribute("href")

    # the receipts: page and PDF, each with its own amount
    assert "9,011.87" in receipt_amount(page, locale, refund_ids[0])
    assert "50,000.00" in receipt_amount(page, locale, refund_ids[1])

    # the filtered CSV: the same two orders, refunds signed negative, adding up to the ledger's refund credits
    exported = csv_rows(page, export_href)
    amount, order_no = tr(locale, "金额"), tr(locale, "订单号")
    assert sorted(r[order_no] for r in exported) == sorted(refund_ids)
    exported_sum = sum(Decimal(r[amount]) for r in exported)
    assert exported_sum == -(RENEWALS_BACK + DOWNGRADE_BACK)

    page.goto("/balance")
    ledger = csv_rows(page, "/balance/export.csv")
    credited = sum(Decimal(r[amount]) for r in ledger if r[order_no] in refund_ids)
    assert credited == RENEWALS_BACK + DOWNGRADE_BACK == -exported_sum
    # and the ledger as a whole (oldest row first): every row's amounts add up to the balance after the newest one,
    # which is the balance the page shows: 100,000 − 3 × 25,000 + 50,000 + 9,011.87
    assert Decimal(ledger[-1][tr(locale, "余额")]) == sum(Decimal(r[amount]) for r in ledger) == Decimal("84011.87")
    expect(page.get_by_role("main").get_by_text(tr(locale, "可用额度"))).to_contain_text("¥84,011.87")
