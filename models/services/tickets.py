"""Tickets (工单, SPEC.md §6): business tickets are never limited; a technical ticket uses one unit of the company's
quota for the Beijing natural month (Standard 30 + 10 a pack paid this month, Premium unlimited, Basic none).

The quota is the partner company's (all its accounts share it), so the list shows the company's tickets with the
account that submitted each. Counting and inserting happen in one write transaction: on SQLite the transaction
takes the write lock up front (IMMEDIATE), on PostgreSQL the partner's row is locked first, so two tabs sending the
last unit at once leave one ticket, not two.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from models.db import MAX_SERIAL, is_postgres, write_transaction
from models.enums import SEVERITY_NAMES, Level, Severity, TicketStatus, TicketType
from models.records import Account, Ticket
from models.rules import quota as quota_rules
from models.rules.service_items import RESPONSE_MINUTES
from models.services.errors import N_, Conflict, DomainError, NotFound
from models.services.plans import plan_state
from models.tables import Partner
from models.tables import Ticket as TicketTable

_E = TypeVar("_E", bound=StrEnum)

TITLE_MAX = 200
DESCRIPTION_MAX = 10_000
#: The same ticket sent again by the same account this soon (a double click, a resent form) is the first one.
DUPLICATE_WINDOW = timedelta(minutes=5)
LIST_LIMIT = 100

BASIC_NO_TECHNICAL = N_("基础级合作伙伴支持计划仅支持业务类工单，不能提交技术类工单。")
QUOTA_USED_UP = N_(
    "本月技术类工单配额（%(quota)s个）已用完，不能再提交技术类工单。"
    "您可以提交业务类工单，或购买工单增购包提高本月配额。"
)


class InvalidTicket(DomainError):
    """Bad input in one or more fields: `problems` holds one DomainError per field (the first is this error's)."""

    def __init__(self, problems: list[DomainError]):
        first = problems[0]
        super().__init__(first.message, field=first.field, **first.params)
        self.problems = problems


class QuotaUsedUp(Conflict):
    """No technical ticket left this month (or none at all on Basic): 409."""


@dataclass(frozen=True, slots=True)
class ListedTicket:
    """A ticket in the company's list, with the login of the account that submitted it."""

    ticket: Ticket
    login: str


@dataclass(frozen=True)
class SeverityChoice:
    key: Severity
    name: str  # message id
    response_minutes: int | None  # the plan's response target; None where the plan has none (Basic)


def severity_choices(level: str) -> list[SeverityChoice]:
    """The four severities with the response target of the plan's service items (SPEC.md §2)."""
    targets = RESPONSE_MINUTES.get(level, {})
    return [SeverityChoice(key, SEVERITY_NAMES[key], targets.get(key)) for key in Severity]


def _clean_text(value: object) -> str:
    """Browsers send line breaks as CRLF; count (and keep) them as one character. NUL characters are dropped
    (PostgreSQL cannot store them in text)."""
    text = "" if value is None else str(value)
    return text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _member(enum: type[_E], value: object) -> _E | None:
    """The member of `enum` whose value is `value` (as text), or None."""
    try:
        return enum(str(value or ""))
    except ValueError:
        return None


def check(kind: object, severity: object, title: object, description: object) -> tuple[TicketType, Severity, str, str]:
    """The cleaned fields, or InvalidTicket naming every bad field."""
    problems: list[DomainError] = []
    ticket_type, ticket_severity = _member(TicketType, kind), _member(Severity, severity)
    title, description = _clean_text(title), _clean_text(description)
    if ticket_type is None:
        problems.append(DomainError(N_("请选择工单类型：技术类或业务类。"), field="kind"))
    if ticket_severity is None:
        problems.append(DomainError(N_("请选择严重性。"), field="severity"))
    if not title:
        problems.append(DomainError(N_("请输入标题。"), field="title"))
    elif len(title) > TITLE_MAX:
        problems.append(
            DomainError(
                N_("标题最多%(max)s个字符，当前%(length)s个。"), field="title", max=TITLE_MAX, length=len(title)
            )
        )
    if not description:
        problems.append(DomainError(N_("请输入问题描述。"), field="description"))
    elif len(description) > DESCRIPTION_MAX:
        problems.append(
            DomainError(
                N_("问题描述最多%(max)s个字符，当前%(length)s个。"),
                field="description",
                max=f"{DESCRIPTION_MAX:,}",
                length=f"{len(description):,}",
            )
        )
    if problems or ticket_type is None or ticket_severity is None:
        raise InvalidTicket(problems)
    return ticket_type, ticket_severity, title, description


def technical_refusal(level: str, quota: int | None, used: int) -> QuotaUsedUp | None:
    """Why one more technical ticket does not fit this month, or None."""
    if quota_rules.can_submit_technical(quota, used):
        return None
    if level == Level.BASIC:
        return QuotaUsedUp(BASIC_NO_TECHNICAL, field="kind")
    return QuotaUsedUp(QUOTA_USED_UP, field="kind", quota=quota)


async def submit(
    account: Account, *, kind: object, severity: object, title: object, description: object, now: datetime
) -> tuple[int, bool]:
    """Files a ticket; returns (ticket id, created). Counting this month's technical tickets and inserting the new
    one happen under one lock, so the quota cannot be overrun by concurrent submissions."""
    ticket_type, ticket_severity, title, description = check(kind, severity, title, description)
    # Stored as given, at the resolution of every other moment (the clock's whole seconds): truncating here alone
    # made a ticket sent in the second a plan was paid older than the plan. Month windows are half-open
    # (models.services.plans.month_window), so no fraction of a second falls between months either.
    created_at = now
    async with write_transaction():
        if is_postgres():  # one ticket count at a time per company (SQLite: IMMEDIATE already serializes)
            await Partner.select(Partner.id).where(Partner.id == account.partner).lock_rows()
        same = (
            await TicketTable.select(TicketTable.id)
            .where(
                (TicketTable.account == account.id)
                & (TicketTable.kind == ticket_type)
                & (TicketTable.severity == ticket_severity)
                & (TicketTable.title == title)
                & (TicketTable.description == description)
                & (TicketTable.created_at >= created_at - DUPLICATE_WINDOW)
            )
            .order_by(TicketTable.id, ascending=False)
            .first()
        )
        if same:
            return same["id"], False
        if ticket_type == TicketType.TECHNICAL:
            state = await plan_state(account.partner, created_at)
            refused = technical_refusal(state.level, state.quota, state.tickets_used)
            if refused:
                raise refused
        rows = await TicketTable.insert(
            TicketTable(
                account=account.id,
                partner=account.partner,
                kind=ticket_type,
                severity=ticket_severity,
                title=title,
                description=description,
                created_at=created_at,
            )
        ).returning(TicketTable.id)
    return rows[0]["id"], True


async def list_for_partner(partner_id: int, limit: int = LIST_LIMIT) -> list[ListedTicket]:
    """The company's tickets, newest first, with the login that submitted each."""
    rows = (
        await TicketTable.select(
            *TicketTable.all_columns(),
            TicketTable.account.login.as_alias("login"),
        )
        .where(TicketTable.partner == partner_id)
        .order_by(TicketTable.id, ascending=False)
        .limit(limit)
    )
    return [ListedTicket(Ticket.from_row(row), row["login"]) for row in rows]


async def get_for_partner(partner_id: int, ticket_id: int) -> ListedTicket:
    """One ticket of the company with the login that submitted it; another company's ticket, or an id no ticket
    has, is "not found" (so ids cannot be probed)."""
    row = None
    if 0 < ticket_id <= MAX_SERIAL:
        row = (
            await TicketTable.select(*TicketTable.all_columns(), TicketTable.account.login.as_alias("login"))
            .where((TicketTable.id == ticket_id) & (TicketTable.partner == partner_id))
            .first()
        )
    if row is None:
        raise NotFound(N_("工单不存在。"))
    return ListedTicket(Ticket.from_row(row), row["login"])


async def set_status(ticket_id: int, status: TicketStatus) -> bool:
    """The support side moves a ticket on (待受理 → 处理中 → 已解决); False when no ticket has the id."""
    async with write_transaction():
        moved = (
            await TicketTable.update({TicketTable.status: TicketStatus(status)})
            .where(TicketTable.id == ticket_id)
            .returning(TicketTable.id)
        )
    return bool(moved)


def response_minutes(level: str, severity: str) -> int | None:
    """The response target of the plan's service items for a severity (None: the level promises none)."""
    return RESPONSE_MINUTES.get(level, {}).get(severity)


async def count_for_partner(partner_id: int) -> int:
    return await TicketTable.count().where(TicketTable.partner == partner_id)


def packs_offered(level: str) -> bool:
    """Whether the page links to 购买工单增购包 (Standard only)."""
    return level == Level.STANDARD
