"""Typed records: what services take and return instead of rows. Each is built from a row in one place
(`from_row`), so a column is named once outside models.tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any, Self, get_type_hints

from models.enums import (
    AuditAction,
    CaptureOutcome,
    Channel,
    CouponKind,
    LedgerKind,
    Level,
    NotificationKind,
    OrderKind,
    OrderStatus,
    PartnerRequestState,
    PeriodStatus,
    Severity,
    TicketStatus,
    TicketType,
)


class _FromRow:
    __slots__ = ()

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Self:
        """The record of a row (extra keys ignored); value-set columns become their enum."""
        return cls(**{name: convert(row[name]) for name, convert in _converters(cls)})

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))  # type: ignore[arg-type]


_CONVERTERS: dict[type, tuple[tuple[str, Callable[[Any], Any]], ...]] = {}


def _converters(cls: type) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    """Per record class, once: each field with the enum its value becomes (or as it is)."""
    if cls in _CONVERTERS:
        return _CONVERTERS[cls]
    hints = get_type_hints(cls)

    def keep(value: Any) -> Any:
        return value

    _CONVERTERS[cls] = tuple(
        (f.name, hints[f.name] if isinstance(hints[f.name], type) and issubclass(hints[f.name], StrEnum) else keep)
        for f in fields(cls)
    )
    return _CONVERTERS[cls]


@dataclass(frozen=True, slots=True)
class Account(_FromRow):
    """A signed-in person's account with its company (partner) facts; never the password hash."""

    id: int
    login: str
    partner: int
    is_main: bool
    company_name: str
    phone: str
    email: str
    balance_fen: int
    created_at: datetime
    partner_company: str
    partner_certified: bool


@dataclass(frozen=True, slots=True)
class Order(_FromRow):
    id: str
    account: int
    partner: int
    kind: OrderKind
    level: str  # a Level, or "" for a pack
    months: int
    pack_count: int
    list_fen: int
    discount_fen: int
    due_fen: int
    coupon: int | None
    status: OrderStatus
    method: str  # a PaymentMethod, or "" before one is chosen
    payer: int | None
    quoted_at: datetime | None
    renews_period_id: int | None
    request_key: str | None
    payment_ref: str | None
    auto: bool
    created_at: datetime
    paid_at: datetime | None
    closed_at: datetime | None
    refund_reason: str
    refund_comment: str

    @property
    def is_pending(self) -> bool:
        return self.status == OrderStatus.PENDING

    @property
    def refund_to(self) -> int:
        """Whose balance a refund of this order goes to: the main account that paid it for a member
        (合作伙伴代付), otherwise the account that placed it."""
        return self.payer or self.account

    def belongs_to(self, account: Account) -> bool:
        """Placed by the account, or awaiting/paid by it as the company's main account (代付)."""
        return self.account == account.id or self.payer == account.id


@dataclass(frozen=True, slots=True)
class Plan(_FromRow):
    id: int
    partner: int
    auto_renew: bool
    auto_renew_months: int
    auto_renew_payer: int | None  # the account whose balance auto-renew charges (SPEC.md §12)
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Period(_FromRow):
    id: int
    plan: int
    order: str
    level: Level
    months: int
    is_renewal: bool
    start: datetime
    end: datetime
    paid_at: datetime
    status: PeriodStatus


@dataclass(frozen=True, slots=True)
class Charge(_FromRow):
    id: int
    period: int
    order_id: str
    amount_fen: int
    span_start: datetime
    span_end: datetime


@dataclass(frozen=True, slots=True)
class Quote(_FromRow):
    id: int
    account: int
    kind: str
    level: str
    months: int
    amount_fen: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LedgerEntry(_FromRow):
    id: int
    account: int
    kind: LedgerKind
    amount_fen: int
    balance_after_fen: int
    order_id: str | None
    note: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Coupon(_FromRow):
    id: int
    account: int
    kind: CouponKind
    amount_fen: int | None
    min_amount_fen: int | None
    rate_permille: int | None
    expires_at: datetime | None
    used_order_id: str | None
    created_at: datetime
    revoked_at: datetime | None  # 作废 by an operator
    request_key: str | None  # the grant form's one-time key


@dataclass(frozen=True, slots=True)
class Message(_FromRow):
    """A notification in the outbox."""

    id: int
    account: int
    channel: Channel
    subject: str
    body: str
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class Ticket(_FromRow):
    id: int
    account: int
    partner: int
    kind: TicketType
    severity: Severity
    title: str
    description: str
    created_at: datetime
    status: TicketStatus


@dataclass(frozen=True, slots=True)
class Unsubscription(_FromRow):
    """A done unsubscribe with its stored amounts, and the login of the account that did it."""

    id: int
    account: int
    plan: int
    five_day: bool
    reason: str
    comment: str
    paid_fen: int
    consumed_fen: int
    fee_fen: int
    refund_fen: int
    created_at: datetime
    order_id: str | None  # the refund order it made (None: made before refund orders and not migrated)
    renewals_only: bool  # only the renewals not started were unsubscribed (退订续费周期)
    login: str


@dataclass(frozen=True, slots=True)
class GatewayTransaction(_FromRow):
    """One transaction the payment gateway reported, and what became of it (SPEC.md §11)."""

    id: int
    provider: str
    transaction_id: str
    order_id: str
    amount_fen: int
    outcome: CaptureOutcome
    credited_to: int | None
    note: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class PartnerRequest(_FromRow):
    """A member's 合作伙伴代付 request with the order's facts the main account decides on (SPEC.md §13), and the
    logins of the requester and of whoever decided it."""

    id: int
    order_id: str
    requester: int
    payer: int
    state: PartnerRequestState
    reason: str
    decided_by: int | None
    requested_at: datetime
    decided_at: datetime | None
    requester_login: str
    payer_login: str
    decider_login: str | None
    kind: OrderKind
    level: str
    months: int
    pack_count: int
    due_fen: int
    order_status: OrderStatus

    @property
    def is_open(self) -> bool:
        return self.state == PartnerRequestState.REQUESTED


@dataclass(frozen=True, slots=True)
class Operator(_FromRow):
    """A signed-in operator (运营控制台); never the password hash."""

    id: int
    login: str


@dataclass(frozen=True, slots=True)
class AuditEntry(_FromRow):
    """One line of 操作日志: who, when, what, on which account or order, and why."""

    id: int
    operator: int
    operator_login: str
    action: AuditAction
    account: int | None
    account_login: str | None
    order_id: str | None
    reason: str
    detail: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Reversal(_FromRow):
    """A refund order's link to an order it reverses (SPEC.md §13): how much of the refund gives back that order's
    charges on one period, with the other order's kind and status for the order page."""

    refund_order: str
    reversed_order: str
    period: int
    amount_fen: int
    other_kind: OrderKind
    other_status: OrderStatus


@dataclass(frozen=True, slots=True)
class OutboxEntry(_FromRow):
    """A notification as the operator console's 通知 screen lists it: with its addressee and e-mail delivery."""

    id: int
    account: int
    account_login: str
    channel: Channel
    subject: str
    created_at: datetime
    sent_at: datetime | None
    last_error: str
    attempts: int


@dataclass(frozen=True, slots=True)
class CatalogVersion(_FromRow):
    """A version of the price catalog (价格目录): its prices, in force from `effective_at` until the next one's."""

    id: int
    standard_monthly_fen: int
    premium_monthly_fen: int
    pack_price_fen: int
    yearly_discount_bp: int  # basis points: 500 = 5 % off year terms
    effective_at: datetime
    created_at: datetime
    created_by: int | None
    request_key: str | None


@dataclass(frozen=True, slots=True)
class InboxMessage(_FromRow):
    """A message of 消息中心 (an inbox row of the outbox)."""

    id: int
    kind: NotificationKind
    subject: str
    body: str
    created_at: datetime
    read_at: datetime | None
    order_id: str | None
