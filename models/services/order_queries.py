"""Read-only queries for 订单管理 and the CSV exports: one account's orders filtered by kind, status and a creation
time range, a page of them (limit/offset) and their count, and the facts an order's history is told from (the
ledger rows naming it, the refund orders linked to it, the logins involved). Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from piccolo.columns.combination import Combinable

from models.enums import REFUND_KINDS, OrderKind, OrderStatus
from models.records import LedgerEntry, Order
from models.services import reversals
from models.tables import Account as AccountTable
from models.tables import LedgerEntry as LedgerEntryTable
from models.tables import SupportOrder


@dataclass(frozen=True, slots=True)
class OrderFilter:
    """Which orders: of these kind and status (None: any), created in [start, end) (None: unbounded)."""

    kind: OrderKind | None = None
    status: OrderStatus | None = None
    start: datetime | None = None
    end: datetime | None = None


def _where(account_id: int, wanted: OrderFilter) -> Combinable:
    """The orders this account placed (the rule of the order list: a main account's 代付 requests have their own
    page), narrowed by the filter."""
    where: Combinable = SupportOrder.account == account_id
    if wanted.kind is not None:
        where = where & (SupportOrder.kind == str(wanted.kind))
    if wanted.status is not None:
        where = where & (SupportOrder.status == str(wanted.status))
    if wanted.start is not None:
        where = where & (SupportOrder.created_at >= wanted.start)
    if wanted.end is not None:
        where = where & (SupportOrder.created_at < wanted.end)
    return where


async def page_of(account_id: int, wanted: OrderFilter, limit: int, offset: int) -> list[Order]:
    """One page of the filtered orders, newest first (the id breaks ties of the same second)."""
    rows = (
        await SupportOrder.select()
        .where(_where(account_id, wanted))
        .order_by(SupportOrder.created_at, SupportOrder.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    return [Order.from_row(row) for row in rows]


async def count_of(account_id: int, wanted: OrderFilter) -> int:
    return int(await SupportOrder.count().where(_where(account_id, wanted)))


async def all_of(account_id: int, wanted: OrderFilter) -> list[Order]:
    """Every filtered order, newest first (the export: all pages)."""
    rows = (
        await SupportOrder.select()
        .where(_where(account_id, wanted))
        .order_by(SupportOrder.created_at, SupportOrder.id, ascending=False)
    )
    return [Order.from_row(row) for row in rows]


async def ledger_of(account_id: int) -> list[LedgerEntry]:
    """Every ledger row of the account, oldest first (the ledger export)."""
    rows = await LedgerEntryTable.select().where(LedgerEntryTable.account == account_id).order_by(LedgerEntryTable.id)
    return [LedgerEntry.from_row(row) for row in rows]


def filter_sql(account_id: int, wanted: OrderFilter) -> str:
    """The page query's SQL (for EXPLAIN QUERY PLAN in the tests)."""
    query = (
        SupportOrder.select()
        .where(_where(account_id, wanted))
        .order_by(SupportOrder.created_at, SupportOrder.id, ascending=False)
        .limit(20)
    )
    return str(query)


@dataclass(frozen=True, slots=True)
class LinkedOrder:
    """An order at the other end of a refund link (SPEC.md §13), with the fen of the refund between the two."""

    id: str
    kind: OrderKind
    status: OrderStatus
    amount_fen: int
    at: datetime  # the other order's creation (for a refund order: the moment of the refund)
    by: str  # the login of the account that placed the other order


@dataclass(frozen=True, slots=True)
class HistoryFacts:
    """What the tables hold about one order's life: who placed it, the ledger rows naming it (charges and refunds,
    oldest first, with whose balance), the unsubscription that reversed it, if any, and its refund links: for a
    refund order the orders it reverses, for another order the refund orders that gave its money back."""

    placed_by: str
    payer: str | None  # the main account asked to pay (合作伙伴代付)
    entries: tuple[tuple[LedgerEntry, str], ...]  # (row, login of the balance's account)
    unsubscribed_by: str | None
    unsubscribed_at: datetime | None
    reverses: tuple[LinkedOrder, ...] = ()
    refunded_by: tuple[LinkedOrder, ...] = ()


async def _linked(links: list[tuple[str, int]]) -> tuple[LinkedOrder, ...]:
    """(order id, fen) summed per order, first-linked first, with each order's facts."""
    totals: dict[str, int] = {}
    for order_id, fen in links:
        totals[order_id] = totals.get(order_id, 0) + fen
    if not totals:
        return ()
    rows = {
        row["id"]: row
        for row in await SupportOrder.select(
            SupportOrder.id,
            SupportOrder.kind,
            SupportOrder.status,
            SupportOrder.created_at,
            SupportOrder.account.login.as_alias("login"),
        ).where(SupportOrder.id.is_in(list(totals)))
    }
    return tuple(
        LinkedOrder(
            oid,
            OrderKind(rows[oid]["kind"]),
            OrderStatus(rows[oid]["status"]),
            fen,
            rows[oid]["created_at"],
            str(rows[oid]["login"]),
        )
        for oid, fen in totals.items()
        if oid in rows
    )


async def _logins(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await AccountTable.select(AccountTable.id, AccountTable.login).where(AccountTable.id.is_in(list(ids)))
    return {int(row["id"]): str(row["login"]) for row in rows}


async def history_facts(order: Order) -> HistoryFacts:
    entries = [
        LedgerEntry.from_row(row)
        for row in await LedgerEntryTable.select()
        .where(LedgerEntryTable.order_id == order.id)
        .order_by(LedgerEntryTable.created_at, LedgerEntryTable.id)
    ]
    if order.kind in REFUND_KINDS:
        reverses = await _linked(
            [(r.reversed_order, r.amount_fen) for r in await reversals.reversed_by_refund(order.id)]
        )
        refunded_by: tuple[LinkedOrder, ...] = ()
    else:
        reverses = ()
        refunded_by = await _linked([(r.refund_order, r.amount_fen) for r in await reversals.refunds_of(order.id)])
    # The unsubscribe that reversed it: its refund order (placed by whoever unsubscribed, at that moment).
    unsubscribed = next((o for o in refunded_by if o.kind != OrderKind.DOWNGRADE), None)
    ids = {order.account, *(e.account for e in entries)}
    if order.payer:
        ids.add(order.payer)
    logins = await _logins(ids)
    return HistoryFacts(
        placed_by=logins.get(order.account, ""),
        payer=logins.get(order.payer) if order.payer else None,
        entries=tuple((e, logins.get(e.account, "")) for e in entries),
        unsubscribed_by=unsubscribed.by if unsubscribed else None,
        unsubscribed_at=unsubscribed.at if unsubscribed else None,
        reverses=reverses,
        refunded_by=refunded_by,
    )
