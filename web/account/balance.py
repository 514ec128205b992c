"""The balance page's model (余额与充值): the available balance, how a partner tops it up, and the ledger with each
amount signed (+ money in, − money out), decided here so that templates/account/balance.html only formats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.enums import LEDGER_KIND_NAMES
from models.records import Account, LedgerEntry
from web.i18n import _
from web.template_globals import money

#: The ledger rows the page shows, newest first.
LEDGER_LIMIT = 50


def signed_money(fen: int) -> str:
    """An amount with its sign: +¥1,000.00 for money in, -¥850.00 for money out (¥0.00 unsigned)."""
    return "+" + money(fen) if fen > 0 else money(fen)


@dataclass(frozen=True, slots=True)
class LedgerRow:
    created_at: datetime
    kind: str  # translated
    order_id: str | None
    order_href: str | None
    amount: str  # signed
    incoming: bool
    balance_after: str


def ledger_row(entry: LedgerEntry) -> LedgerRow:
    return LedgerRow(
        created_at=entry.created_at,
        kind=_(LEDGER_KIND_NAMES[entry.kind]),
        order_id=entry.order_id,
        order_href=f"/orders/{entry.order_id}" if entry.order_id else None,
        amount=signed_money(entry.amount_fen),
        incoming=entry.amount_fen > 0,
        balance_after=money(entry.balance_after_fen),
    )


@dataclass(frozen=True, slots=True)
class BalancePage:
    login: str
    balance: str
    rows: tuple[LedgerRow, ...]
    limit: int = LEDGER_LIMIT

    @classmethod
    def of(cls, account: Account, entries: list[LedgerEntry]) -> BalancePage:
        return cls(
            login=account.login,
            balance=money(account.balance_fen),
            rows=tuple(ledger_row(e) for e in entries),
        )
