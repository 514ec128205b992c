"""Receipts (凭证, SPEC.md §13) as a page and as a PDF download, both from templates/orders/receipt.html: the page
extends the console's layout, the PDF the print layout (templates/print_base.html with static/print.css).

Who may see a receipt is who may see the order (orders.get_for: anyone else gets 404, so ids cannot be probed);
an order without a receipt (pending, cancelled) is a 404 page saying so, with the way back to the order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from litestar import Controller, Request, Response, get
from litestar.di import Provide
from litestar.response import Template

from models.enums import PAYMENT_METHOD_NAMES, CouponKind
from models.records import Account, Order
from models.rules.periods import to_beijing
from models.services import orders, receipts
from models.services.errors import N_
from models.services.receipts import Receipt, ReceiptLine
from models.services.unsubscribe import REASONS
from web.auth import provide_account
from web.i18n import _
from web.orders.pdf import pdf_response
from web.rendering import page
from web.template_globals import level_name, money, order_kind_name, term_label

#: The layouts a document extends: the console's page, or the print layout of its PDF.
PAGE_LAYOUT, PRINT_LAYOUT = "base.html", "print_base.html"
COUPON_NAMES = {CouponKind.VOUCHER: N_("代金券"), CouponKind.DISCOUNT: N_("折扣券")}


def beijing_time(moment: datetime) -> str:
    """A receipt's time: ISO 8601's order in Beijing time, with its offset (2024-01-01 10:30:00 UTC+8)."""
    return to_beijing(moment).strftime("%Y-%m-%d %H:%M:%S") + " (UTC+8)"


@dataclass(frozen=True, slots=True)
class LineRow:
    kind: str
    spec: str
    list_amount: str
    discount: str
    amount: str


@dataclass(frozen=True, slots=True)
class ReceiptPage:
    """A receipt with every label and amount as shown (templates/orders/receipt.html only lays them out)."""

    receipt: Receipt
    title: str
    amount_label: str  # 实付金额, or 退款金额
    settled_label: str  # 支付时间, or 退款时间
    settled_at: str
    created_at: str
    method_label: str  # 支付方式, or 退款方式
    method: str
    payer_label: str  # 付款帐号, or 退款至
    payers: str
    reason: str  # 退订原因, translated ("" when there is none)
    lines: tuple[LineRow, ...]
    amount: str
    reverses: tuple[tuple[str, str, str], ...]  # (order id, kind, amount refunded of it)
    order_href: str
    pdf_href: str

    @classmethod
    def of(cls, receipt: Receipt) -> ReceiptPage:
        refund = receipt.refund
        if refund:
            payers = "；".join(
                _("%(login)s（%(amount)s）", login=login, amount=money(fen)) for login, fen in receipt.refunded_to
            )
            method = _("退回余额")
        else:
            payers = "、".join(receipt.payer_logins)
            method = _(PAYMENT_METHOD_NAMES[receipt.method]) if receipt.method in PAYMENT_METHOD_NAMES else ""
        return cls(
            receipt=receipt,
            title=_("退款凭证") if refund else _("付款凭证"),
            amount_label=_("退款金额") if refund else _("实付金额"),
            settled_label=_("退款时间") if refund else _("支付时间"),
            settled_at=beijing_time(receipt.settled_at),
            created_at=beijing_time(receipt.created_at),
            method_label=_("退款方式") if refund else _("支付方式"),
            method=method,
            payer_label=_("退款至") if refund else _("付款帐号"),
            reason=_(REASONS[receipt.reason]) if receipt.reason in REASONS else "",
            payers=payers or "、".join(receipt.payer_logins),
            lines=tuple(line_row(line, refund) for line in receipt.lines),
            amount=money(receipt.amount_fen),
            reverses=tuple((r.order_id, order_kind_name(r.kind), money(r.amount_fen)) for r in receipt.reverses),
            order_href=f"/orders/{receipt.order_id}",
            pdf_href=f"/orders/{receipt.order_id}/receipt.pdf",
        )


def line_row(line: ReceiptLine, refund: bool) -> LineRow:
    discount = ""
    if line.discount_fen:
        discount = "-" + money(line.discount_fen)
        if line.coupon_kind is not None:
            discount += _("（%(coupon)s）", coupon=_(COUPON_NAMES[line.coupon_kind]))
    return LineRow(
        kind=order_kind_name(line.kind),
        spec=_spec(line),
        list_amount="" if refund else money(line.list_fen),
        discount=discount,
        amount=money(line.amount_fen),
    )


def _spec(line: ReceiptLine) -> str:
    """产品规格 as the order list writes it: the level and term, or the pack count."""
    if line.pack_count:
        return _("%(count)s个增购包", count=line.pack_count)
    if line.level and line.months:
        return _("%(level)s（%(term)s）", level=level_name(line.level), term=term_label(line.months))
    return level_name(line.level) if line.level else ""


class ReceiptsController(Controller):
    path = "/orders"
    dependencies = {"account": Provide(provide_account)}

    @get("/{order_id:str}/receipt")
    async def receipt_page(self, request: Request, account: Account, order_id: str) -> Template:
        """查看凭证: the receipt in the console's layout, with 下载凭证（PDF）."""
        order = await orders.get_for(account, order_id)
        if not receipts.has_receipt(order):
            return _none(request, account, order)
        model = ReceiptPage.of(await receipts.build(order))
        context = {"account": account, "page": model, "layout": PAGE_LAYOUT, "printing": False}
        return page(request, "orders/receipt.html", context)

    @get("/{order_id:str}/receipt.pdf")
    async def receipt_pdf(self, request: Request, account: Account, order_id: str) -> Response[bytes] | Template:
        """下载凭证（PDF）: the same document, laid out for paper."""
        order = await orders.get_for(account, order_id)
        if not receipts.has_receipt(order):
            return _none(request, account, order)
        receipt = await receipts.build(order)
        context = {"account": account, "page": ReceiptPage.of(receipt), "layout": PRINT_LAYOUT, "printing": True}
        return await pdf_response(request, "orders/receipt.html", context, receipt.filename)


def _none(request: Request, account: Account, order: Order) -> Template:
    """A pending or cancelled order: no receipt (404), saying why, with the way back to the order."""
    context = {"account": account, "order": order, "message": receipts.NO_RECEIPT_MESSAGE}
    return page(request, "orders/receipt_none.html", context, status_code=404)
