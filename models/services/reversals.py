"""The links between a refund order and the orders whose money it gives back (SPEC.md §13: a refund order links to
the orders and charges it reverses; they link back). One OrderReversal row per period and reversed order: the fen of
the refund order's amount that give back that order's charges on that period. Per period, the period's refund is
split over the orders with net cash on it (purchase, renewal, upgrade: refund orders left out), in proportion to that
cash (`split_fen`, fen for fen), so the rows of a refund order sum exactly to its amount."""

from __future__ import annotations

from collections.abc import Iterable

from models.enums import REFUND_KINDS
from models.records import Reversal
from models.rules.refunds import split_fen
from models.tables import Charge, OrderReversal


async def cash_by_order(period_ids: list[int]) -> dict[int, list[tuple[str, int]]]:
    """Per period: (order id, net fen) of each order with net cash on it, refund orders left out, in the order their
    first charge was made."""
    if not period_ids:
        return {}
    rows = (
        await Charge.select(Charge.period, Charge.order_id, Charge.amount_fen, Charge.order_id.kind.as_alias("kind"))
        .where(Charge.period.is_in(period_ids))
        .order_by(Charge.id)
    )
    net: dict[int, dict[str, int]] = {pid: {} for pid in period_ids}
    for row in rows:
        if row["kind"] in REFUND_KINDS:
            continue
        per = net[row["period"]]
        per[row["order_id"]] = per.get(row["order_id"], 0) + int(row["amount_fen"])
    return {pid: [(oid, fen) for oid, fen in per.items() if fen > 0] for pid, per in net.items()}


async def record(refund_order: str, given_back: Iterable[tuple[int, int, str]]) -> list[tuple[str, int, int]]:
    """Links REFUND_ORDER to what it gives back: GIVEN_BACK is (period id, fen refunded on it, the order that bought
    the period — the one to link when no order has cash on it). Returns the rows written: (reversed order, period,
    fen). Inside the caller's transaction."""
    items = list(given_back)
    cash = await cash_by_order([period for period, _fen, _bought in items])
    written: list[tuple[str, int, int]] = []
    for period, fen, bought_by in items:
        payers = cash.get(period) or [(bought_by, 1)]
        for (order_id, _cash), share in zip(payers, split_fen(fen, [c for _o, c in payers]), strict=True):
            written.append((order_id, period, share))
    if written:
        await OrderReversal.insert(
            *(
                OrderReversal(refund_order=refund_order, reversed_order=order_id, period=period, amount_fen=fen)
                for order_id, period, fen in written
            )
        )
    return written


async def _links(where: object, other: object) -> list[Reversal]:
    rows = (
        await OrderReversal.select(
            OrderReversal.refund_order,
            OrderReversal.reversed_order,
            OrderReversal.period,
            OrderReversal.amount_fen,
            other.kind.as_alias("other_kind"),  # type: ignore[attr-defined]
            other.status.as_alias("other_status"),  # type: ignore[attr-defined]
        )
        .where(where)  # type: ignore[arg-type]
        .order_by(OrderReversal.id)
    )
    return [Reversal.from_row(row) for row in rows]


async def reversed_by_refund(refund_order: str) -> list[Reversal]:
    """The orders a refund order gives money back for (one row per period)."""
    return await _links(OrderReversal.refund_order == refund_order, OrderReversal.reversed_order)


async def refunds_of(order_id: str) -> list[Reversal]:
    """The refund orders that gave back money of this order (one row per period)."""
    return await _links(OrderReversal.reversed_order == order_id, OrderReversal.refund_order)


async def total_of(refund_order: str) -> int:
    rows = await OrderReversal.select(OrderReversal.amount_fen).where(OrderReversal.refund_order == refund_order)
    return sum(int(r["amount_fen"]) for r in rows)
