"""The daily auto-renew job (SPEC.md §8): from 7 days before a chain ends, one attempt per plan per Beijing day
renews it from the holder's balance. Safe to run again and from several workers at once: a unique key per
period and day decides who does the work."""

from __future__ import annotations

import logging
from datetime import datetime

from models.db import is_unique_violation, lock_partner, write_transaction
from models.enums import OrderStatus, PaymentMethod, RenewalOutcome
from models.rules.money import format_datetime_cn, format_money
from models.rules.periods import is_valid_term, to_beijing
from models.services import ledger, order_kinds, orders, payments
from models.services.accounts import get_account
from models.services.errors import DomainError
from models.services.notifications import notify
from models.services.plans import plan_state
from models.services.renewal import LEVEL_ZH, chain_last, is_due, open_order, quote_for, term_zh
from models.tables import Plan, RenewalAttempt

log = logging.getLogger("console.jobs")


class _Claimed(Exception):
    """Another run holds today's attempt for this period."""


async def _attempt(plan_id: int, partner_id: int, now: datetime) -> str | None:
    """One plan's attempt of the day, in one transaction: claim it, create the order, pay it from the holder's
    balance, notify. Returns the outcome, or None when there was nothing to do (or another run did it)."""
    day = to_beijing(now).date().isoformat()
    async with write_transaction():
        await lock_partner(partner_id)
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
        holder = await get_account((await orders.get(last.order)).account)
        months = plan["auto_renew_months"] if is_valid_term(plan["auto_renew_months"]) else last.months
        quote = quote_for(last, months)
        order_id = await open_order(holder, quote, last, now, auto=True, method=PaymentMethod.BALANCE)
        what = f"合作伙伴支持计划（{LEVEL_ZH.get(quote.level, quote.level)}）自动续费{term_zh(months)}"
        amount = format_money(quote.amount_fen, "zh_CN")
        problem = None
        try:
            await order_kinds.precheck(await orders.get(order_id), now)
        except DomainError as exc:
            problem = str(exc)
        balance = await ledger.balance(holder.id)
        if problem is None and balance < quote.amount_fen:
            outcome = RenewalOutcome.INSUFFICIENT
            shortfall = format_money(quote.amount_fen - balance, "zh_CN")
            subject = "自动续费失败：余额不足"
            body = (
                f"{what}需从帐号 {holder.login} 的余额支付 {amount}，余额不足，还差 {shortfall}。"
                f"订单 {order_id} 已取消。请在 {format_datetime_cn(last.end)} 前充值，"
                f"我们将在明天再次尝试；您也可以手动续费。"
            )
        elif problem is not None:
            outcome = RenewalOutcome.FAILED
            subject = "自动续费失败"
            body = f"{what}未能完成：{problem} 订单 {order_id} 已取消。"
        else:
            await payments.settle(order_id, now, payer_id=holder.id)
            outcome = RenewalOutcome.RENEWED
            subject = "自动续费成功"
            body = (
                f"{what}，已从帐号 {holder.login} 的余额支付 {amount}（订单 {order_id}）。"
                f"有效期延长至 {format_datetime_cn(quote.end)}。"
            )
        if outcome != RenewalOutcome.RENEWED:
            await orders.transition(await orders.get(order_id), OrderStatus.CANCELLED, now)
        await RenewalAttempt.update({RenewalAttempt.outcome: outcome, RenewalAttempt.order_id: order_id}).where(
            RenewalAttempt.unique_key == key
        )
        await notify(holder.id, subject, body, now)
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
