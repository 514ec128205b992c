"""Read-only queries for 订单管理 and the CSV exports: one account's orders filtered by kind, status and a creation
time range, a page of them (limit/offset) and their count, and the facts an order's history is told from (the
ledger rows naming it, the unsubscription that reversed it, the logins involved). Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from piccolo.columns.combination import Combinable

from models.enums import OrderKind, OrderStatus
from models.records import LedgerEntry, Order
from models.tables import Account as AccountTable
from models.tables import LedgerEntry as LedgerEntryTable
from models.tables import SupportOrder, Unsubscription


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
class HistoryFacts:
    """What the tables hold about one order's life: who placed it, the ledger rows naming it (charges and refunds,
    oldest first, with whose balance), and the unsubscription that reversed it, if any."""

    placed_by: str
    payer: str | None  # the main account asked to pay (合作伙伴代付)
    entries: tuple[tuple[LedgerEntry, str], ...]  # (row, login of the balance's account)
    unsubscribed_by: str | None
    unsubscribed_at: datetime | None


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
    unsub = None
    if order.status == OrderStatus.REFUNDED and order.closed_at is not None:
        unsub = (
            await Unsubscription.select(Unsubscription.account, Unsubscription.created_at)
            .where(Unsubscription.created_at == order.closed_at)
            .first()
        )
    ids = {order.account, *(e.account for e in entries)}
    if order.payer:
        ids.add(order.payer)
    if unsub:
        ids.add(int(unsub["account"]))
    logins = await _logins(ids)
    return HistoryFacts(
        placed_by=logins.get(order.account, ""),
        payer=logins.get(order.payer) if order.payer else None,
        entries=tuple((e, logins.get(e.account, "")) for e in entries),
        unsubscribed_by=logins.get(int(unsub["account"])) if unsub else None,
        unsubscribed_at=unsub["created_at"] if unsub else None,
    )
