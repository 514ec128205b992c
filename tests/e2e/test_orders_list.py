"""订单管理 for finance staff in the browser, zh-CN and English (issue 13): filter to 已支付 and to a date range by
the GET form, go to page 2 by keyboard, 导出CSV downloads the filtered list (BOM, header, ISO times, signed
yuan), an order page shows its 订单记录; axe-core on the list (filtered and paged) and on the order page at 1280
and 375 px. Screenshots land in tests/e2e/artifacts/orders/.

The console is pinned at 2024/01/01 10:30:00; partner-b-buyer buys Standard for a month (¥8,500.00, paid by
balance) and 24 pending ticket-pack orders are written before it, one a day from 2023/12/01."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from a11y import assert_no_axe_violations
from flows import EN, PINNED, ZH, buy_by_balance, set_locale, sign_in, tr
from playwright.sync_api import Page, expect

from models.i18n import translations

BUYER = "partner-b-buyer"
SHOTS = Path(__file__).resolve().parent / "artifacts" / "orders"
WIDTHS = (1280, 375)


def ntr(locale: str, msgid: str, n: int) -> str:
    return translations(locale).ngettext(msgid, msgid, n) % {"num": n}


def add_pending_packs(db_path: Path, count: int) -> None:
    """COUNT pending 工单增购包 orders of the buyer, one a day at 10:30 Beijing time from 2023/12/01."""
    with closing(sqlite3.connect(db_path)) as db:
        db.row_factory = sqlite3.Row
        template = dict(db.execute("SELECT * FROM support_order ORDER BY created_at LIMIT 1").fetchone())
        for day in range(count):
            row = dict(template)
            row.update(
                id=f"CS2312{day + 1:02d}1030{day:05d}",
                kind="pack",
                level="",
                months=0,
                pack_count=1,
                list_fen=100_000,
                discount_fen=0,
                due_fen=100_000,
                coupon=None,
                status="pending",
                method="",
                payer=None,
                request_key=None,
                payment_ref=None,
                created_at=f"2023-12-{day + 1:02d} 02:30:00+00:00",
                paid_at=None,
                closed_at=None,
            )
            db.execute(
                f"INSERT INTO support_order ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
                list(row.values()),
            )
        db.commit()


@pytest.fixture
def console(make_server, new_context):
    srv = make_server(now=PINNED)
    page = new_context(base_url=srv.url).new_page()
    sign_in(page, BUYER)
    paid = buy_by_balance(page, srv, BUYER)
    page.context.close()
    add_pending_packs(srv.db_path, 24)
    srv.paid_order = paid
    return srv


def order_rows(page: Page):
    return page.get_by_role("region", name=tr(page.locale, "订单列表")).locator("tbody tr")


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def axe_at_both_widths(page: Page, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert_no_axe_violations(page)
        shoot(page, f"{name}-{page.locale}-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.parametrize("locale", [ZH, EN])
def test_filter_page_and_export_the_orders(console, new_context, locale):
    context = new_context(base_url=console.url, accept_downloads=True)
    page = context.new_page()
    page.locale = locale
    sign_in(page, BUYER)
    set_locale(page, locale)
    page.goto("/orders")
    expect(page.get_by_role("heading", name=tr(locale, "订单管理"), level=1)).to_be_visible()
    expect(page.get_by_text(ntr(locale, "共 %(num)s 个订单", 25))).to_be_visible()
    expect(order_rows(page)).to_have_count(20)
    expect(order_rows(page).first).to_contain_text(console.paid_order)  # newest first

    # 已支付: one order, and the filtered list is a link
    page.get_by_label(tr(locale, "状态"), exact=True).select_option(label=tr(locale, "已支付"))
    page.get_by_role("button", name=tr(locale, "筛选"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/orders\?kind=&status=paid"))
    expect(order_rows(page)).to_have_count(1)
    expect(order_rows(page).first).to_contain_text("¥8,500.00")
    axe_at_both_widths(page, "paid")

    # 导出CSV of the filtered list
    with page.expect_download() as download:
        page.get_by_role("link", name=tr(locale, "导出CSV"), exact=True).click()
    assert re.fullmatch(r"orders-\d{8}\.csv", download.value.suggested_filename)
    raw = Path(download.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header, *rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert header[0] == tr(locale, "订单号") and header[3] == tr(locale, "金额")
    assert rows == [[console.paid_order, *rows[0][1:]]]
    assert rows[0][3] == "8500.00" and rows[0][6] == "2024-01-01T10:30:00+08:00"

    # 清除筛选, then a date range (Beijing time, both days included)
    page.get_by_role("link", name=tr(locale, "清除筛选"), exact=True).click()
    page.get_by_label(tr(locale, "起始日期"), exact=True).fill("2023-12-05")
    page.get_by_label(tr(locale, "结束日期"), exact=True).fill("2023-12-07")
    page.get_by_role("button", name=tr(locale, "筛选"), exact=True).click()
    expect(order_rows(page)).to_have_count(3)
    expect(page.get_by_text(ntr(locale, "共 %(num)s 个订单", 3))).to_be_visible()

    # page 2 of the unfiltered list, by keyboard
    page.goto("/orders")
    pages = page.get_by_role("navigation", name=tr(locale, "分页"))
    expect(pages.get_by_role("link", name="1", exact=True)).to_have_attribute("aria-current", "page")
    expect(pages).to_contain_text(tr(locale, "第 %(page)s 页，共 %(pages)s 页", page=1, pages=2))
    nxt = pages.get_by_role("link", name=tr(locale, "下一页"), exact=True)
    nxt.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/orders\?page=2$"))
    expect(order_rows(page)).to_have_count(5)
    expect(pages.get_by_role("link", name="2", exact=True)).to_have_attribute("aria-current", "page")
    expect(pages.get_by_role("link", name=tr(locale, "上一页"), exact=True)).to_have_attribute("rel", "prev")
    axe_at_both_widths(page, "page2")

    # an order page with its history
    page.goto(f"/orders/{console.paid_order}")
    history = page.get_by_role("region", name=tr(locale, "订单记录"))
    expect(history).to_contain_text(tr(locale, "订单已支付"))
    expect(history).to_contain_text(
        tr(locale, "付款人：%(login)s；支付方式：%(method)s", login=BUYER, method=tr(locale, "余额支付"))
    )
    axe_at_both_widths(page, "detail")


def test_a_bad_date_is_marked_on_its_field(console, new_context):
    page = new_context(base_url=console.url).new_page()
    sign_in(page, BUYER)
    page.goto("/orders?from=2023-02-30")
    expect(page.get_by_role("alert")).to_contain_text("起始日期无效")
    expect(page.get_by_label("起始日期", exact=True)).to_have_attribute("aria-invalid", "true")
    assert_no_axe_violations(page)
