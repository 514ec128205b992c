"""Orders (SPEC.md §7): records, and the one state machine every status change goes through.

pending → paid → refunded (已退订, reversed by a refund order), or pending → cancelled (by the person, or lapsed
after 7 days unpaid). A refund order (降级, 退订, 退订续费周期: REFUND_KINDS) is never paid: it is created in its
final status, refund_done (已退款), and never changes (`initial_status`). What each kind of order checks before
payment and does when paid is in models.services.order_kinds."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from piccolo.columns.combination import Combinable

from models.db import write_transaction
from models.enums import REFUND_KINDS, OrderKind, OrderStatus, PaymentMethod
from models.prepared import Param, Prepared
from models.records import Account, Order
from models.rules.periods import to_beijing
from models.services.errors import N_, Conflict, DomainError, NotFound
from models.tables import PartnerPayRequest, SupportOrder

PENDING, PAID, CANCELLED, REFUNDED, REFUND_DONE = OrderStatus

#: The order state machine: the only status changes there are.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.REFUNDED}),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
    OrderStatus.REFUND_DONE: frozenset(),  # a refund order: created in it, never leaves it
}
#: The moment each status change stamps.
_STAMPS = {
    OrderStatus.PAID: SupportOrder.paid_at,
    OrderStatus.CANCELLED: SupportOrder.closed_at,
    OrderStatus.REFUNDED: SupportOrder.closed_at,
}
NOT_PENDING = N_("该订单已不是待支付状态。")


class InvalidTransition(ValueError):
    """A status change the state machine does not have: a programming error, never a person's."""


def check_transition(from_: OrderStatus, to: OrderStatus) -> None:
    if to not in TRANSITIONS[from_]:
        raise InvalidTransition(f"an order cannot go from {from_} to {to}")


def is_refund_kind(kind: str) -> bool:
    return kind in REFUND_KINDS


def initial_status(kind: str) -> OrderStatus:
    """The one status an order of KIND is created in: pending (it is then paid or cancelled), or for a refund order
    its final status 已退款 (the money went back in the transaction that made it)."""
    return OrderStatus.REFUND_DONE if is_refund_kind(kind) else OrderStatus.PENDING


def check_creation(kind: str, status: OrderStatus) -> None:
    if status != initial_status(kind):
        raise InvalidTransition(f"an order of kind {kind} cannot be created {status}")


async def transition_where(
    where: Combinable, from_: OrderStatus, to: OrderStatus, now: datetime, changes: Mapping[Any, Any] | None = None
) -> list[str]:
    """Moves every order matching `where` that is still in `from_` to `to`, in one conditional UPDATE
    (`… WHERE status = from_`), so a concurrent change wins once; returns the ids that moved."""
    check_transition(from_, to)
    values = {SupportOrder.status: to, _STAMPS[to]: now, **(changes or {})}
    moved = await SupportOrder.update(values).where(where & (SupportOrder.status == from_)).returning(SupportOrder.id)
    return [row["id"] for row in moved]


async def transition(order: Order, to: OrderStatus, now: datetime, changes: Mapping[Any, Any] | None = None) -> bool:
    """Moves one order from the status it was read with to `to`; False when another change came first."""
    return bool(await transition_where(SupportOrder.id == order.id, order.status, to, now, changes))


def new_order_id(now: datetime) -> str:
    """CS + yymmddHHMM (Beijing) + 5 random digits, like the guide's CS19121…"""
    return "CS" + to_beijing(now).strftime("%y%m%d%H%M") + f"{secrets.randbelow(100000):05d}"


async def create_order(
    *,
    account: Account,
    kind: OrderKind,
    now: datetime,
    list_fen: int,
    level: str = "",
    months: int = 0,
    pack_count: int = 0,
    request_key: str | None = None,
    renews_period_id: int | None = None,
    quoted_at: datetime | None = None,
    auto: bool = False,
    method: str = "",
    status: OrderStatus = OrderStatus.PENDING,
    refund_reason: str = "",
    refund_comment: str = "",
) -> tuple[str, bool]:
    """Inserts an order in STATUS, which must be its kind's `initial_status` (pending; a refund order 已退款, closed
    at NOW); returns (order id, created). A form sent twice (same request_key) returns the first order instead of a
    second one. Called inside the caller's transaction."""
    check_creation(kind, status)
    if request_key:
        existing = (
            await SupportOrder.select(SupportOrder.id)
            .where((SupportOrder.request_key == request_key) & (SupportOrder.account == account.id))
            .first()
        )
        if existing:
            return existing["id"], False
    order_id = new_order_id(now)
    while await SupportOrder.exists().where(SupportOrder.id == order_id):
        order_id = new_order_id(now)
    await SupportOrder.insert(
        SupportOrder(
            id=order_id,
            account=account.id,
            partner=account.partner,
            kind=kind,
            level=level,
            months=months,
            pack_count=pack_count,
            list_fen=list_fen,
            discount_fen=0,
            due_fen=list_fen,
            status=status,
            request_key=request_key,
            renews_period_id=renews_period_id,
            quoted_at=quoted_at,
            auto=auto,
            method=method,
            created_at=now,
            closed_at=now if status == REFUND_DONE else None,
            refund_reason=refund_reason,
            refund_comment=refund_comment,
        )
    )
    return order_id, True


#: Read several times by every payment, refund and order page: prepared (models.prepared).
_ORDER_BY_ID = Prepared(lambda: SupportOrder.select().where(SupportOrder.id == Param("id")).limit(1))


async def find(order_id: str) -> Order | None:
    row = await _ORDER_BY_ID.first(id=order_id)
    return Order.from_row(row) if row else None


async def get(order_id: str) -> Order:
    order = await find(order_id)
    if order is None:
        raise NotFound(N_("订单不存在。"))
    return order


async def get_for(account: Account, order_id: str) -> Order:
    """An order belongs to the account that placed it, and to the main account asked to pay it:
    anyone else gets "not found", not "forbidden", so ids cannot be probed."""
    order = await find(order_id)
    if order is None or not (order.belongs_to(account) or await _was_asked(account, order_id)):
        raise NotFound(N_("订单不存在。"))
    return order


async def _was_asked(account: Account, order_id: str) -> bool:
    """A main account still sees an order whose 代付 request it rejected (or that was withdrawn): its pages say so."""
    return account.is_main and bool(
        await PartnerPayRequest.exists().where(
            (PartnerPayRequest.order_id == order_id) & (PartnerPayRequest.payer == account.id)
        )
    )


async def get_own(account: Account, order_id: str) -> Order:
    """An order the account placed itself (to pay with its own choices, or to cancel)."""
    order = await get_for(account, order_id)
    if order.account != account.id:
        raise NotFound(N_("订单不存在。"))
    return order


async def by_request_key(account: Account, request_key: str | None) -> Order | None:
    """The order a form with this one-time key already made for this account, if any."""
    if not request_key:
        return None
    row = (
        await SupportOrder.select()
        .where((SupportOrder.request_key == request_key) & (SupportOrder.account == account.id))
        .first()
    )
    return Order.from_row(row) if row else None


async def list_for(account: Account, limit: int = 100) -> list[Order]:
    rows = (
        await SupportOrder.select()
        .where(SupportOrder.account == account.id)
        .order_by(SupportOrder.created_at, ascending=False)
        .limit(limit)
    )
    return [Order.from_row(row) for row in rows]


async def awaiting_partner_payment(account: Account) -> list[Order]:
    """待代付订单: orders of the company's members waiting for this main account to pay them."""
    rows = (
        await SupportOrder.select()
        .where(
            (SupportOrder.payer == account.id)
            & (SupportOrder.method == PaymentMethod.PARTNER)
            & (SupportOrder.status == PENDING)
        )
        .order_by(SupportOrder.created_at)
    )
    return [Order.from_row(row) for row in rows]


async def pending_of_kind(partner_id: int, kinds: tuple[OrderKind, ...]) -> Order | None:
    """The company's oldest pending order of these kinds."""
    row = (
        await SupportOrder.select()
        .where(
            (SupportOrder.partner == partner_id)
            & SupportOrder.kind.is_in(list(kinds))
            & (SupportOrder.status == PENDING)
        )
        .order_by(SupportOrder.created_at)
        .first()
    )
    return Order.from_row(row) if row else None


async def refund_account(order_id: str) -> int:
    """Whose balance a refund of this order goes to (Order.refund_to)."""
    return (await get(order_id)).refund_to


def require_pending(order: Order) -> None:
    if order.status != PENDING:
        raise Conflict(NOT_PENDING)


async def cancel(account: Account, order_id: str, now: datetime) -> Order:
    async with write_transaction():
        order = await get_own(account, order_id)
        if order.status == CANCELLED:
            return order
        require_pending(order)
        await transition(order, CANCELLED, now)
    return await get(order_id)


async def lapse(now: datetime, days: int = 7) -> int:
    """Cancels orders left unpaid for `days` days; returns how many."""
    async with write_transaction():
        lapsed = await transition_where(SupportOrder.created_at < now - timedelta(days=days), PENDING, CANCELLED, now)
    return len(lapsed)


def check_method(method: str) -> PaymentMethod:
    try:
        return PaymentMethod(method)
    except ValueError:
        raise DomainError(N_("请选择支付方式。"), field="method") from None
