"""Receipts (凭证, SPEC.md §13): the document of a paid order or of a refund order, as one typed record built from the
order and what the tables hold about it (the company, the account, who paid or whose balance got the money back,
the orders a refund reverses). The receipt page and its PDF format this record; nothing here writes.

Which orders have a receipt: every order that was paid (also one later reversed, 已退订: it was paid) and every
refund order (降级, 退订, 退订续费周期) once made. A pending or cancelled order has none (`has_receipt`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.enums import REFUND_KINDS, CouponKind, LedgerKind, OrderKind, OrderStatus
from models.records import Order
from models.rules.capitals import amount_in_capitals
from models.rules.explain import Explanation
from models.services import order_explanations, reversals
from models.services.accounts import find_account
from models.services.errors import N_, NotFound
from models.tables import Account as AccountTable
from models.tables import Coupon as CouponTable
from models.tables import LedgerEntry as LedgerEntryTable

#: Statuses with no receipt: nothing was paid or refunded.
NO_RECEIPT = frozenset({OrderStatus.PENDING, OrderStatus.CANCELLED})
NO_RECEIPT_MESSAGE = N_("该订单没有凭证：只有已支付的订单和退款订单有凭证。待支付或已取消的订单没有凭证。")


def is_refund(order: Order) -> bool:
    return order.kind in REFUND_KINDS


def has_receipt(order: Order) -> bool:
    """Paid (then perhaps reversed), or a refund made: the order has a receipt."""
    return order.status not in NO_RECEIPT and (is_refund(order) or order.paid_at is not None)


class NoReceipt(NotFound):
    """The order exists and the account may see it, but it has no receipt (pending or cancelled)."""

    def __init__(self) -> None:
        super().__init__(NO_RECEIPT_MESSAGE)


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    """What was bought (or, for a refund, given back): kind, level and term or pack count, and the amounts."""

    kind: OrderKind
    level: str  # a Level, or "" for a pack
    months: int
    pack_count: int
    list_fen: int
    discount_fen: int
    coupon_kind: CouponKind | None  # the coupon the discount came from, if any
    amount_fen: int


@dataclass(frozen=True, slots=True)
class ReversedOrder:
    """An order whose charges a refund gives back, and how much of the refund is its."""

    order_id: str
    kind: OrderKind
    amount_fen: int


@dataclass(frozen=True, slots=True)
class Receipt:
    order_id: str
    kind: OrderKind
    status: OrderStatus
    refund: bool  # a refund order: the amount is 退款金额
    company: str
    account_login: str  # the account that placed the order
    payer_logins: tuple[str, ...]  # who paid; for a refund, whose balances the money went back to
    method: str  # a PaymentMethod ("" for a refund: back to the balance)
    lines: tuple[ReceiptLine, ...]
    amount_fen: int  # paid, or refunded (without its sign)
    capitals: str  # amount_fen in Chinese capitals (人民币大写)
    created_at: datetime
    settled_at: datetime  # paid, or refunded
    reverses: tuple[ReversedOrder, ...]  # a refund's reversed orders (empty for a payment)
    refunded_to: tuple[tuple[str, int], ...]  # a refund: (login, fen) per balance credited
    reason: str  # a 退订 refund's reason (a key of unsubscribe.REASONS), "" otherwise
    explanation: Explanation | None = None  # 怎么算的 of the list amount (a refund: of the refund), as kept

    @property
    def filename(self) -> str:
        return f"{self.order_id}-receipt.pdf"


async def _logins(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await AccountTable.select(AccountTable.id, AccountTable.login).where(AccountTable.id.is_in(sorted(ids)))
    return {int(row["id"]): str(row["login"]) for row in rows}


async def _ledger(order_id: str, kind: LedgerKind) -> list[tuple[int, int]]:
    """(account, fen) of the ledger rows of this KIND naming the order, oldest first."""
    rows = (
        await LedgerEntryTable.select(LedgerEntryTable.account, LedgerEntryTable.amount_fen)
        .where((LedgerEntryTable.order_id == order_id) & (LedgerEntryTable.kind == kind))
        .order_by(LedgerEntryTable.id)
    )
    return [(int(row["account"]), int(row["amount_fen"])) for row in rows]


async def _reversed(order: Order) -> tuple[ReversedOrder, ...]:
    """The orders a refund order gives money back for (its OrderReversal links, one per period), each with the fen
    of the refund that is theirs, in the order they were linked."""
    amounts: dict[str, int] = {}
    kinds: dict[str, OrderKind] = {}
    for link in await reversals.reversed_by_refund(order.id):
        amounts[link.reversed_order] = amounts.get(link.reversed_order, 0) + link.amount_fen
        kinds[link.reversed_order] = link.other_kind
    return tuple(ReversedOrder(oid, kinds[oid], fen) for oid, fen in amounts.items())


async def _coupon_kind(coupon_id: int | None) -> CouponKind | None:
    if coupon_id is None:
        return None
    row = await CouponTable.select(CouponTable.kind).where(CouponTable.id == coupon_id).first()
    return CouponKind(row["kind"]) if row else None


async def build(order: Order) -> Receipt:
    """The receipt of ORDER (which must have one: NoReceipt otherwise)."""
    if not has_receipt(order):
        raise NoReceipt()
    refund = is_refund(order)
    placer = await find_account(order.account)
    company = (placer.partner_company or placer.company_name) if placer else ""
    if refund:
        credits = await _ledger(order.id, LedgerKind.REFUND)
        logins = await _logins({account for account, _fen in credits} | {order.account})
        by_account: dict[int, int] = {}
        for account, fen in credits:
            by_account[account] = by_account.get(account, 0) + fen
        refunded_to = tuple((logins[a], fen) for a, fen in by_account.items() if a in logins)
        payers = tuple(login for login, _fen in refunded_to) or (logins.get(order.account, ""),)
        reverses = await _reversed(order)
        settled = order.closed_at or order.paid_at or order.created_at
    else:
        charges = await _ledger(order.id, LedgerKind.CHARGE)
        # from a balance: whose balance was charged; otherwise (online, contract) the 代付 payer or the placer
        payer_ids = [account for account, _fen in charges] or [order.payer or order.account]
        logins = await _logins({*payer_ids, order.account})
        payers = tuple(dict.fromkeys(logins.get(a, "") for a in payer_ids))
        refunded_to, reverses = (), ()
        settled = order.paid_at or order.created_at
    line = ReceiptLine(
        kind=order.kind,
        level=order.level,
        months=order.months,
        pack_count=order.pack_count,
        list_fen=order.list_fen,
        discount_fen=order.discount_fen,
        coupon_kind=await _coupon_kind(order.coupon),
        amount_fen=order.due_fen,
    )
    return Receipt(
        order_id=order.id,
        kind=order.kind,
        status=order.status,
        refund=refund,
        company=company,
        account_login=logins.get(order.account, placer.login if placer else ""),
        payer_logins=payers,
        method="" if refund else order.method,
        lines=(line,),
        amount_fen=order.due_fen,
        capitals=amount_in_capitals(order.due_fen),
        created_at=order.created_at,
        settled_at=settled,
        reverses=reverses,
        refunded_to=refunded_to,
        reason=order.refund_reason if refund else "",
        explanation=await order_explanations.of(order.id),
    )
