"""操作日志 (SPEC.md §15): one row per operator write, in the write's own transaction.

`record` does not open a transaction: call it INSIDE the caller's `write_transaction()`, after the write it
describes, so the change and its audit row are committed together or not at all:

    async with write_transaction():
        await ledger.credit(...)
        await audit.record(operator, AuditAction.TOP_UP, now, account_id=account.id, reason=reason)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from piccolo.query.methods.select import Select

from models.enums import AuditAction
from models.records import AuditEntry, Operator
from models.tables import AuditEntry as AuditEntryTable

#: Entries per page of the log screen.
PAGE_SIZE = 50


async def record(
    operator: Operator,
    action: AuditAction,
    now: datetime,
    *,
    account_id: int | None = None,
    order_id: str | None = None,
    reason: str = "",
    detail: str = "",
    request_key: str | None = None,
) -> None:
    """Inserts one audit row. Runs inside the caller's write transaction (see the module's docstring).
    `request_key` (unique) marks a write a resubmitted form must not repeat: see `find_by_key`."""
    await AuditEntryTable.insert(
        AuditEntryTable(
            operator=operator.id,
            action=action,
            account=account_id,
            order_id=order_id,
            reason=reason,
            detail=detail,
            request_key=request_key,
            created_at=now,
        )
    )


async def find_by_key(request_key: str) -> AuditEntry | None:
    """The entry a form with this one-time key already made, if any."""
    rows = await _select().where(AuditEntryTable.request_key == request_key).limit(1)
    return AuditEntry.from_row(rows[0]) if rows else None


def _select() -> Select:
    return AuditEntryTable.select(
        *AuditEntryTable.all_columns(),
        AuditEntryTable.operator.login.as_alias("operator_login"),
        AuditEntryTable.account.login.as_alias("account_login"),
    )


@dataclass(frozen=True, slots=True)
class AuditPage:
    """One page of the log, newest first, and how many entries the filters match in all."""

    entries: list[AuditEntry]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


async def entries(
    *,
    operator_id: int | None = None,
    action: AuditAction | None = None,
    account_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> AuditPage:
    """The log filtered by operator, action, account and a time range [since, until), newest first."""
    where = []
    if operator_id is not None:
        where.append(AuditEntryTable.operator == operator_id)
    if action is not None:
        where.append(AuditEntryTable.action == action)
    if account_id is not None:
        where.append(AuditEntryTable.account == account_id)
    if since is not None:
        where.append(AuditEntryTable.created_at >= since)
    if until is not None:
        where.append(AuditEntryTable.created_at < until)
    count = AuditEntryTable.count()
    query = _select()
    for condition in where:
        count = count.where(condition)
        query = query.where(condition)
    total = await count
    page = max(1, page)
    rows = (
        await query.order_by(AuditEntryTable.created_at, ascending=False)
        .order_by(AuditEntryTable.id, ascending=False)
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return AuditPage([AuditEntry.from_row(row) for row in rows], total, page, page_size)
