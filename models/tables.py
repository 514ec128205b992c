"""Piccolo tables. Money is integer fen; times are timezone-aware (stored in UTC).
Foreign keys restrict deletion: money records (orders, ledger, charges) are never removed in cascade."""

from __future__ import annotations

from piccolo.columns import (
    BigInt,
    Boolean,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

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
    RenewalOutcome,
    Severity,
    TicketStatus,
    TicketType,
)


class Partner(Table):
    """A partner company: the group of a main account and its members. Holds at most one plan."""

    id = Serial(primary_key=True)
    company_name = Varchar(length=200)
    certified = Boolean(default=False)
    created_at = Timestamptz()


class Account(Table):
    id = Serial(primary_key=True)
    login = Varchar(length=64, unique=True)
    password_hash = Text()
    partner = ForeignKey(references=Partner, on_delete=OnDelete.restrict, null=False)
    is_main = Boolean(default=False)
    company_name = Varchar(length=200)
    phone = Varchar(length=32, default="")
    email = Varchar(length=200, default="")
    balance_fen = BigInt(default=0)
    created_at = Timestamptz()


class LoginAttempt(Table):
    """Failed sign-ins in a row per login name (known or not), for the rate limit."""

    id = Serial(primary_key=True)
    login = Varchar(length=64, unique=True)
    failures = Integer(default=0)
    last_failed_at = Timestamptz(null=True, default=None)


class LedgerEntry(Table):
    """Append-only: every change of a balance, with the balance after it."""

    id = Serial(primary_key=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=False)
    kind = Varchar(length=16, choices=LedgerKind)
    amount_fen = BigInt()  # signed: + credit, - debit
    balance_after_fen = BigInt()
    order_id: ForeignKey[SupportOrder] = ForeignKey(
        references=LazyTableReference("SupportOrder", module_path=__name__),
        on_delete=OnDelete.restrict,
        null=True,
        default=None,
    )
    note = Varchar(length=200, default="")
    created_at = Timestamptz()


class Coupon(Table):
    id = Serial(primary_key=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=False)
    kind = Varchar(length=16, choices=CouponKind)
    amount_fen = BigInt(null=True, default=None)
    min_amount_fen = BigInt(null=True, default=None)
    rate_permille = Integer(null=True, default=None)  # 900 = 0.9
    expires_at = Timestamptz(null=True, default=None)
    # Not a foreign key: orders point at their coupon, and a cycle of foreign keys cannot be created in order.
    used_order_id = Varchar(length=32, null=True, default=None)
    created_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)  # 作废 by an operator: never offered nor accepted again
    # The grant form's one-time key: a form sent twice grants one coupon.
    request_key = Varchar(length=64, null=True, default=None, unique=True)


class SupportOrder(Table):
    """An order: purchase, upgrade, downgrade, renewal or pack (SPEC.md §7)."""

    id = Varchar(length=32, primary_key=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=False)  # who placed it
    partner = ForeignKey(references=Partner, on_delete=OnDelete.restrict, null=False)
    kind = Varchar(length=16, choices=OrderKind)
    level = Varchar(length=16, default="")  # a Level; "" for a pack
    months = Integer(default=0)
    pack_count = Integer(default=0)
    list_fen = BigInt(default=0)
    discount_fen = BigInt(default=0)
    due_fen = BigInt(default=0)
    coupon = ForeignKey(references=Coupon, on_delete=OnDelete.restrict, null=True, default=None)
    status = Varchar(length=16, default=OrderStatus.PENDING, choices=OrderStatus)
    method = Varchar(length=16, default="")  # a PaymentMethod; "" until one is chosen
    payer = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=True, default=None)
    quoted_at = Timestamptz(null=True, default=None)
    # Not a foreign key: periods point at their order, and a cycle of foreign keys cannot be created in order.
    renews_period_id = Integer(null=True, default=None)
    # The form's one-time key: a resubmitted form finds its order instead of making a second one.
    request_key = Varchar(length=64, null=True, default=None, unique=True)
    payment_ref = Varchar(length=64, null=True, default=None)  # the gateway's transaction id
    auto = Boolean(default=False)
    created_at = Timestamptz()
    paid_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    refund_reason = Varchar(length=64, default="")
    refund_comment = Text(default="")
    # The price catalog version (CatalogVersion.id) the order was priced with; null only for orders made before
    # versions existed and not backfilled (the migration sets them to 1).
    catalog_version = Integer(null=True, default=None)


class Plan(Table):
    """A partner's plan: the chain of its periods, plus the auto-renew setting."""

    id = Serial(primary_key=True)
    partner = ForeignKey(references=Partner, on_delete=OnDelete.restrict, unique=True, null=False)
    auto_renew = Boolean(default=False)
    auto_renew_months = Integer(default=0)
    # Whose balance the auto-renew job charges: the account that switched it on (SPEC.md §12).
    auto_renew_payer = ForeignKey(references=Account, null=True, default=None, on_delete=OnDelete.restrict)
    created_at = Timestamptz()


class Period(Table):
    id = Serial(primary_key=True)
    plan = ForeignKey(references=Plan, on_delete=OnDelete.restrict, null=False)
    order = ForeignKey(
        references=SupportOrder, on_delete=OnDelete.restrict, null=False
    )  # the purchase or renewal that made it
    level = Varchar(length=16, choices=Level)
    months = Integer()
    is_renewal = Boolean(default=False)
    start = Timestamptz()
    end = Timestamptz()
    paid_at = Timestamptz()
    status = Varchar(length=16, default=PeriodStatus.ACTIVE, choices=PeriodStatus)


class Charge(Table):
    """Cash paid (or refunded, negative) for a period, with the span of time it pays for (SPEC.md §4)."""

    id = Serial(primary_key=True)
    period = ForeignKey(references=Period, on_delete=OnDelete.restrict, null=False)
    order_id = ForeignKey(references=SupportOrder, on_delete=OnDelete.restrict, null=False)
    amount_fen = BigInt()
    span_start = Timestamptz()
    span_end = Timestamptz()


class Quote(Table):
    """A previewed amount with its time, reused at confirmation within 15 minutes."""

    id = Serial(primary_key=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=False)
    kind = Varchar(length=16, choices=OrderKind)
    level = Varchar(length=16, default="")  # a Level; "" for a pack
    months = Integer(default=0)
    amount_fen = BigInt()
    created_at = Timestamptz()
    catalog_version = Integer(null=True, default=None)  # the CatalogVersion.id the amount was priced with


class VerificationCode(Table):
    id = Serial(primary_key=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=False)
    order_id = ForeignKey(references=SupportOrder, on_delete=OnDelete.restrict, null=False)
    channel = Varchar(length=8, choices=Channel)
    code_hash = Varchar(length=128)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    attempts = Integer(default=0)
    used = Boolean(default=False)
    void = Boolean(default=False)


class Unsubscription(Table):
    id = Serial(primary_key=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=False)
    plan = ForeignKey(references=Plan, on_delete=OnDelete.restrict, null=False)
    five_day = Boolean(default=False)
    reason = Varchar(length=64)
    comment = Text(default="")
    paid_fen = BigInt()
    consumed_fen = BigInt()
    fee_fen = BigInt()
    refund_fen = BigInt()
    created_at = Timestamptz()
    # The refund order it made (SPEC.md §13); and whether only the renewals not started were unsubscribed.
    order_id = ForeignKey(references=SupportOrder, on_delete=OnDelete.restrict, null=True, default=None)
    renewals_only = Boolean(default=False)


class OrderReversal(Table):
    """A refund order's link to an order whose money it gives back (SPEC.md §13): per period, the fen of the
    refund order's amount that reverse REVERSED_ORDER's charges on that period (they sum to the refund's amount)."""

    id = Serial(primary_key=True)
    refund_order = ForeignKey(references=SupportOrder, on_delete=OnDelete.restrict, null=False)
    reversed_order = ForeignKey(references=SupportOrder, on_delete=OnDelete.restrict, null=False)
    period = ForeignKey(references=Period, on_delete=OnDelete.restrict, null=False)
    amount_fen = BigInt()


class UpgradeShare(Table):
    """An upgrade order's amount split over the periods it re-prices, fixed when the order is created (SPEC.md §13:
    an order's amount never changes): paying it later adds exactly these charges."""

    id = Serial(primary_key=True)
    order_id = ForeignKey(references=SupportOrder, on_delete=OnDelete.restrict, null=False)
    period = ForeignKey(references=Period, on_delete=OnDelete.restrict, null=False)
    amount_fen = BigInt()


class OrderExplanation(Table):
    """怎么算的 of an order's amount (SPEC.md §14), kept as the order was made: the lines its preview showed, so the
    confirmation, the order page and the receipt show the same ones (models.rules.explain.to_json)."""

    order_id = Varchar(length=32, primary_key=True)
    body = Text()


class Ticket(Table):
    id = Serial(primary_key=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=False)
    partner = ForeignKey(references=Partner, on_delete=OnDelete.restrict, null=False)
    kind = Varchar(length=16, choices=TicketType)
    severity = Varchar(length=16, choices=Severity)
    title = Varchar(length=200)
    description = Text()
    created_at = Timestamptz()
    status = Varchar(length=16, default=TicketStatus.OPEN, choices=TicketStatus)  # 待受理 / 处理中 / 已解决


class RenewalAttempt(Table):
    """One auto-renew attempt per period per Beijing day: the unique key makes concurrent jobs renew once."""

    id = Serial(primary_key=True)
    period = ForeignKey(references=Period, on_delete=OnDelete.restrict, null=False)
    attempted_on = Varchar(length=10)  # YYYY-MM-DD, Beijing
    outcome = Varchar(length=16, default=RenewalOutcome.PENDING, choices=RenewalOutcome)
    order_id = ForeignKey(references=SupportOrder, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz()
    unique_key = Varchar(length=32, unique=True)  # f"{period}:{attempted_on}"


class Outbox(Table):
    """Every notification, written in the transaction of the change that caused it."""

    id = Serial(primary_key=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=False)
    channel = Varchar(length=8, choices=Channel)
    subject = Varchar(length=200)
    body = Text()
    created_at = Timestamptz()
    sent_at = Timestamptz(null=True, default=None)
    last_error = Text(default="")  # why the last e-mail delivery failed ("" if none did)
    attempts = Integer(default=0)  # failed e-mail deliveries since it was (re)queued
    # 消息中心 (issue 15): what it is about, the order it links to, when the account read it (inbox rows only).
    kind = Varchar(length=16, default=NotificationKind.OTHER, choices=NotificationKind)
    order_id = Varchar(length=32, null=True, default=None)  # a plain value: a message never blocks an order
    read_at = Timestamptz(null=True, default=None)


class NotificationPreference(Table):
    """通知设置 (issue 15): per account and kind, whether it also goes by e-mail (no row: inbox only)."""

    id = Serial(primary_key=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=False)
    kind = Varchar(length=16, choices=NotificationKind)
    email = Boolean(default=False)
    unique_key = Varchar(length=40, unique=True)  # f"{account}:{kind}"


class ReminderSent(Table):
    """Each reminder of the scheduled job once (issue 15): whoever inserts its key sends it, in the same transaction
    as the notifications. Keys: f"{period}:end-{30|7|1}", f"{period}:charge-{YYYY-MM-DD}"."""

    id = Serial(primary_key=True)
    unique_key = Varchar(length=48, unique=True)
    created_at = Timestamptz()


class WebSession(Table):
    """A signed-in browser (SPEC.md §11): the cookie holds only `key`; 退出 deletes the row, so a copied cookie dies.
    `account` is a plain value (not a foreign key) so a session row never blocks anything; it lets
    "sign out everywhere" find an account's sessions."""

    key = Varchar(length=64, primary_key=True)
    account = Integer(null=True, default=None)
    data = Text()
    expires_at = Timestamptz()


class GatewayTransaction(Table):
    """One row per transaction the payment gateway reports, whatever became of it (SPEC.md §11)."""

    id = Serial(primary_key=True)
    provider = Varchar(length=16)
    transaction_id = Varchar(length=64, unique=True)
    order_id = ForeignKey(references=SupportOrder, on_delete=OnDelete.restrict, null=False)
    amount_fen = BigInt()
    outcome = Varchar(length=16, choices=CaptureOutcome)
    credited_to = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=True, default=None)
    note = Varchar(length=200, default="")
    received_at = Timestamptz()


class PartnerPayRequest(Table):
    """A member's 合作伙伴代付 request for one order (SPEC.md §13): the main account pays it or rejects it (驳回)
    with a reason. An order may have several (a rejected one, then a new request); at most one is `requested`."""

    id = Serial(primary_key=True)
    order_id = ForeignKey(references=SupportOrder, on_delete=OnDelete.restrict, null=False)
    requester = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=False)
    payer = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=False)  # the main account asked
    state = Varchar(length=16, default=PartnerRequestState.REQUESTED, choices=PartnerRequestState)
    reason = Varchar(length=200, default="")  # why it was rejected
    decided_by = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=True, default=None)
    requested_at = Timestamptz()
    decided_at = Timestamptz(null=True, default=None)


class Operator(Table):
    """The vendor's staff (SPEC.md §15): signs in at /ops/login, never on the partner console."""

    id = Serial(primary_key=True)
    login = Varchar(length=64, unique=True)
    password_hash = Text()
    created_at = Timestamptz()
    disabled = Boolean(default=False)


class AuditEntry(Table):
    """One row per operator write (操作日志), inserted in the transaction of the write itself."""

    id = Serial(primary_key=True)
    operator = ForeignKey(references=Operator, on_delete=OnDelete.restrict, null=False)
    action = Varchar(length=32, choices=AuditAction)
    account = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=True, default=None)
    # Not a foreign key: an entry may name an order id as the operator typed it (a refused one is not logged).
    order_id = Varchar(length=32, null=True, default=None)
    reason = Text(default="")
    detail = Text(default="")
    # The form's one-time key (余额充值): a resubmitted form finds its entry instead of crediting twice.
    request_key = Varchar(length=64, null=True, default=None, unique=True)
    created_at = Timestamptz()  # indexed (migration 2026-12-03T02:00): the log is read newest first


class CatalogVersion(Table):
    """A version of the price catalog (价格目录, SPEC.md §2, §15): in force from `effective_at` until the next
    version's. Rows are only ever added (an operator's new version), never edited; version 1 is SPEC.md §2's prices
    from the beginning of time (seeded by migration 2026-12-03T04:00). The yearly discount is in basis points
    (500 = 5 % off 12/24/36-month terms)."""

    id = Serial(primary_key=True)
    standard_monthly_fen = BigInt()
    premium_monthly_fen = BigInt()
    pack_price_fen = BigInt()
    yearly_discount_bp = Integer(default=0)
    effective_at = Timestamptz()
    created_at = Timestamptz()
    created_by = ForeignKey(references=Operator, on_delete=OnDelete.restrict, null=True, default=None)
    # The form's one-time key: the same form sent twice adds one version.
    request_key = Varchar(length=64, null=True, default=None, unique=True)


ALL_TABLES = [
    Partner,
    Account,
    LoginAttempt,
    LedgerEntry,
    Coupon,
    SupportOrder,
    Plan,
    Period,
    Charge,
    Quote,
    VerificationCode,
    Unsubscription,
    OrderReversal,
    UpgradeShare,
    OrderExplanation,
    Ticket,
    RenewalAttempt,
    Outbox,
    WebSession,
    GatewayTransaction,
    PartnerPayRequest,
    Operator,
    AuditEntry,
    CatalogVersion,
    NotificationPreference,
    ReminderSent,
]
