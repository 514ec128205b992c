"""The balance ledger: every change is a row, and the balance moves in the same transaction.
Callers open the transaction (models.db.write_transaction)."""

from __future__ import annotations

from datetime import datetime

from models.rules.money import format_money
from models.services.errors import N_, DomainError
from models.tables import Account, LedgerEntry


class InsufficientBalance(DomainError):
    status_code = 409

    def __init__(self, shortfall_fen: int):
        super().__init__(
            N_("余额不足，还差 %(shortfall)s。请充值，或选择其他支付方式。"),
            field="method",
            shortfall=format_money(shortfall_fen, "zh_CN"),
        )
        self.shortfall_fen = shortfall_fen


async def _record(account_id: int, kind: str, amount_fen: int, now: datetime, order_id: str | None, note: str) -> int:
    row = await Account.select(Account.balance_fen).where(Account.id == account_id).first()
    await LedgerEntry.insert(
        LedgerEntry(
            account=account_id,
            kind=kind,
            amount_fen=amount_fen,
            balance_after_fen=row["balance_fen"],
            order_id=order_id,
            note=note,
            created_at=now,
        )
    )
    return row["balance_fen"]


async def credit(
    account_id: int, amount_fen: int, now: datetime, *, kind: str, order_id: str | None = None, note: str = ""
) -> int:
    """Adds to a balance (top-up or refund); returns the new balance."""
    if amount_fen < 0:
        raise ValueError("credit takes a non-negative amount")
    await Account.update({Account.balance_fen: Account.balance_fen + amount_fen}).where(Account.id == account_id)
    return await _record(account_id, kind, amount_fen, now, order_id, note)


async def debit(account_id: int, amount_fen: int, now: datetime, *, order_id: str, note: str = "") -> int:
    """Takes from a balance, never below zero: the UPDATE only matches while the money is there."""
    if amount_fen < 0:
        raise ValueError("debit takes a non-negative amount")
    updated = (
        await Account.update({Account.balance_fen: Account.balance_fen - amount_fen})
        .where((Account.id == account_id) & (Account.balance_fen >= amount_fen))
        .returning(Account.id)
    )
    if not updated:
        row = await Account.select(Account.balance_fen).where(Account.id == account_id).first()
        raise InsufficientBalance(amount_fen - row["balance_fen"])
    return await _record(account_id, "charge", -amount_fen, now, order_id, note)


async def entries(account_id: int, limit: int = 50) -> list[dict]:
    return (
        await LedgerEntry.select()
        .where(LedgerEntry.account == account_id)
        .order_by(LedgerEntry.id, ascending=False)
        .limit(limit)
    )
