"""Reminders by the scheduled job (SPEC.md §16), each once, safe with several workers at once:

- 30, 7 and 1 days before a plan's last period ends: when it ends, whether auto-renew is on and from whose balance;
  a run that comes late sends only the reminder of the window it is in (never 30 days' after 7 days' window began);
- before each auto-renew charge (CHARGE_NOTICE before the 03:00 attempt): when, how much, from whose balance and
  what that balance holds now.
(After each failed attempt the auto-renew job itself tells, with the end date: models/services/auto_renew.py.)

Each goes to the main account, and to the member who placed the last period's order and the auto-renew payer.
A reminder's unique key (ReminderSent) is inserted in the transaction of its notifications: whoever inserts it
sends; a concurrent run that loses the race rolls back and sends nothing."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from models.db import is_unique_violation, write_transaction
from models.enums import NotificationKind, PeriodStatus
from models.records import Period as PeriodRecord
from models.rules.money import format_datetime_cn, format_money
from models.rules.periods import is_valid_term
from models.rules.renew_schedule import CHARGE_NOTICE, next_attempt
from models.services import ledger
from models.services.accounts import find_account, main_account_of
from models.services.notifications import notify
from models.services.plans import PlanState, plan_state
from models.services.renewal import LEVEL_ZH, chain_last, quote_for, term_zh
from models.tables import Period, Plan, ReminderSent, SupportOrder

log = logging.getLogger("console.jobs")

#: Days before the end, largest first: each opens a window that lasts until the next one.
END_REMINDER_DAYS = (30, 7, 1)


class _Taken(Exception):
    """Another run sent this reminder first."""


def end_window(end: datetime, now: datetime) -> int | None:
    """Which end reminder a run at `now` sends: the days of the window it is in, or None before 30 days or after
    the end."""
    if now >= end:
        return None
    due = [days for days in END_REMINDER_DAYS if now >= end - timedelta(days=days)]
    return due[-1] if due else None


def end_key(period_id: int, days: int) -> str:
    return f"{period_id}:end-{days}"


def charge_key(period_id: int, attempt: datetime) -> str:
    return f"{period_id}:charge-{attempt.date().isoformat()}"


async def _recipients(state: PlanState, last: PeriodRecord) -> list[int]:
    """The main account first, then the member who placed the last period's order and the auto-renew payer."""
    told: list[int] = []
    main = await main_account_of(state.partner_id)
    if main is not None:
        told.append(main.id)
    placer = await SupportOrder.select(SupportOrder.account).where(SupportOrder.id == last.order).first()
    for account_id in (placer["account"] if placer else None, state.auto_renew_payer):
        if account_id is None or account_id in told:
            continue
        account = await find_account(account_id)
        if account is not None and account.partner == state.partner_id:  # never someone who left the company
            told.append(account_id)
    return told


async def _send_once(key: str, recipients: list[int], subject: str, body: str, now: datetime) -> bool:
    """The key and the notifications in one transaction; False when another run had sent it."""
    try:
        async with write_transaction():
            if await ReminderSent.exists().where(ReminderSent.unique_key == key):
                raise _Taken
            await ReminderSent.insert(ReminderSent(unique_key=key, created_at=now))
            for account_id in recipients:
                await notify(account_id, subject, body, now, kind=NotificationKind.REMINDER)
    except _Taken:
        return False
    except Exception as exc:
        if is_unique_violation(exc):
            return False
        raise
    return True


def _plan_name(last: PeriodRecord) -> str:
    return f"合作伙伴支持计划（{LEVEL_ZH.get(last.level, last.level)}）"


def _auto_renew_text(state: PlanState) -> str:
    if state.auto_renew and state.auto_renew_payer_login:
        return (
            f"自动续费已开启：到期前7天起每天 03:00 从帐号 {state.auto_renew_payer_login} 的余额"
            f"续费{term_zh(state.auto_renew_months)}，请确保余额充足。"
        )
    if state.auto_renew:
        return "自动续费已开启，但开启它的帐号已不属于贵公司，将无法扣款：请重新开启自动续费或手动续费。"
    return "自动续费未开启：请在到期前续费，到期后将恢复为基础级。"


async def _end_reminder(state: PlanState, last: PeriodRecord, days: int, now: datetime) -> bool:
    subject = f"支持计划将在{days}天内到期"
    body = f"您的{_plan_name(last)}将于 {format_datetime_cn(last.end)} 到期。{_auto_renew_text(state)}"
    return await _send_once(end_key(last.id, days), await _recipients(state, last), subject, body, now)


async def _charge_reminder(state: PlanState, last: PeriodRecord, attempt: datetime, now: datetime) -> bool:
    months = state.auto_renew_months if is_valid_term(state.auto_renew_months) else last.months
    quote = quote_for(last, months, state.catalog)
    payer = state.auto_renew_payer_login
    balance = await ledger.balance(state.auto_renew_payer) if state.auto_renew_payer else 0
    subject = "自动续费即将扣款"
    body = (
        f"{_plan_name(last)}将于 {format_datetime_cn(attempt)} 自动续费{term_zh(months)}，"
        f"从帐号 {payer} 的余额支付 {format_money(quote.amount_fen, 'zh_CN')}"
        f"（当前余额 {format_money(balance, 'zh_CN')}）。支持计划当前于 {format_datetime_cn(last.end)} 到期。"
    )
    return await _send_once(charge_key(last.id, attempt), await _recipients(state, last), subject, body, now)


async def _candidates(now: datetime, partner_id: int | None) -> list[tuple[int, int]]:
    """(period id, partner id) of the active periods ending within 30 days: only their plans can be due."""
    where = (
        (Period.status == PeriodStatus.ACTIVE)
        & (Period.end > now)
        & (Period.end <= now + timedelta(days=END_REMINDER_DAYS[0]))
    )
    if partner_id is not None:
        where = where & (Period.plan.partner == partner_id)
    rows = await Period.select(Period.id, Period.end, Period.plan.partner.as_alias("partner")).where(where)
    due = []
    for row in rows:
        days = end_window(row["end"], now)
        if days is not None and not await ReminderSent.exists().where(
            ReminderSent.unique_key == end_key(row["id"], days)
        ):
            due.append((row["id"], row["partner"]))
    return due


async def send_due(now: datetime, partner_id: int | None = None) -> int:
    """Sends the reminders due at `now` (`partner_id`: that company's only); returns how many were sent."""
    sent = 0
    partners = {partner for _period, partner in await _candidates(now, partner_id)}
    auto = Plan.auto_renew.eq(True) if partner_id is None else Plan.auto_renew.eq(True) & (Plan.partner == partner_id)
    partners |= {row["partner"] for row in await Plan.select(Plan.partner).where(auto)}
    for partner in sorted(partners):
        try:
            state = await plan_state(partner, now)
            last = chain_last(state) if state.current else None
            if last is None:
                continue
            days = end_window(last.end, now)
            if days is not None and await _end_reminder(state, last, days, now):
                sent += 1
            attempt = next_attempt(last.end, now) if state.auto_renew else None
            charge_soon = attempt is not None and now >= attempt - CHARGE_NOTICE
            if charge_soon and attempt is not None and await _charge_reminder(state, last, attempt, now):
                sent += 1
        except Exception:  # one company's trouble must not stop the others; the next run tries again
            log.exception("reminders of partner %s failed", partner)
    return sent
