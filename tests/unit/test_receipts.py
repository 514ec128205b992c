"""Receipts (凭证, issue 13, SPEC.md §13): the typed record of a paid purchase, a pack and a downgrade's refund; the
receipt page and its PDF (application/pdf, %PDF, the order id and the amount in Chinese capitals in its text, no-store,
English labels in English); who may see them (404 for another company) and which orders have none (pending); the
contract as a PDF; the PDF laid out in a worker thread and never fetching over the network."""

from __future__ import annotations

import io
import threading
from datetime import timedelta

import pytest
from anyio import CapacityLimiter
from pypdf import PdfReader

from models.enums import OrderKind, OrderStatus
from models.i18n import translations
from models.rules.capitals import amount_in_capitals
from models.services import orders, packs, payments, purchase, receipts
from models.services.accounts import account_by_login
from tests.helpers.http import place_order, post_form, sign_in
from tests.helpers.orders import premium_renewed_downgraded
from tests.helpers.times import START, bj
from tests.helpers.unsubscribe import add_renewal, buy
from tests.unit.test_refund_orders import unsubscribe_now
from web.orders import pdf

BUYER = "partner-b-buyer"  # 海川数据有限公司
OTHER_COMPANY = "partner-a-ops"  # 星河云科技有限公司


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


async def paid_by_balance(order_id: str, login: str = BUYER, now=START) -> str:
    account = await account_by_login(login)
    await payments.choose(account, order_id, "balance", None, now)
    await payments.settle(order_id, now, payer_id=account.id)
    return order_id


async def bought(login: str = BUYER, level: str = "standard", months: int = 1) -> str:
    return await paid_by_balance(await purchase.place(await account_by_login(login), level, months, None, START), login)


# ------------------------------------------------------------------------------------------------ the record
async def test_the_receipt_of_a_paid_purchase(demo):
    order_id = await bought()
    receipt = await receipts.build(await orders.get(order_id))
    assert receipt.order_id == order_id and receipt.kind == OrderKind.PURCHASE and not receipt.refund
    assert receipt.company == "海川数据有限公司" and receipt.account_login == BUYER
    assert receipt.payer_logins == (BUYER,) and receipt.method == "balance"
    [line] = receipt.lines
    assert (line.kind, line.level, line.months, line.pack_count) == (OrderKind.PURCHASE, "standard", 1, 0)
    assert (line.list_fen, line.discount_fen, line.amount_fen) == (850_000, 0, 850_000)
    assert receipt.amount_fen == 850_000 and receipt.capitals == "捌仟伍佰元整"
    assert receipt.settled_at == START and receipt.reverses == () and receipt.refunded_to == ()
    assert receipt.filename == f"{order_id}-receipt.pdf"


async def test_the_receipt_of_a_pack(demo):
    await bought()
    buyer = await account_by_login(BUYER)
    later = START + timedelta(days=1)
    order_id = await paid_by_balance(await packs.place(buyer, 2, None, later), now=later)
    receipt = await receipts.build(await orders.get(order_id))
    [line] = receipt.lines
    assert line.kind == OrderKind.PACK and line.pack_count == 2 and line.level == ""
    assert receipt.amount_fen == line.amount_fen == (await orders.get(order_id)).due_fen > 0
    assert receipt.capitals == amount_in_capitals(receipt.amount_fen) and receipt.settled_at == later


async def test_the_receipt_of_a_downgrade_is_a_refund_naming_what_it_reverses(demo, clock):
    made = await premium_renewed_downgraded(BUYER, clock)
    down = await orders.get(made["downgrade"])
    receipt = await receipts.build(down)
    assert receipt.refund and receipt.kind == OrderKind.DOWNGRADE and receipt.method == ""
    assert receipt.amount_fen == down.due_fen > 0 and receipt.capitals == amount_in_capitals(down.due_fen)
    # the refund gives back part of the bought month and of the renewal, to the buyer's balance
    assert {r.order_id for r in receipt.reverses} == {made["purchase"], made["renewal"]}
    assert sum(r.amount_fen for r in receipt.reverses) == down.due_fen
    assert receipt.refunded_to == ((BUYER, down.due_fen),) and receipt.payer_logins == (BUYER,)
    assert receipt.settled_at == START + timedelta(days=5)


async def test_the_receipt_of_an_unsubscribe_is_a_refund_naming_both_orders(client, demo):
    bought_id = await buy(BUYER, bj(2024, 1, 1, 10, 30))
    renewed = await add_renewal(BUYER, bj(2024, 1, 10, 9))
    _quote, row = await unsubscribe_now(BUYER, bj(2024, 1, 15, 18, 40))
    refund = await orders.get(row["order_id"])
    receipt = await receipts.build(refund)
    assert receipt.refund and receipt.kind == OrderKind.UNSUBSCRIBE and receipt.status == OrderStatus.REFUND_DONE
    assert receipt.amount_fen == refund.due_fen == 1_229_248 and receipt.capitals == "壹万贰仟贰佰玖拾贰元肆角捌分"
    assert {(r.order_id, r.kind, r.amount_fen) for r in receipt.reverses} == {
        (bought_id, OrderKind.PURCHASE, 379_248),
        (renewed, OrderKind.RENEWAL, 850_000),
    }
    assert receipt.refunded_to == ((BUYER, 1_229_248),) and receipt.settled_at == bj(2024, 1, 15, 18, 40)
    # the orders it reverses (已退订) were paid: they keep their receipts
    assert receipts.has_receipt(await orders.get(bought_id))
    await sign_in(client, BUYER)
    detail = await client.get(f"/orders/{refund.id}")
    assert f'href="/orders/{refund.id}/receipt">查看凭证</a>' in detail.text
    page = await client.get(f"/orders/{refund.id}/receipt")
    assert "<h1>退款凭证</h1>" in page.text and "已退款" in page.text and "应付金额" not in page.text
    assert "<dt>退订原因</dt><dd>业务测试完毕退订</dd>" in page.text and receipt.reason == "test_done"
    text = pdf_text((await client.get(f"/orders/{refund.id}/receipt.pdf")).content)
    for expected in (
        "业务测试完毕退订",
        refund.id,
        "壹万贰仟贰佰玖拾贰元肆角捌分",
        "¥12,292.48",
        bought_id,
        renewed,
        "2024-01-15 18:40:00",
    ):
        assert expected in text


async def test_the_receipt_of_a_renewal_only_unsubscribe_names_the_renewal(demo):
    await buy(BUYER, bj(2024, 1, 1, 10, 30))
    renewed = await add_renewal(BUYER, bj(2024, 1, 10, 9))
    _quote, row = await unsubscribe_now(BUYER, bj(2024, 1, 15, 18, 40), renewals_only=True)
    receipt = await receipts.build(await orders.get(row["order_id"]))
    assert receipt.kind == OrderKind.UNSUBSCRIBE_RENEWALS and receipt.refund
    assert [(r.order_id, r.amount_fen) for r in receipt.reverses] == [(renewed, 850_000)]
    assert receipt.amount_fen == 850_000 and receipt.capitals == "捌仟伍佰元整"


async def test_pending_and_cancelled_orders_have_no_receipt(demo):
    buyer = await account_by_login(BUYER)
    pending = await orders.get(await purchase.place(buyer, "standard", 1, None, START))
    assert not receipts.has_receipt(pending)
    with pytest.raises(receipts.NoReceipt):
        await receipts.build(pending)
    cancelled = await orders.cancel(buyer, pending.id, START)
    assert cancelled.status == OrderStatus.CANCELLED and not receipts.has_receipt(cancelled)


# ------------------------------------------------------------------------------------------------ over HTTP
async def test_the_receipt_page_and_its_pdf(client, demo):
    order_id = await bought()
    await sign_in(client, BUYER)
    detail = await client.get(f"/orders/{order_id}")
    assert f'href="/orders/{order_id}/receipt">查看凭证</a>' in detail.text
    assert f'href="/orders/{order_id}/receipt.pdf" download>下载凭证（PDF）</a>' in detail.text

    page = await client.get(f"/orders/{order_id}/receipt")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    for text in (
        "<h1>付款凭证</h1>",
        "海川数据有限公司",
        BUYER,
        order_id,
        "标准级（1个月）",
        "¥8,500.00",
        "捌仟伍佰元整",
    ):
        assert text in page.text
    assert "余额支付" in page.text and "2024-01-01 10:30:00 (UTC+8)" in page.text
    assert f'href="/orders/{order_id}/receipt.pdf" download>下载凭证（PDF）</a>' in page.text

    response = await client.get(f"/orders/{order_id}/receipt.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'attachment; filename="{order_id}-receipt.pdf"'
    assert response.headers["cache-control"] == "no-store"
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    for expected in (order_id, "捌仟伍佰元整", "付款凭证", "海川数据有限公司", "¥8,500.00", "2024-01-01 10:30:00"):
        assert expected in text
    assert "下载凭证" not in text  # the page's links stay on the page
    head = await client.head(f"/orders/{order_id}/receipt.pdf")
    assert head.status_code == 200 and head.headers["content-type"] == "application/pdf" and head.content == b""


async def test_the_receipt_of_a_downgrade_over_http_says_refund(client, demo, clock):
    made = await premium_renewed_downgraded(BUYER, clock)
    down = await orders.get(made["downgrade"])
    await sign_in(client, BUYER)
    page = await client.get(f"/orders/{down.id}/receipt")
    assert page.status_code == 200
    assert "<h1>退款凭证</h1>" in page.text and "退款金额" in page.text and "应付金额" not in page.text
    assert f'<a href="/orders/{made["purchase"]}">{made["purchase"]}</a>' in page.text
    text = pdf_text((await client.get(f"/orders/{down.id}/receipt.pdf")).content)
    assert down.id in text and amount_in_capitals(down.due_fen) in text and made["renewal"] in text


async def test_english_labels_in_the_page_and_the_pdf(client, demo):
    order_id = await bought()
    await sign_in(client, BUYER)
    client.cookies.set("lang", "en")
    en = translations("en")
    page = await client.get(f"/orders/{order_id}/receipt")
    assert '<html lang="en">' in page.text and en.gettext("付款凭证") in page.text
    assert en.gettext("下载凭证（PDF）") in page.text
    text = pdf_text((await client.get(f"/orders/{order_id}/receipt.pdf")).content)
    assert en.gettext("付款凭证") in text and order_id in text and "捌仟伍佰元整" in text


async def test_another_company_gets_404_and_a_pending_order_has_no_receipt(client, demo):
    order_id = await bought()
    await sign_in(client, OTHER_COMPANY)
    for path in (f"/orders/{order_id}/receipt", f"/orders/{order_id}/receipt.pdf"):
        response = await client.get(path)
        assert response.status_code == 404 and "订单不存在" in response.text
        assert "海川数据有限公司" not in response.text and "捌仟伍佰元整" not in response.text
    await sign_in(client, BUYER)
    pending = await packs.place(await account_by_login(BUYER), 1, None, START)
    detail = await client.get(f"/orders/{pending}")
    assert "凭证" not in detail.text
    for path in (f"/orders/{pending}/receipt", f"/orders/{pending}/receipt.pdf"):
        response = await client.get(path)
        assert response.status_code == 404
        assert "该订单没有凭证" in response.text and response.headers["content-type"].startswith("text/html")
        assert "<h1>没有凭证</h1>" in response.text and f'href="/orders/{pending}">返回订单</a>' in response.text
    assert (await client.get("/orders/CSNOPE/receipt.pdf")).status_code == 404


async def test_signed_out_is_sent_to_sign_in(client, demo):
    order_id = await bought()
    response = await client.get(f"/orders/{order_id}/receipt.pdf", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_the_contract_as_a_pdf(client, demo):
    await sign_in(client, BUYER)
    order_id = await place_order(client)
    await post_form(client, f"/orders/{order_id}/pay", {"method": "contract"})
    page = await client.get(f"/orders/{order_id}/contract")
    assert f'href="/orders/{order_id}/contract.pdf" download>下载合同（PDF）</a>' in page.text
    response = await client.get(f"/orders/{order_id}/contract.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'attachment; filename="contract-{order_id}.pdf"'
    text = pdf_text(response.content)
    assert "合作伙伴支持计划购买合同" in text and order_id in text and "¥8,500.00" in text
    assert "下载合同" not in text
    await sign_in(client, OTHER_COMPANY)
    assert (await client.get(f"/orders/{order_id}/contract.pdf")).status_code == 404


# ------------------------------------------------------------------------------------------------ the renderer
def test_documents_fetch_only_our_static_files():
    assert pdf.static_file(pdf.ORIGIN + "/static/print.css?v=1") == pdf.STATIC_DIR / "print.css"
    for url in (
        "https://example.com/static/print.css",
        "http://127.0.0.1:9/x.png",
        "file:///etc/passwd",
        pdf.ORIGIN + "/static/../../web/app.py",
        pdf.ORIGIN + "/static/%2e%2e/%2e%2e/pyproject.toml",
        pdf.ORIGIN + "/orders/CS1/receipt",
        pdf.ORIGIN + "/static/missing.css",
    ):
        with pytest.raises(pdf.RefusedFetch):
            pdf.static_file(url)


def test_a_document_naming_an_outside_address_renders_without_fetching_it(monkeypatch):
    import urllib.request

    opened: list[object] = []
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", lambda self, *a, **k: opened.append(a) or None)
    html = (
        '<html><head><link rel="stylesheet" href="http://127.0.0.1:9/evil.css"></head>'
        '<body><img src="https://example.com/x.png" alt=""><p>凭证 CS2401011030</p></body></html>'
    )
    content = pdf.layout(html)
    assert content.startswith(b"%PDF") and "CS2401011030" in pdf_text(content)
    assert opened == []


async def test_the_layout_runs_in_a_worker_thread(settings, monkeypatch):
    from web.app import create_app

    env = create_app(settings).template_engine.engine
    loop_thread = threading.get_ident()
    seen: list[int] = []
    layout = pdf.layout

    def recording(html: str) -> bytes:
        seen.append(threading.get_ident())
        return layout(html)

    monkeypatch.setattr(pdf, "layout", recording)
    content = await pdf.render_pdf(env, "print_base.html", {}, CapacityLimiter(1))
    assert content.startswith(b"%PDF") and seen and seen[0] != loop_thread


def test_a_download_name_with_chinese_carries_its_utf8_form():
    assert pdf.attachment("CS1-receipt.pdf") == 'attachment; filename="CS1-receipt.pdf"'
    assert pdf.attachment("CS1-凭证.pdf") == (
        "attachment; filename=\"CS1-__.pdf\"; filename*=UTF-8''CS1-%E5%87%AD%E8%AF%81.pdf"
    )
