"""What each kind of order checks before it is paid and does when it is paid: one explicit table.
Importing this module alone is enough to pay any order (no registration by import side effect)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from models.enums import OrderKind
from models.records import Order
from models.services import changes, orders, packs, purchase, renewal
from models.services.errors import N_, Conflict


@dataclass(frozen=True)
class KindRules:
    precheck: Callable[[Order, datetime], Awaitable[None]]  # raises DomainError if it may no longer be paid
    fulfil: Callable[[Order, datetime], Awaitable[None]]  # what paying does, inside the payment's transaction


async def _never_paid(order: Order, now: datetime) -> None:
    """A refund order (退订, 退订续费周期) is created 已退款: there is nothing to pay."""
    raise Conflict(N_("退款订单无需支付。"))


KINDS: dict[OrderKind, KindRules] = {
    OrderKind.PURCHASE: KindRules(precheck=purchase.precheck, fulfil=purchase.fulfil),
    OrderKind.UPGRADE: KindRules(precheck=changes.upgrade_precheck, fulfil=changes.upgrade_fulfil),
    OrderKind.DOWNGRADE: KindRules(precheck=changes.downgrade_precheck, fulfil=changes.downgrade_fulfil),
    OrderKind.RENEWAL: KindRules(precheck=renewal.precheck, fulfil=renewal.fulfil),
    OrderKind.PACK: KindRules(precheck=packs.precheck, fulfil=packs.fulfil),
    OrderKind.UNSUBSCRIBE: KindRules(precheck=_never_paid, fulfil=_never_paid),
    OrderKind.UNSUBSCRIBE_RENEWALS: KindRules(precheck=_never_paid, fulfil=_never_paid),
}


async def precheck(order: Order, now: datetime) -> None:
    """Still payable: pending, and its kind's own conditions hold now."""
    orders.require_pending(order)
    await KINDS[order.kind].precheck(order, now)


async def fulfil(order: Order, now: datetime) -> None:
    await KINDS[order.kind].fulfil(order, now)
