"""The CSV exports: the filtered order list (all pages) and the balance ledger. UTF-8 with a BOM (Excel then
reads Chinese), the header in the page's language, ISO 8601 times in Beijing time, amounts as signed decimal yuan
with two decimals (a refund and money out of the balance are negative), written with Python's csv module."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime

from models.enums import LEDGER_KIND_NAMES, ORDER_STATUS_NAMES, PAYMENT_METHOD_NAMES
from models.records import LedgerEntry, Order
from models.rules.money import to_decimal
from models.rules.periods import BEIJING
from web.i18n import _
from web.orders.listing import settled_at, signed_fen, spec_label
from web.template_globals import order_kind_name

BOM = "\ufeff"
CONTENT_TYPE = "text/csv"  # Litestar adds "; charset=utf-8"


def iso(moment: datetime | None) -> str:
    """2024-01-15T18:40:00+08:00 (Beijing time), or "" for none."""
    return moment.astimezone(BEIJING).isoformat(timespec="seconds") if moment else ""


def yuan(fen: int) -> str:
    """-8500.00: decimal yuan, two decimals, the sign only when negative."""
    return f"{to_decimal(fen):.2f}"


def _csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return (BOM + out.getvalue()).encode("utf-8")


def disposition(prefix: str, now: datetime) -> str:
    return f'attachment; filename="{prefix}-{now.astimezone(BEIJING):%Y%m%d}.csv"'


def orders_csv(orders: Iterable[Order]) -> bytes:
    header = [
        _("订单号"),
        _("类型"),
        _("产品规格"),
        _("金额"),
        _("状态"),
        _("支付方式"),
        _("创建时间"),
        _("支付/退款时间"),
    ]
    rows = (
        [
            o.id,
            order_kind_name(o.kind),
            spec_label(o),
            yuan(signed_fen(o)),
            _(ORDER_STATUS_NAMES[o.status]),
            _(PAYMENT_METHOD_NAMES[o.method]) if o.method in PAYMENT_METHOD_NAMES else "",
            iso(o.created_at),
            iso(settled_at(o)),
        ]
        for o in orders
    )
    return _csv(header, rows)


def ledger_csv(entries: Iterable[LedgerEntry]) -> bytes:
    header = [_("时间"), _("类型"), _("订单号"), _("金额"), _("余额")]
    rows = (
        [
            iso(e.created_at),
            _(LEDGER_KIND_NAMES[e.kind]),
            e.order_id or "",
            yuan(e.amount_fen),
            yuan(e.balance_after_fen),
        ]
        for e in entries
    )
    return _csv(header, rows)
