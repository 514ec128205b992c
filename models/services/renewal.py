"""Renewing a plan (续费, guide chapter 5), the auto-renew setting and its daily job (SPEC.md §3, §8).

A renewal extends the chain of periods: it starts one second after the chain's end (PlanState.valid_until), at
the level of the chain's last period, and is paid like any order. Its order names the period it renews
(`renews_period_id`); it may be paid only while that period is still the chain's last one, so one period is
never renewed twice, whether by two tabs, by a person and the job, or by two workers of the job."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from models.db import lock_partner, write_transaction
from models.enums import Level, OrderKind, PeriodStatus
from models.records import Account, Order
from models.records import Period as PeriodRecord
from models.rules.explain import Explanation
from models.rules.money import format_datetime_cn, to_decimal
from models.rules.periods import is_valid_term, renewal_period, to_beijing
from models.rules.pricing import Catalog, list_price_explained
from models.services import catalog as catalogs
from models.services import order_explanations, orders, plans
from models.services.accounts import get_account
from models.services.errors import N_, Conflict, DomainError, NotFound
from models.services.plans import PlanState, add_period, list_price_fen, plan_state
from models.services.purchase import PurchaseRefused, buyer_refusal
from models.tables import Plan, SupportOrder

log = logging.getLogger("console.jobs")

#: Auto-renew starts this many Beijing calendar days before the end date of the chain (SPEC.md §8).
AUTO_RENEW_DAYS_BEFORE = 7

NOT_RENEWABLE = N_("当前为基础级，没有可续费的支持计划。如需标准级或尊享级服务，请通过“更改”购买。")
PLAN_ENDED = N_("支持计划已于 %(end)s 到期，不能再为它续费。如需继续使用，请通过“更改”重新购买。")
PLAN_UNSUBSCRIBED = N_("支持计划已退订，不能再为它续费。如需继续使用，请通过“更改”重新购买。")
ALREADY_RENEWED = N_("支持计划的有效期已发生变化（已续费或已退订），此续费订单不能再支付。请重新续费。")
LEVEL_CHANGED = N_("支持计划的规格已变更，此续费订单不能再支付。请重新续费。")
BAD_TERM = N_("请选择续费时长：1至11个月，或1至3年。")
# A renew page sent after the plan changed under it (another tab, another account): nothing is placed.
STALE_UNSUBSCRIBED = N_("该支持计划已退订，此页面上的续费未提交，未创建订单。如需继续使用，请通过“更改”重新购买。")
STALE_RENEWED = N_(
    "自此页面显示以来，支持计划已续费，当前到期时间为 %(end)s。未创建订单；续费后到期时间已重新计算，请核对后再点击“去支付”。"
)
STALE_CHANGED = N_(
    "自此页面显示以来，支持计划已发生变化（例如变更了规格）。未创建订单；应付金额已重新计算，请核对后再点击“去支付”。"
)

# Notifications are written in Chinese (the source language), like every other one.
LEVEL_ZH: dict[str, str] = {Level.STANDARD: "标准级", Level.PREMIUM: "尊享级"}


def term_zh(months: int) -> str:
    return f"{months // 12}年" if months % 12 == 0 else f"{months}个月"


def chain_last(state: PlanState) -> PeriodRecord | None:
    """The last period of the running chain (current + paid renewals after it), or None for a Basic plan."""
    chain = ([state.current] if state.current else []) + state.upcoming
    return chain[-1] if chain else None


def check_term(months: int | None) -> int:
    if months is None or not is_valid_term(months):
        raise DomainError(BAD_TERM, field="months")
    return months


def price_fen(level: str, months: int, catalog: Catalog | None = None) -> int:
    """Monthly price × months (12 × for a year, less the catalog's yearly discount, none by default), in
    `catalog` (default: the one the request's plan_state priced with, i.e. the catalog in force now)."""
    return list_price_fen(level, months, catalog or catalogs.in_use())


@dataclass(frozen=True)
class RenewalQuote:
    """What renewing now for `months` would buy: shown on 续费管理, charged at 去支付."""

    level: str
    months: int
    current_end: datetime
    start: datetime
    end: datetime
    amount_fen: int
    catalog_version: int = 1  # the price catalog version `amount_fen` is from
    explanation: Explanation | None = None  # 怎么算的: its amount is `amount_fen`

    @property
    def amount(self) -> Decimal:
        return to_decimal(self.amount_fen)


def quote_for(last: PeriodRecord, months: int, catalog: Catalog | None = None) -> RenewalQuote:
    """Renewing the chain whose last period is `last`, at `catalog`'s prices (default: the catalog the request's
    plan_state priced with, the one in force now)."""
    return quote_after(last.end, last.level, months, catalog)


def quote_after(end: datetime, level: str, months: int, catalog: Catalog | None = None) -> RenewalQuote:
    """A renewal for `months` at `level` of a chain that ends at `end`."""
    catalog = catalog or catalogs.in_use()
    start, new_end = renewal_period(end, months)
    explained = list_price_explained(level, months, catalog)
    return RenewalQuote(
        level=level,
        months=months,
        current_end=end,
        start=start,
        end=new_end,
        amount_fen=explained.amount_fen,
        catalog_version=catalog.version,
        explanation=explained,
    )


refusal = buyer_refusal  # who may renew is who may buy (SPEC.md §1)


@dataclass(frozen=True)
class Basis:
    """What a renew page computed its amount from, as its form carries it back: the chain's last period and its
    level. A renewal is placed only while they are still the chain's last period and level."""

    period_id: int
    level: str


class RenewStale(Conflict):
    """The plan changed since the renew page was shown (unsubscribed, renewed, changed): nothing was placed."""


def check_basis(state: PlanState, last: PeriodRecord | None, basis: Basis) -> None:
    """Refuse (RenewStale, or the page's own Conflict for an ended plan) unless the page's basis still holds."""
    if last is not None and last.id == basis.period_id and last.level == basis.level:
        return
    shown = next((p for p in state.history if p.id == basis.period_id), None)
    if shown is not None and shown.status == PeriodStatus.REFUNDED:
        raise RenewStale(STALE_UNSUBSCRIBED, field="months")
    if last is None:
        if shown is not None:
            raise RenewStale(PLAN_ENDED, field="months", end=format_datetime_cn(shown.end))
        raise RenewStale(NOT_RENEWABLE, field="months")
    if shown is not None and last.id != shown.id and last.end > shown.end:
        raise RenewStale(STALE_RENEWED, field="months", end=format_datetime_cn(last.end))
    raise RenewStale(STALE_CHANGED, field="months")


@dataclass
class RenewPage:
    state: PlanState
    last: PeriodRecord | None  # None: Basic, nothing to renew
    refusal: PurchaseRefused | None


async def renew_page(account: Account, now: datetime) -> RenewPage:
    state = await plan_state(account.partner, now)
    last = chain_last(state) if state.current else None
    return RenewPage(state=state, last=last, refusal=await refusal(account) if last else None)


async def place(
    account: Account,
    months: int | None,
    request_key: str | None,
    now: datetime,
    *,
    basis: Basis | None = None,
) -> str:
    """续费管理 → 去支付: a pending renewal order of the chain's last period, at the price the page showed.
    The same form sent twice (same key and term) finds the first order. `basis`: what the page computed from;
    when the plan changed since (another tab unsubscribed, renewed or changed it) the renewal is refused
    (RenewStale, 409) and nothing is placed."""
    months = check_term(months)
    key = f"{request_key[:48]}:{months}" if request_key else None
    async with write_transaction():
        await lock_partner(account.partner)  # an unsubscribe or a change of the same company waits, or goes first
        if key:
            placed = (
                await SupportOrder.select(SupportOrder.id)
                .where((SupportOrder.request_key == key) & (SupportOrder.account == account.id))
                .first()
            )
            if placed:  # this very form was sent before: its order, whatever happened since
                return str(placed["id"])
        state = await plan_state(account.partner, now)
        last = chain_last(state) if state.current else None
        if basis is not None:
            check_basis(state, last, basis)
        if last is None:
            raise Conflict(NOT_RENEWABLE, field="months")
        refused = await refusal(account)
        if refused:
            raise refused
        order_id = await open_order(
            account,
            quote_for(last, months, state.catalog),
            last,
            now,
            request_key=key,
        )
    return order_id


async def open_order(
    account: Account,
    quote: RenewalQuote,
    last: PeriodRecord,
    now: datetime,
    *,
    request_key: str | None = None,
    auto: bool = False,
    method: str = "",
) -> str:
    """The pending renewal order of the chain's last period at the quoted price (inside the caller's transaction)."""
    order_id, created = await orders.create_order(
        account=account,
        kind=OrderKind.RENEWAL,
        now=now,
        level=quote.level,
        months=quote.months,
        list_fen=quote.amount_fen,
        request_key=request_key,
        renews_period_id=last.id,
        quoted_at=now,
        auto=auto,
        method=method,
    )
    if created:
        await catalogs.stamp_version(order_id, quote.catalog_version)
        if quote.explanation is not None:
            await order_explanations.record(order_id, quote.explanation)
    return order_id


async def precheck(order: Order, now: datetime) -> None:
    """A renewal may be paid while the plan runs and the period it renews is still the chain's last one."""
    state = await plan_state(order.partner, now)
    last = chain_last(state) if state.current else None
    if last is None:
        renewed = next((p for p in state.history if p.id == order.renews_period_id), None)
        if renewed is None or renewed.status != PeriodStatus.ACTIVE:
            raise Conflict(PLAN_UNSUBSCRIBED)
        raise Conflict(PLAN_ENDED, end=format_datetime_cn(renewed.end))
    if last.id != order.renews_period_id:
        raise Conflict(ALREADY_RENEWED)
    if last.level != order.level:
        raise Conflict(LEVEL_CHANGED)
    refused = await refusal(await get_account(order.account))
    if refused:
        raise refused


async def fulfil(order: Order, now: datetime) -> None:
    """The new period starts right after the chain's end; the cash paid is its one charge for the whole period."""
    last = await plans.get_period(order.renews_period_id)
    start, end = renewal_period(last.end, order.months)
    await add_period(plan_id=last.plan, order=order, start=start, end=end, now=now)


# --------------------------------------------------------------------------------------------- auto-renew


def default_auto_months(state: PlanState) -> int:
    """The term auto-renew uses when none was chosen: the last period's (SPEC.md §8)."""
    last = chain_last(state)
    return last.months if last else 1


AUTO_RENEW_CHOICE = N_("请选择是否开启自动续费。")
NO_PLAN_FOR_AUTO_RENEW = N_("当前没有生效中的支持计划，不能设置自动续费。")
MAY_NOT_SWITCH_OFF = N_(
    "当前帐号不能为支持计划付款，不能更改自动续费设置。请由主帐号、开启自动续费的帐号或可续费的帐号关闭。"
)


async def payer_refusal(account: Account | None, partner_id: int) -> DomainError | None:
    """Why `account` may not pay for renewals of the company's plan, or None when it may (SPEC.md §1, §12).
    A renewal is paid from the balance of the account that places it, and who may place it is who may buy: on a
    certified partner the main account and its members, otherwise only a member whose company name is the main
    account's. The main account's 代付 always takes its own code: never a way to charge it without its action."""
    if account is None or account.partner != partner_id:
        return NotFound(N_("帐号不存在。"))
    return await refusal(account)


async def set_auto_renew(account: Account, enabled: str, months: int | None, now: datetime) -> PlanState:
    """The detail page's 自动续费 setting: on with a term, or off. The account that switches it on is its payer:
    the job charges that account's balance (SPEC.md §12), so only an account that may pay for renewals may switch
    it on. Switching it off is allowed to whoever could switch it on, to the payer, and to the main account."""
    if enabled not in ("on", "off"):
        raise DomainError(AUTO_RENEW_CHOICE, field="auto_renew")
    if enabled == "on" and (months is None or not is_valid_term(months)):
        raise DomainError(BAD_TERM, field="auto_renew_months")
    async with write_transaction():
        await lock_partner(account.partner)
        state = await plan_state(account.partner, now)
        if not state.current or state.plan_id is None:
            raise Conflict(NO_PLAN_FOR_AUTO_RENEW, field="auto_renew")
        refused = await refusal(account)
        if enabled == "on":
            if refused:
                raise PurchaseRefused(refused.message, field="auto_renew", **refused.params)
            await Plan.update(
                {Plan.auto_renew: True, Plan.auto_renew_months: months, Plan.auto_renew_payer: account.id}
            ).where(Plan.id == state.plan_id)
        else:
            if refused and not account.is_main and account.id != state.auto_renew_payer:
                raise PurchaseRefused(MAY_NOT_SWITCH_OFF, field="auto_renew")
            await Plan.update({Plan.auto_renew: False, Plan.auto_renew_payer: None}).where(Plan.id == state.plan_id)
    return await plan_state(account.partner, now)


def is_due(last: PeriodRecord, now: datetime) -> bool:
    """From the Beijing day 7 days before the end date, until the end."""
    today = to_beijing(now).date()
    return now <= last.end and today >= to_beijing(last.end).date() - timedelta(days=AUTO_RENEW_DAYS_BEFORE)
