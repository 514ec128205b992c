"""The balance ledger: every change is a row, and the balance moves in the same transaction.
Callers open the transaction (models.db.write_transaction)."""

from __future__ import annotations

from datetime import datetime

from models.enums import LedgerKind
from models.records import LedgerEntry
from models.rules.money import format_money
from models.services.errors import N_, DomainError
from models.tables import Account as AccountTable
from models.tables import LedgerEntry as LedgerEntryTable


class InsufficientBalance(DomainError):
    status_code = 409

    def __init__(self, shortfall_fen: int) -> None:
        super().__init__(
            N_("余额不足，还差 %(shortfall)s。请充值，或选择其他支付方式。"),
            field="method",
            shortfall=format_money(shortfall_fen, "zh_CN"),
        )
        self.shortfall_fen = shortfall_fen


async def balance(account_id: int) -> int:
    row = await AccountTable.select(AccountTable.balance_fen).where(AccountTable.id == account_id).first()
    return int(row["balance_fen"]) if row else 0


async def _balance_of(account_id: int) -> int:
    """The balance of an account that must exist (the caller has just moved it)."""
    row = await AccountTable.select(AccountTable.balance_fen).where(AccountTable.id == account_id).first()
    if row is None:
        raise LookupError(f"no account {account_id}")
    return int(row["balance_fen"])


async def _record(
    account_id: int, kind: LedgerKind, amount_fen: int, now: datetime, order_id: str | None, note: str
) -> int:
    balance_after = await _balance_of(account_id)
    await LedgerEntryTable.insert(
        LedgerEntryTable(
            account=account_id,
            kind=kind,
            amount_fen=amount_fen,
            balance_after_fen=balance_after,
            order_id=order_id,
            note=note,
            created_at=now,
        )
    )
    return balance_after


async def credit(
    account_id: int, amount_fen: int, now: datetime, *, kind: LedgerKind, order_id: str | None = None, note: str = ""
) -> int:
    """Adds to a balance (top-up or refund); returns the new balance."""
    if amount_fen < 0:
        raise ValueError("credit takes a non-negative amount")
    await AccountTable.update({AccountTable.balance_fen: AccountTable.balance_fen + amount_fen}).where(
        AccountTable.id == account_id
    )
    return await _record(account_id, kind, amount_fen, now, order_id, note)


async def debit(account_id: int, amount_fen: int, now: datetime, *, order_id: str, note: str = "") -> int:
    """Takes from a balance, never below zero: the UPDATE only matches while the money is there."""
    if amount_fen < 0:
        raise ValueError("debit takes a non-negative amount")
    updated = (
        await AccountTable.update({AccountTable.balance_fen: AccountTable.balance_fen - amount_fen})
        .where((AccountTable.id == account_id) & (AccountTable.balance_fen >= amount_fen))
        .returning(AccountTable.id)
    )
    if not updated:
        raise InsufficientBalance(amount_fen - await _balance_of(account_id))
    return await _record(account_id, LedgerKind.CHARGE, -amount_fen, now, order_id, note)


async def entries(account_id: int, limit: int = 50) -> list[LedgerEntry]:
    rows = (
        await LedgerEntryTable.select()
        .where(LedgerEntryTable.account == account_id)
        .order_by(LedgerEntryTable.id, ascending=False)
        .limit(limit)
    )
    return [LedgerEntry.from_row(row) for row in rows]
