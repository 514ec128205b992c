"""The operator's 合作伙伴 screens (SPEC.md §15): find partners, a partner's facts, and the operator's writes on
accounts (create a partner or a member, 认证 / 取消认证, 余额充值). Each write calls the same service as the CLI
(models.services.accounts, models.services.ledger) inside one transaction with its audit row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from piccolo.columns import Column
from piccolo.columns.combination import Combinable

from models.db import is_postgres, is_unique_violation, lock_partner, write_transaction
from models.enums import AuditAction, LedgerKind, Level, PeriodStatus
from models.records import LedgerEntry, Operator, Order
from models.rules.money import AmountError, format_money, parse_amount, to_fen
from models.services import accounts, audit, ledger
from models.services.errors import N_, Conflict, DomainError, NotFound
from models.services.plans import PlanState, plan_state
from models.tables import Account as AccountTable
from models.tables import LedgerEntry as LedgerEntryTable
from models.tables import Partner, Period, SupportOrder

#: Main accounts per page of the partner list.
PAGE_SIZE = 20
#: How many orders and ledger rows a partner's page shows (the latest).
LATEST = 20
#: The largest single top-up, in yuan: a typo of three zeros is refused rather than credited.
TOP_UP_MAX = Decimal("10000000.00")
REASON_MAX = 200
#: A top-up's audit detail: this, then the amount as shown (¥1,234.56).
AMOUNT_DETAIL = "金额 "


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


def _contains(column: Column, pattern: str) -> Combinable:
    """Case-insensitive on both engines: ILIKE on PostgreSQL; SQLite's LIKE already ignores ASCII case."""
    return column.ilike(pattern) if is_postgres() else column.like(pattern)


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
            _contains(AccountTable.login, pattern) | _contains(AccountTable.company_name, pattern)
        )
        ids = [row["partner"] for row in await member_partners]
        condition = condition & (
            _contains(AccountTable.login, pattern)
            | _contains(AccountTable.partner.company_name, pattern)
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


@dataclass(frozen=True, slots=True)
class MemberRow:
    account_id: int
    login: str
    is_main: bool
    company: str
    phone: str
    email: str
    balance_fen: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LedgerRow:
    entry: LedgerEntry
    login: str


@dataclass(frozen=True, slots=True)
class PartnerView:
    """A partner's page: the company, its accounts, its plan now, its latest orders and ledger rows."""

    partner_id: int
    company: str
    certified: bool
    main_login: str | None
    members: list[MemberRow]
    plan: PlanState
    orders: list[Order]
    order_logins: dict[int, str]
    ledger: list[LedgerRow]


async def partner_view(partner_id: int, now: datetime) -> PartnerView:
    partner = await Partner.select().where(Partner.id == partner_id).first()
    if partner is None:
        raise NotFound(N_("合作伙伴不存在。"))
    rows = (
        await AccountTable.select(*AccountTable.all_columns(exclude=[AccountTable.password_hash]))
        .where(AccountTable.partner == partner_id)
        .order_by(AccountTable.is_main, ascending=False)
        .order_by(AccountTable.id)
    )
    members = [
        MemberRow(
            account_id=row["id"],
            login=row["login"],
            is_main=bool(row["is_main"]),
            company=row["company_name"],
            phone=row["phone"],
            email=row["email"],
            balance_fen=int(row["balance_fen"]),
            created_at=row["created_at"],
        )
        for row in rows
    ]
    logins = {member.account_id: member.login for member in members}
    orders = [
        Order.from_row(row)
        for row in await SupportOrder.select()
        .where(SupportOrder.partner == partner_id)
        .order_by(SupportOrder.created_at, SupportOrder.id, ascending=False)
        .limit(LATEST)
    ]
    ledger_rows = (
        await LedgerEntryTable.select()
        .where(LedgerEntryTable.account.is_in(list(logins) or [-1]))
        .order_by(LedgerEntryTable.id, ascending=False)
        .limit(LATEST)
    )
    return PartnerView(
        partner_id=partner_id,
        company=partner["company_name"],
        certified=bool(partner["certified"]),
        main_login=next((m.login for m in members if m.is_main), None),
        members=members,
        plan=await plan_state(partner_id, now),
        orders=orders,
        order_logins=logins,
        ledger=[LedgerRow(LedgerEntry.from_row(row), logins.get(row["account"], "")) for row in ledger_rows],
    )


async def partner_of_login(login: str) -> int:
    row = await AccountTable.select(AccountTable.partner).where(AccountTable.login == login.strip()).first()
    if row is None:
        raise NotFound(N_("帐号 %(login)s 不存在。"), field="login", login=login.strip())
    return int(row["partner"])


# ---- the operator's writes: each one transaction with its audit row ----


async def create_partner(
    operator: Operator,
    now: datetime,
    *,
    login: str,
    password: str,
    company: str,
    certified: bool = False,
    phone: str = "",
    email: str = "",
) -> int:
    """创建主帐号: accounts.create_partner (as `partner-console account create-partner`) and its audit row."""
    async with write_transaction():
        account_id = await accounts.create_partner(
            login, password, company, now, certified=certified, phone=phone, email=email
        )
        detail = f"company={company.strip()}; certified={'yes' if certified else 'no'}"
        await audit.record(operator, AuditAction.CREATE_PARTNER, now, account_id=account_id, detail=detail)
    return account_id


async def create_member(
    operator: Operator,
    now: datetime,
    *,
    login: str,
    main_login: str,
    password: str,
    company: str,
    phone: str,
    email: str,
) -> int:
    """创建子帐号: accounts.create_member (as `partner-console account create-member`) and its audit row."""
    async with write_transaction():
        account_id = await accounts.create_member(login, main_login.strip(), password, company, phone, email, now)
        detail = f"main={main_login.strip()}; company={company.strip()}"
        await audit.record(operator, AuditAction.CREATE_MEMBER, now, account_id=account_id, detail=detail)
    return account_id


def check_reason(reason: str, *, required: bool) -> str:
    """A reason as stored: trimmed, 1–200 characters when required, at most 200 otherwise, no NUL."""
    reason = reason.strip()
    if "\x00" in reason:
        raise DomainError(N_("输入内容不能包含空字符（NUL）。"), field="reason")
    if required and not reason:
        raise DomainError(N_("请填写原因。"), field="reason")
    if len(reason) > REASON_MAX:
        raise DomainError(
            N_("原因最多%(max)s个字符，当前%(length)s个。"), field="reason", max=REASON_MAX, length=len(reason)
        )
    return reason


async def set_certified(operator: Operator, partner_id: int, certified: bool, now: datetime, reason: str = "") -> None:
    """认证 / 取消认证: accounts.certify (as `partner-console account certify [--revoke]`) and its audit row.
    Asking for the state the partner is already in is refused (409), so the log only holds changes."""
    reason = check_reason(reason, required=False)
    async with write_transaction():
        await lock_partner(partner_id)
        partner = await Partner.select(Partner.certified).where(Partner.id == partner_id).first()
        main = (
            await AccountTable.select(AccountTable.id, AccountTable.login)
            .where((AccountTable.partner == partner_id) & AccountTable.is_main.eq(True))
            .first()
        )
        if partner is None or main is None:
            raise NotFound(N_("合作伙伴不存在。"))
        if bool(partner["certified"]) == certified:
            message = N_("该合作伙伴已是已认证状态。") if certified else N_("该合作伙伴已是未认证状态。")
            raise Conflict(message)
        await accounts.certify(main["login"], certified)
        action = AuditAction.CERTIFY if certified else AuditAction.UNCERTIFY
        await audit.record(operator, action, now, account_id=main["id"], reason=reason)


@dataclass(frozen=True, slots=True)
class TopUp:
    """A done 余额充值: to whom, how much, the balance after; `repeated` when the form had been sent before."""

    account_id: int
    login: str
    partner_id: int
    amount_fen: int
    balance_fen: int
    repeated: bool


def check_amount(text: str) -> int:
    """The top-up amount in fen: yuan with at most two decimals, more than 0 and at most TOP_UP_MAX."""
    raw = (text or "").strip()
    if not raw:
        raise DomainError(N_("请输入充值金额。"), field="amount")
    try:
        amount = parse_amount(raw)
    except AmountError as exc:
        raise DomainError(
            N_("充值金额无效：请输入大于0的金额（元），最多两位小数，例如 8500 或 8500.00。"), field="amount"
        ) from exc
    if amount <= 0:
        raise DomainError(N_("充值金额必须大于0。"), field="amount")
    if amount > TOP_UP_MAX:
        raise DomainError(
            N_("单笔充值金额不能超过 %(max)s。"), field="amount", max=format_money(to_fen(TOP_UP_MAX), "zh_CN")
        )
    return to_fen(amount)


def _note(operator: Operator, reason: str) -> str:
    """The ledger row's note names the operator and the reason (the column holds 200 characters)."""
    note = f"运营充值（{operator.login}）：{reason}"
    return note if len(note) <= 200 else note[:199] + "…"


async def _repeated(request_key: str) -> TopUp | None:
    entry = await audit.find_by_key(request_key)
    if entry is None or entry.account is None:
        return None
    account = await accounts.get_account(entry.account)
    amount = to_fen(parse_amount(entry.detail.removeprefix(AMOUNT_DETAIL)))
    return TopUp(entry.account, account.login, account.partner, amount, account.balance_fen, repeated=True)


async def top_up(operator: Operator, now: datetime, *, login: str, amount: str, reason: str, request_key: str) -> TopUp:
    """余额充值: ledger.credit (as `partner-console balance top-up`), noted with the operator and the reason, and its
    audit row carrying the form's one-time key, in one transaction. The same key again credits nothing and
    returns the first top-up (`repeated`), even when both arrive at once (the key is unique)."""
    login = login.strip()
    if not login:
        raise DomainError(N_("请输入帐号。"), field="login")
    amount_fen = check_amount(amount)
    reason = check_reason(reason, required=True)
    done = await _repeated(request_key)
    if done is not None:
        return done
    account = await accounts.account_by_login(login) if accounts._may_exist(login) else None
    if account is None:
        raise NotFound(N_("帐号 %(login)s 不存在。"), field="login", login=login)
    try:
        async with write_transaction():
            await lock_partner(account.partner)
            if await audit.find_by_key(request_key) is not None:
                raise _AlreadyDone()
            balance = await ledger.credit(
                account.id, amount_fen, now, kind=LedgerKind.TOP_UP, note=_note(operator, reason)
            )
            await audit.record(
                operator,
                AuditAction.TOP_UP,
                now,
                account_id=account.id,
                reason=reason,
                detail=AMOUNT_DETAIL + format_money(amount_fen, "zh_CN"),
                request_key=request_key,
            )
    except _AlreadyDone:
        pass
    except Exception as exc:
        if not is_unique_violation(exc):
            raise
    else:
        return TopUp(account.id, account.login, account.partner, amount_fen, balance, repeated=False)
    done = await _repeated(request_key)
    if done is None:
        raise Conflict(N_("另一个请求同时修改了相同的数据，本次请求未做任何更改。请刷新页面查看最新状态后再试。"))
    return done


class _AlreadyDone(Exception):
    """Inside the transaction: another request with the same key committed first (nothing is written)."""


async def partner_of_account(account_id: int) -> int:
    row = await AccountTable.select(AccountTable.partner).where(AccountTable.id == account_id).first()
    if row is None:
        raise NotFound(N_("帐号不存在。"))
    return int(row["partner"])


@dataclass(frozen=True, slots=True)
class OrderFacts:
    order: Order
    company: str
    placed_by: str
    payer: str | None


async def order_of(partner_id: int, order_id: str) -> OrderFacts:
    """One order of the company, read-only (an operator changes orders only through the order services)."""
    row = (
        await SupportOrder.select().where((SupportOrder.id == order_id) & (SupportOrder.partner == partner_id)).first()
    )
    if row is None:
        raise NotFound(N_("订单 %(order)s 不存在。"), order=order_id)
    order = Order.from_row(row)
    ids = [order.account] + ([order.payer] if order.payer else [])
    logins = {
        r["id"]: r["login"]
        for r in await AccountTable.select(AccountTable.id, AccountTable.login).where(AccountTable.id.is_in(ids))
    }
    partner = await Partner.select(Partner.company_name).where(Partner.id == partner_id).first()
    return OrderFacts(
        order,
        partner["company_name"] if partner else "",
        logins.get(order.account, ""),
        logins.get(order.payer) if order.payer else None,
    )
