"""The operator's 合作伙伴 screens (SPEC.md §15): find partners, a partner's facts, and the operator's writes on
accounts (create a partner or a member, 认证 / 取消认证, 余额充值). Each write calls the same service as the CLI
(models.services.accounts, models.services.ledger) inside one transaction with its audit row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from piccolo.columns.combination import Combinable

from models.enums import Level, PeriodStatus
from models.tables import Account as AccountTable
from models.tables import Period

#: Main accounts per page of the partner list.
PAGE_SIZE = 20
#: How many orders and ledger rows a partner's page shows (the latest).
LATEST = 20
#: The largest single top-up, in yuan: a typo of three zeros is refused rather than credited.
TOP_UP_MAX = Decimal("10000000.00")
REASON_MAX = 200


@dataclass(frozen=True, slots=True)
class PartnerRow:
    """One partner company in the list: its main account and the company's facts."""

    partner_id: int
    account_id: int
    login: str
    company: str
    certified: bool
    level: Level
    balance_fen: int


@dataclass(frozen=True, slots=True)
class PartnerPage:
    rows: list[PartnerRow]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _like(text: str) -> str:
    """A LIKE pattern that matches `text` anywhere (a % or _ typed is a wildcard too: it only widens a search)."""
    return f"%{text}%"


async def levels_now(partner_ids: list[int], now: datetime) -> dict[int, Level]:
    """Each company's level at `now` (基础级 without a running period)."""
    if not partner_ids:
        return {}
    rows = await Period.select(Period.plan.partner.as_alias("partner"), Period.level).where(
        Period.plan.partner.is_in(partner_ids)
        & (Period.status == PeriodStatus.ACTIVE)
        & (Period.start <= now)
        & (Period.end >= now)
    )
    found = {row["partner"]: Level(row["level"]) for row in rows}
    return {pid: found.get(pid, Level.BASIC) for pid in partner_ids}


async def search(query: str, now: datetime, page: int = 1, page_size: int = PAGE_SIZE) -> PartnerPage:
    """Main accounts whose login, or whose company (its own or any member's login), contains `query`, newest
    first. An empty query lists every partner."""
    query = query.strip()
    condition: Combinable = AccountTable.is_main.eq(True)
    if query:
        pattern = _like(query)
        member_partners = AccountTable.select(AccountTable.partner).where(
            AccountTable.login.ilike(pattern) | AccountTable.company_name.ilike(pattern)
        )
        ids = [row["partner"] for row in await member_partners]
        condition = condition & (
            AccountTable.login.ilike(pattern)
            | AccountTable.partner.company_name.ilike(pattern)
            | AccountTable.partner.is_in(ids or [-1])
        )
    total = await AccountTable.count().where(condition)
    page = max(1, page)
    rows = (
        await AccountTable.select(
            AccountTable.id,
            AccountTable.login,
            AccountTable.partner,
            AccountTable.balance_fen,
            AccountTable.partner.company_name.as_alias("company"),
            AccountTable.partner.certified.as_alias("certified"),
        )
        .where(condition)
        .order_by(AccountTable.id, ascending=False)
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    levels = await levels_now([row["partner"] for row in rows], now)
    return PartnerPage(
        [
            PartnerRow(
                partner_id=row["partner"],
                account_id=row["id"],
                login=row["login"],
                company=row["company"],
                certified=bool(row["certified"]),
                level=levels[row["partner"]],
                balance_fen=int(row["balance_fen"]),
            )
            for row in rows
        ],
        total,
        page,
        page_size,
    )
