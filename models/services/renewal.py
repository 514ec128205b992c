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

from models.db import is_postgres, write_transaction
from models.rules.money import format_datetime_cn, format_money, to_decimal, to_fen
from models.rules.periods import is_valid_term, renewal_period, to_beijing
from models.rules.pricing import PREMIUM, STANDARD, list_price
from models.services import orders
from models.services.accounts import get_account
from models.services.errors import N_, Conflict, DomainError
from models.services.notifications import notify
from models.services.plans import CATALOG, PlanState, plan_state
from models.services.purchase import PurchaseRefused, buyer_refusal
from models.tables import Account, Charge, Partner, Period, Plan, RenewalAttempt, SupportOrder

log = logging.getLogger("console.jobs")

#: Auto-renew starts this many Beijing calendar days before the end date of the chain (SPEC.md §8).
AUTO_RENEW_DAYS_BEFORE = 7

NOT_RENEWABLE = N_("当前为基础级，没有可续费的支持计划。如需标准级或尊享级服务，请通过“更改”购买。")
PLAN_ENDED = N_("支持计划已于 %(end)s 到期，不能再为它续费。如需继续使用，请通过“更改”重新购买。")
PLAN_UNSUBSCRIBED = N_("支持计划已退订，不能再为它续费。如需继续使用，请通过“更改”重新购买。")
ALREADY_RENEWED = N_("支持计划的有效期已发生变化（已续费或已退订），此续费订单不能再支付。请重新续费。")
LEVEL_CHANGED = N_("支持计划的规格已变更，此续费订单不能再支付。请重新续费。")
BAD_TERM = N_("请选择续费时长：1至11个月，或1至3年。")

# Notifications are written in Chinese (the source language), like every other one.
_LEVEL_ZH = {STANDARD: "标准级", PREMIUM: "尊享级"}


def _term_zh(months: int) -> str:
    return f"{months // 12}年" if months % 12 == 0 else f"{months}个月"


def chain_last(state: PlanState) -> dict | None:
    """The last period of the running chain (current + paid renewals after it), or None for a Basic plan."""
    chain = ([state.current] if state.current else []) + state.upcoming
    return chain[-1] if chain else None


def check_term(months: int | None) -> int:
    if months is None or not is_valid_term(months):
        raise DomainError(BAD_TERM, field="months")
    return months


def price_fen(level: str, months: int) -> int:
    """Monthly price × months (12 × for a year, less the catalog's yearly discount, none by default)."""
    return to_fen(list_price(level, months, CATALOG))


@dataclass(frozen=True)
class RenewalQuote:
    """What renewing now for `months` would buy: shown on 续费管理, charged at 去支付."""

    level: str
    months: int
    current_end: datetime
    start: datetime
    end: datetime
    amount_fen: int

    @property
    def amount(self) -> Decimal:
        return to_decimal(self.amount_fen)


def quote_for(last: dict, months: int) -> RenewalQuote:
    start, end = renewal_period(last["end"], months)
    return RenewalQuote(
        level=last["level"],
        months=months,
        current_end=last["end"],
        start=start,
        end=end,
        amount_fen=price_fen(last["level"], months),
    )


refusal = buyer_refusal  # who may renew is who may buy (SPEC.md §1)


@dataclass
class RenewPage:
    state: PlanState
    last: dict | None  # None: Basic, nothing to renew
    refusal: PurchaseRefused | None


async def renew_page(account: dict, now: datetime) -> RenewPage:
    state = await plan_state(account["partner"], now)
    last = chain_last(state) if state.current else None
    return RenewPage(state=state, last=last, refusal=await refusal(account) if last else None)


async def place(account: dict, months: int | None, request_key: str | None, now: datetime) -> str:
    """续费管理 → 去支付: a pending renewal order of the chain's last period, at the price the page showed.
    The same form sent twice (same key and term) finds the first order."""
    months = check_term(months)
    async with write_transaction():
        state = await plan_state(account["partner"], now)
        last = chain_last(state) if state.current else None
        if last is None:
            raise Conflict(NOT_RENEWABLE, field="months")
        refused = await refusal(account)
        if refused:
            raise refused
        quote = quote_for(last, months)
        order_id, _ = await orders.create_order(
            account=account,
            kind="renewal",
            now=now,
            level=quote.level,
            months=months,
            list_fen=quote.amount_fen,
            request_key=f"{request_key[:48]}:{months}" if request_key else None,
            renews_period_id=last["id"],
            quoted_at=now,
        )
    return order_id


async def _precheck(order: dict, now: datetime) -> None:
    """A renewal may be paid while the plan runs and the period it renews is still the chain's last one."""
    state = await plan_state(order["partner"], now)
    last = chain_last(state) if state.current else None
    if last is None:
        renewed = next((p for p in state.history if p["id"] == order["renews_period_id"]), None)
        if renewed is None or renewed["status"] != "active":
            raise Conflict(PLAN_UNSUBSCRIBED)
        raise Conflict(PLAN_ENDED, end=format_datetime_cn(renewed["end"]))
    if last["id"] != order["renews_period_id"]:
        raise Conflict(ALREADY_RENEWED)
    if last["level"] != order["level"]:
        raise Conflict(LEVEL_CHANGED)
    refused = await refusal(await get_account(order["account"]))
    if refused:
        raise refused


async def _fulfil(order: dict, now: datetime) -> None:
    """The new period starts right after the chain's end; the cash paid is its one charge for the whole period."""
    last = await Period.select().where(Period.id == order["renews_period_id"]).first()
    start, end = renewal_period(last["end"], order["months"])
    period = (
        await Period.insert(
            Period(
                plan=last["plan"],
                order=order["id"],
                level=order["level"],
                months=order["months"],
                is_renewal=True,
                start=start,
                end=end,
                paid_at=now,
            )
        ).returning(Period.id)
    )[0]
    await Charge.insert(
        Charge(period=period["id"], order_id=order["id"], amount_fen=order["due_fen"], span_start=start, span_end=end)
    )


orders.register_kind("renewal", orders.OrderKind(precheck=_precheck, fulfil=_fulfil, describe=N_("续费")))


# --------------------------------------------------------------------------------------------- auto-renew


def default_auto_months(state: PlanState) -> int:
    """The term auto-renew uses when none was chosen: the last period's (SPEC.md §8)."""
    last = chain_last(state)
    return last["months"] if last else 1


async def set_auto_renew(account: dict, enabled: str, months: int | None, now: datetime) -> PlanState:
    """The detail page's 自动续费 setting: on with a term, or off. Switching it on takes the same right as
    renewing (it will charge the balance); switching it off is always allowed to the company's accounts."""
    if enabled not in ("on", "off"):
        raise DomainError(N_("请选择是否开启自动续费。"), field="auto_renew")
    if enabled == "on" and (months is None or not is_valid_term(months)):
        raise DomainError(BAD_TERM, field="auto_renew_months")
    async with write_transaction():
        state = await plan_state(account["partner"], now)
        if not state.current or state.plan_id is None:
            raise Conflict(N_("当前没有生效中的支持计划，不能设置自动续费。"), field="auto_renew")
        if enabled == "on":
            refused = await refusal(account)
            if refused:
                raise PurchaseRefused(refused.message, field="auto_renew", **refused.params)
            await Plan.update({Plan.auto_renew: True, Plan.auto_renew_months: months}).where(Plan.id == state.plan_id)
        else:
            await Plan.update({Plan.auto_renew: False}).where(Plan.id == state.plan_id)
    return await plan_state(account["partner"], now)


def is_due(last: dict, now: datetime) -> bool:
    """From the Beijing day 7 days before the end date, until the end."""
    today = to_beijing(now).date()
    return now <= last["end"] and today >= to_beijing(last["end"]).date() - timedelta(days=AUTO_RENEW_DAYS_BEFORE)


def _is_unique_violation(exc: BaseException) -> bool:
    import sqlite3

    if isinstance(exc, sqlite3.IntegrityError):
        return "UNIQUE" in str(exc).upper()
    try:
        from asyncpg.exceptions import UniqueViolationError
    except ImportError:  # pragma: no cover - asyncpg is a dependency
        return False
    return isinstance(exc, UniqueViolationError)


class _Claimed(Exception):
    """Another run holds today's attempt for this period."""


async def _attempt(plan_id: int, partner_id: int, now: datetime) -> str | None:
    """One plan's attempt of the day, in one transaction: claim it, create the order, pay it from the holder's
    balance, notify. Returns the outcome, or None when there was nothing to do (or another run did it)."""
    day = to_beijing(now).date().isoformat()
    async with write_transaction():
        if is_postgres():  # one payment at a time per company, as payments.settle does
            await Partner.select(Partner.id).where(Partner.id == partner_id).lock_rows()
        plan = await Plan.select(Plan.auto_renew, Plan.auto_renew_months).where(Plan.id == plan_id).first()
        if not plan or not plan["auto_renew"]:
            return None
        state = await plan_state(partner_id, now)
        last = chain_last(state) if state.current else None
        if last is None:  # the plan ended (or was unsubscribed): so did its auto-renew, lest a new plan inherit it
            await Plan.update({Plan.auto_renew: False}).where(Plan.id == plan_id)
            return None
        if not is_due(last, now):
            return None
        key = f"{last['id']}:{day}"
        if await RenewalAttempt.exists().where(RenewalAttempt.unique_key == key):
            return None
        try:  # the unique key decides between concurrent runs: whoever inserts it does the work
            await RenewalAttempt.insert(
                RenewalAttempt(period=last["id"], attempted_on=day, unique_key=key, outcome="", created_at=now)
            )
        except Exception as exc:
            if _is_unique_violation(exc):
                raise _Claimed from exc
            raise
        holder_row = await SupportOrder.select(SupportOrder.account).where(SupportOrder.id == last["order"]).first()
        holder = await get_account(holder_row["account"])
        months = plan["auto_renew_months"] if is_valid_term(plan["auto_renew_months"]) else last["months"]
        quote = quote_for(last, months)
        order_id, _ = await orders.create_order(
            account=holder,
            kind="renewal",
            now=now,
            level=quote.level,
            months=months,
            list_fen=quote.amount_fen,
            renews_period_id=last["id"],
            quoted_at=now,
            auto=True,
        )
        await SupportOrder.update({SupportOrder.method: "balance"}).where(SupportOrder.id == order_id)
        what = f"合作伙伴支持计划（{_LEVEL_ZH.get(quote.level, quote.level)}）自动续费{_term_zh(months)}"
        amount = format_money(quote.amount_fen, "zh_CN")
        problem = None
        try:
            await orders.precheck(await orders.get(order_id), now)
        except DomainError as exc:
            problem = str(exc)
        balance = (await Account.select(Account.balance_fen).where(Account.id == holder["id"]).first())["balance_fen"]
        if problem is None and balance < quote.amount_fen:
            outcome = "insufficient"
            shortfall = format_money(quote.amount_fen - balance, "zh_CN")
            subject = "自动续费失败：余额不足"
            body = (
                f"{what}需从帐号 {holder['login']} 的余额支付 {amount}，余额不足，还差 {shortfall}。"
                f"订单 {order_id} 已取消。请在 {format_datetime_cn(last['end'])} 前充值，"
                f"我们将在明天再次尝试；您也可以手动续费。"
            )
        elif problem is not None:
            outcome = "failed"
            subject = "自动续费失败"
            body = f"{what}未能完成：{problem} 订单 {order_id} 已取消。"
        else:
            from models.services import payments  # payments imports every order kind, this one included

            await payments.settle(order_id, now, payer_id=holder["id"])
            outcome = "renewed"
            subject = "自动续费成功"
            body = (
                f"{what}，已从帐号 {holder['login']} 的余额支付 {amount}（订单 {order_id}）。"
                f"有效期延长至 {format_datetime_cn(quote.end)}。"
            )
        if outcome != "renewed":
            await SupportOrder.update({SupportOrder.status: orders.CANCELLED, SupportOrder.closed_at: now}).where(
                (SupportOrder.id == order_id) & (SupportOrder.status == orders.PENDING)
            )
        await RenewalAttempt.update({RenewalAttempt.outcome: outcome, RenewalAttempt.order_id: order_id}).where(
            RenewalAttempt.unique_key == key
        )
        await notify(holder["id"], subject, body, now)
    return outcome


async def auto_renew_due(now: datetime) -> dict[str, int]:
    """The daily auto-renew job (SPEC.md §8): every plan with auto-renew on whose chain ends within 7 days tries
    once per Beijing day to renew from its holder's balance (the account that bought the last period).
    Safe to run again and from several workers at once."""
    done = {"auto_renewed": 0, "auto_renew_failed": 0}
    plans = await Plan.select(Plan.id, Plan.partner).where(Plan.auto_renew.eq(True)).order_by(Plan.id)
    for plan in plans:
        try:
            outcome = await _attempt(plan["id"], plan["partner"], now)
        except _Claimed:
            continue
        except Exception as exc:  # one plan's trouble must not stop the others; the next run retries it
            if _is_unique_violation(exc):
                continue
            log.exception("auto-renew of plan %s failed", plan["id"])
            done["auto_renew_failed"] += 1
            continue
        if outcome == "renewed":
            done["auto_renewed"] += 1
        elif outcome is not None:
            done["auto_renew_failed"] += 1
    return done
