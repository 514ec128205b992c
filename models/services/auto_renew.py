"""The daily auto-renew job (SPEC.md §8, §16): at 03:00 Beijing time from 7 days before a chain ends
(models.rules.renew_schedule), one attempt per plan per day renews it from the payer's balance (the account that
switched it on, SPEC.md §12). Safe to run again and from several workers at once: a unique key per period and day
decides who does the work. A failure is told, with the end date, to the payer and the main account (a reminder);
a success is a payment result, linked to its order."""

from __future__ import annotations

import logging
from datetime import datetime

from piccolo.columns.combination import Combinable

from models.db import is_unique_violation, lock_partner, write_transaction
from models.enums import NotificationKind, OrderStatus, PaymentMethod, RenewalOutcome
from models.records import Account, Period
from models.rules.money import format_datetime_cn, format_money
from models.rules.periods import is_valid_term
from models.rules.renew_schedule import due_attempt
from models.services import ledger, order_kinds, orders, payments
from models.services.accounts import find_account, main_account_of
from models.services.errors import DomainError, NotFound
from models.services.notifications import notify
from models.services.plans import plan_state
from models.services.renewal import (
    LEVEL_ZH,
    RenewalQuote,
    chain_last,
    open_order,
    payer_refusal,
    quote_for,
    term_zh,
)
from models.tables import Plan, RenewalAttempt

log = logging.getLogger("console.jobs")


class _Claimed(Exception):
    """Another run holds today's attempt for this period."""


async def _attempt(plan_id: int, partner_id: int, now: datetime) -> str | None:
    """One plan's attempt of the day, in one transaction: claim it, create the order, pay it from the payer's
    balance (the account that switched auto-renew on), notify. Returns the outcome, or None when there was nothing
    to do (or another run did it). A payer that left the company or may no longer pay fails the attempt: nobody
    else's balance is ever charged instead."""
    async with write_transaction():
        await lock_partner(partner_id)
        plan = (
            await Plan.select(Plan.auto_renew, Plan.auto_renew_months, Plan.auto_renew_payer)
            .where(Plan.id == plan_id)
            .first()
        )
        if not plan or not plan["auto_renew"]:
            return None
        state = await plan_state(partner_id, now)
        last = chain_last(state) if state.current else None
        if last is None:  # the plan ended (or was unsubscribed): so did its auto-renew, lest a new plan inherit it
            await Plan.update({Plan.auto_renew: False, Plan.auto_renew_payer: None}).where(Plan.id == plan_id)
            return None
        due = due_attempt(last.end, now)
        if due is None:  # before today's 03:00, before the first attempt, or after the end
            return None
        day = due.date().isoformat()
        key = f"{last.id}:{day}"
        if await RenewalAttempt.exists().where(RenewalAttempt.unique_key == key):
            return None
        try:  # the unique key decides between concurrent runs: whoever inserts it does the work
            await RenewalAttempt.insert(
                RenewalAttempt(
                    period=last.id, attempted_on=day, unique_key=key, outcome=RenewalOutcome.PENDING, created_at=now
                )
            )
        except Exception as exc:
            if is_unique_violation(exc):
                raise _Claimed from exc
            raise
        months = plan["auto_renew_months"] if is_valid_term(plan["auto_renew_months"]) else last.months
        quote = quote_for(last, months)
        what = f"合作伙伴支持计划（{LEVEL_ZH.get(quote.level, quote.level)}）自动续费{term_zh(months)}"
        amount = format_money(quote.amount_fen, "zh_CN")
        payer = await find_account(plan["auto_renew_payer"]) if plan["auto_renew_payer"] else None
        refused = await payer_refusal(payer, partner_id)
        if refused is not None or payer is None:
            outcome, order_id = RenewalOutcome.FAILED, None
            subject = "自动续费失败"
            if payer is None or isinstance(refused, NotFound):  # gone, or now another company's: never named
                payer = None
                reason = "开启自动续费的帐号已不属于贵公司"
            else:
                reason = f"开启自动续费的帐号 {payer.login} 不能为支持计划付款：{refused}"
            body = (
                f"{what}未能完成：{reason}，未从任何帐号扣款。请由可付款的帐号重新开启自动续费，"
                f"或在 {format_datetime_cn(last.end)} 前手动续费。"
            )
        else:
            outcome, order_id, subject, body = await _charge(payer, quote, last, what, amount, now)
        await RenewalAttempt.update({RenewalAttempt.outcome: outcome, RenewalAttempt.order_id: order_id}).where(
            RenewalAttempt.unique_key == key
        )
        kind = NotificationKind.PAYMENT_RESULT if outcome == RenewalOutcome.RENEWED else NotificationKind.REMINDER
        told = [payer.id] if payer is not None else []
        if outcome != RenewalOutcome.RENEWED:  # a failure is the main account's to know too (SPEC.md §16)
            main = await main_account_of(partner_id)
            if main is not None and main.id not in told:
                told.append(main.id)
        for account_id in told:
            await notify(account_id, subject, body, now, kind=kind, order_id=order_id)
    return outcome


async def _charge(
    payer: Account, quote: RenewalQuote, last: Period, what: str, amount: str, now: datetime
) -> tuple[RenewalOutcome, str, str, str]:
    """The renewal order placed by the payer and paid from its balance, or cancelled with the reason:
    (outcome, order id, subject, body of the notification)."""
    order_id = await open_order(payer, quote, last, now, auto=True, method=PaymentMethod.BALANCE)
    problem = None
    try:
        await order_kinds.precheck(await orders.get(order_id), now)
    except DomainError as exc:
        problem = str(exc)
    balance = await ledger.balance(payer.id)
    if problem is None and balance < quote.amount_fen:
        outcome = RenewalOutcome.INSUFFICIENT
        shortfall = format_money(quote.amount_fen - balance, "zh_CN")
        subject = "自动续费失败：余额不足"
        body = (
            f"{what}需从帐号 {payer.login} 的余额支付 {amount}，余额不足，还差 {shortfall}。"
            f"订单 {order_id} 已取消。请在 {format_datetime_cn(last.end)} 前充值，"
            f"我们将在明天再次尝试；您也可以手动续费。"
        )
    elif problem is not None:
        outcome = RenewalOutcome.FAILED
        subject = "自动续费失败"
        body = (
            f"{what}未能完成：{problem} 订单 {order_id} 已取消。"
            f"支持计划将于 {format_datetime_cn(last.end)} 到期，请在此之前手动续费。"
        )
    else:
        await payments.settle(order_id, now, payer_id=payer.id)
        outcome = RenewalOutcome.RENEWED
        subject = "自动续费成功"
        body = (
            f"{what}，已从帐号 {payer.login} 的余额支付 {amount}（订单 {order_id}）。"
            f"有效期延长至 {format_datetime_cn(quote.end)}。"
        )
    if outcome != RenewalOutcome.RENEWED:
        await orders.transition(await orders.get(order_id), OrderStatus.CANCELLED, now)
    return outcome, order_id, subject, body


async def auto_renew_due(now: datetime, partner_id: int | None = None) -> dict[str, int]:
    """The daily auto-renew job (SPEC.md §8, §16): every plan with auto-renew on whose attempt of the day is due
    (03:00 Beijing from 7 days before the end) tries once to renew from its payer's balance (the account that
    switched auto-renew on). `partner_id`: that company's plan only (the demo's 立即执行定时任务).
    Safe to run again and from several workers at once."""
    done = {"auto_renewed": 0, "auto_renew_failed": 0}
    where: Combinable = Plan.auto_renew.eq(True)
    if partner_id is not None:
        where = where & (Plan.partner == partner_id)
    plans = await Plan.select(Plan.id, Plan.partner).where(where).order_by(Plan.id)
    for plan in plans:
        try:
            outcome = await _attempt(plan["id"], plan["partner"], now)
        except _Claimed:
            continue
        except Exception as exc:  # one plan's trouble must not stop the others; the next run retries it
            if is_unique_violation(exc):
                continue
            log.exception("auto-renew of plan %s failed", plan["id"])
            done["auto_renew_failed"] += 1
            continue
        if outcome == RenewalOutcome.RENEWED:
            done["auto_renewed"] += 1
        elif outcome is not None:
            done["auto_renew_failed"] += 1
    return done
