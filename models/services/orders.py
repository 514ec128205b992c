"""Orders (SPEC.md §7): a small state machine shared by every kind of purchase.

pending → paid → refunded, or pending → cancelled. Each kind (purchase, upgrade, renewal, pack) registers
how it is re-checked before payment and what paying it does (`OrderKind`)."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.db import write_transaction
from models.rules.periods import to_beijing
from models.services.errors import N_, Conflict, DomainError, NotFound
from models.tables import SupportOrder

PENDING, PAID, CANCELLED, REFUNDED = "pending", "paid", "cancelled", "refunded"
METHODS = ("balance", "online", "partner", "contract")


@dataclass(frozen=True)
class OrderKind:
    precheck: Callable[[dict, datetime], Awaitable[None]]  # raise DomainError if it may no longer be paid
    fulfil: Callable[[dict, datetime], Awaitable[None]]  # what paying does, inside the payment's transaction
    describe: str  # message id for the order list


KINDS: dict[str, OrderKind] = {}


def register_kind(name: str, kind: OrderKind) -> None:
    KINDS[name] = kind


def new_order_id(now: datetime) -> str:
    """CS + yymmddHHMM (Beijing) + 5 random digits, like the guide's CS19121…"""
    return "CS" + to_beijing(now).strftime("%y%m%d%H%M") + f"{secrets.randbelow(100000):05d}"


async def create_order(
    *,
    account: dict,
    kind: str,
    now: datetime,
    list_fen: int,
    level: str = "",
    months: int = 0,
    pack_count: int = 0,
    request_key: str | None = None,
    renews_period_id: int | None = None,
    quoted_at: datetime | None = None,
    auto: bool = False,
) -> tuple[str, bool]:
    """Inserts a pending order; returns (order id, created). A form sent twice (same request_key) returns the
    first order instead of a second one. Called inside the caller's transaction."""
    if request_key:
        existing = (
            await SupportOrder.select(SupportOrder.id)
            .where((SupportOrder.request_key == request_key) & (SupportOrder.account == account["id"]))
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
            account=account["id"],
            partner=account["partner"],
            kind=kind,
            level=level,
            months=months,
            pack_count=pack_count,
            list_fen=list_fen,
            discount_fen=0,
            due_fen=list_fen,
            status=PENDING,
            request_key=request_key,
            renews_period_id=renews_period_id,
            quoted_at=quoted_at,
            auto=auto,
            created_at=now,
        )
    )
    return order_id, True


async def get(order_id: str) -> dict:
    order = await SupportOrder.select().where(SupportOrder.id == order_id).first()
    if order is None:
        raise NotFound(N_("订单不存在。"))
    return order


async def get_for(account: dict, order_id: str) -> dict:
    """An order belongs to the account that placed it, and to the main account asked to pay it:
    anyone else gets "not found", not "forbidden", so ids cannot be probed."""
    order = await SupportOrder.select().where(SupportOrder.id == order_id).first()
    if order is None or not (order["account"] == account["id"] or order["payer"] == account["id"]):
        raise NotFound(N_("订单不存在。"))
    return order


async def list_for(account: dict, limit: int = 100) -> list[dict]:
    return (
        await SupportOrder.select()
        .where(SupportOrder.account == account["id"])
        .order_by(SupportOrder.created_at, ascending=False)
        .limit(limit)
    )


async def awaiting_partner_payment(account: dict) -> list[dict]:
    """待代付订单: orders of the company's members waiting for this main account to pay them."""
    return (
        await SupportOrder.select()
        .where(
            (SupportOrder.payer == account["id"])
            & (SupportOrder.method == "partner")
            & (SupportOrder.status == PENDING)
        )
        .order_by(SupportOrder.created_at)
    )


async def refund_account(order_id: str) -> int:
    """Whose balance a refund of this order goes to: the main account that paid it for a member
    (合作伙伴代付), otherwise the account that placed it."""
    order = (
        await SupportOrder.select(SupportOrder.account, SupportOrder.payer).where(SupportOrder.id == order_id).first()
    )
    return order["payer"] or order["account"]


def require_pending(order: dict) -> None:
    if order["status"] != PENDING:
        raise Conflict(N_("该订单已不是待支付状态。"))


async def precheck(order: dict, now: datetime) -> None:
    require_pending(order)
    await KINDS[order["kind"]].precheck(order, now)


async def cancel(account: dict, order_id: str, now: datetime) -> dict:
    async with write_transaction():
        order = await get_for(account, order_id)
        if order["account"] != account["id"]:
            raise NotFound(N_("订单不存在。"))
        if order["status"] == CANCELLED:
            return order
        require_pending(order)
        await SupportOrder.update({SupportOrder.status: CANCELLED, SupportOrder.closed_at: now}).where(
            (SupportOrder.id == order_id) & (SupportOrder.status == PENDING)
        )
    return await get(order_id)


async def lapse(now: datetime, days: int = 7) -> int:
    """Cancels orders left unpaid for `days` days; returns how many."""
    async with write_transaction():
        lapsed = (
            await SupportOrder.update({SupportOrder.status: CANCELLED, SupportOrder.closed_at: now})
            .where((SupportOrder.status == PENDING) & (SupportOrder.created_at < now - timedelta(days=days)))
            .returning(SupportOrder.id)
        )
    return len(lapsed)


def check_method(method: str) -> str:
    if method not in METHODS:
        raise DomainError(N_("请选择支付方式。"), field="method")
    return method
