"""Unsubscribing a plan (退订, guide chapter 6; SPEC.md §5): the quote, the five-day rule, the refund.

One quote function serves the page and the submission, so the amounts shown are the amounts refunded
(`quote` → page; `submit` recomputes with the same function inside the refunding transaction and never
trusts posted numbers).

Decisions, stated once:
- **What is refunded**: every period still running or to come (the current one and paid renewals), together;
  the plan is then Basic. Periods are marked `refunded`, not shortened.
- **Five-day no-reason unsubscribe** covers the purchase as it was bought: the current period must be a new
  purchase (`Period.is_renewal` False), paid at most 120 hours ago (the 120th hour included), with no charge
  from any other order — a change of level (an upgrade, or a downgrade after one) is not a new purchase, so a
  changed period is always unsubscribed with fee and consumed amount. The quota is counted per account (the
  one unsubscribing) per Beijing natural year from `Unsubscription.five_day`, against `Settings.five_day_quota`.
  Renewals not started are refunded whole in either case (the rule in `refunds.unsubscribe_row`).
- **Vouchers** (代金券) used on the orders of the refunded periods are re-issued on a five-day unsubscribe;
  discount coupons never are (their effect is already in the cash paid).
- **Where the money goes**: each period's refund is credited to the balance of the account that paid its
  purchase or renewal order (the main account for 合作伙伴代付, otherwise the account that placed it; an order
  paid online or by contract is refunded to the placing account's balance, as the guide's 退还余额 says).
  Any account of the company may unsubscribe the company's plan.
- **Auto-renew** is switched off: a Basic plan has nothing to renew.
- **A refund is paid only at the amounts the confirmed page showed** (SPEC.md §12): the form carries them back
  (`Shown`: the total refund in fen and a digest of every amount on the page, per period). The submission
  recomputes inside the refunding transaction, after the company's lock, and refuses with `QuoteStale` (409,
  carrying the fresh quote) before anything is written when the amounts differ (another tab changed the plan,
  the hour turned), or when the form carried none (an old tab, a hand-made request).
- **Amounts depend on the hour**: a quote carries `computed_at` (now, floored to the hour). A submission whose
  `computed_at` is not the current hour is refused the same way, even when the amounts came out the same (the
  page says so, and promises it: "过了整点再提交，金额将重新计算并请您再次确认").
- **Refund orders** (SPEC.md §13): an unsubscribe makes one order of its own, kind `unsubscribe` (退订) — or
  `unsub_renewals` (退订续费周期) when only the renewals not started are unsubscribed: a distinct kind, so that 订单管理
  filters and names it — created 已退款 with the refunded amount, the reason and comment, closed at the moment of the
  refund. Every ledger credit of the unsubscribe names it (their sum is its amount), and it is linked
  (OrderReversal, models.services.reversals) to the orders whose charges it gives back, period by period; those
  orders turn 已退订 when none of their charges is left on a period that runs on. The Unsubscription row keeps the
  amounts and points at its refund order.
- **退订续费周期** (`renewals_only`): when the plan has renewal periods that have not started, the page offers to
  unsubscribe only those: each is refunded in full (the sum of its charges: no consumed amount, no fee, no five-day
  quota used), the current period is kept, auto-renew is switched off. Same guarantees as the whole unsubscribe
  (the amounts shown are the amounts refunded, one transaction, a double submit refunds once).
- **Double submit**: the form's request key is the list of period ids it quoted (`period_key`). Those periods
  are marked refunded in the same transaction that writes the Unsubscription, whose `created_at` equals the
  refunded orders' `closed_at`; a second submission for periods already refunded finds that Unsubscription and
  returns it (`replayed=True`). No extra column is needed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from piccolo.columns.combination import Combinable

from models.db import MAX_SERIAL, lock_partner, write_transaction
from models.enums import (
    CouponKind,
    LedgerKind,
    Level,
    NotificationKind,
    OrderKind,
    OrderStatus,
    PeriodStatus,
    Staleness,
)
from models.records import Account, Order
from models.records import Period as PeriodRecord
from models.records import Unsubscription as UnsubscriptionRecord
from models.rules.money import format_money, to_fen
from models.rules.periods import BEIJING, hour_floor, to_beijing
from models.rules.refunds import (
    FIVE_DAY_WINDOW,
    RefundChange,
    UnsubscribeRow,
    UnsubscribeTotals,
    five_day_eligible,
    five_day_remaining_after,
    next_refund_changes,
    quota_year_end,
    unsubscribe_quote,
)
from models.services import coupons, ledger, order_explanations, orders, reversals
from models.services.errors import N_, Conflict, DomainError, NotFound
from models.services.notifications import notify
from models.services.plans import plan_state
from models.tables import Charge, Coupon, LedgerEntry, OrderReversal, Period, Plan, SupportOrder, Unsubscription

#: 请选择退订原因 (SPEC.md §5): stored code → message id.
REASONS: dict[str, str] = {
    "wrong_spec": N_("购买云服务时选择参数错误"),
    "surplus": N_("业务部署后，退订多购买的云服务"),
    "test_done": N_("业务测试完毕退订"),
    "hard_to_use": N_("云服务不好用"),
    "unsuitable": N_("云服务不满足业务部署需求"),
    "unfixable": N_("云服务故障无法修复"),
    "other": N_("其他"),
}
OTHER = "other"
COMMENT_MAX = 500
#: Orders whose money sits in a period's charges and is given back with it.
REFUNDABLE_KINDS = (OrderKind.PURCHASE, OrderKind.RENEWAL, OrderKind.UPGRADE)

NOT_FIVE_DAY_RENEWAL = N_("当前周期为续费周期，不适用五天无理由退订。")
NOT_FIVE_DAY_CHANGED = N_("当前周期在购买后变更过规格，不再是新购，不适用五天无理由退订。")
NOT_FIVE_DAY_LATE = N_("距支付已超过5×24小时，不适用五天无理由退订。")
NOT_FIVE_DAY_QUOTA = N_("本年度五天无理由退订次数已用完。")
NO_RENEWALS_TO_COME = N_("该支持计划没有未生效的续费周期，无法仅退订续费周期。")
#: The refund order of each kind of unsubscribe.
REFUND_KIND = {False: OrderKind.UNSUBSCRIBE, True: OrderKind.UNSUBSCRIBE_RENEWALS}


#: How far back a page's `computed_at` is believed when telling "the hour turned" from "the plan changed".
PAGE_AGE_BELIEVED = timedelta(days=2)


class AlreadyBasic(Conflict):
    def __init__(self) -> None:
        super().__init__(N_("贵公司的支持计划当前为基础级，没有可退订的支持计划。"))


@dataclass(frozen=True)
class QuoteLine:
    """One row of the fee table: a period with what it was bought by and its amounts."""

    period_id: int
    order_id: str
    level: str
    months: int
    is_renewal: bool
    start: datetime
    end: datetime
    not_started: bool
    row: UnsubscribeRow


@dataclass(frozen=True)
class Shown:
    """The amounts a confirmed page showed, as its form carries them back: the total refund (退还余额) in fen and
    a digest of every amount in the fee table and the summary (`UnsubscribeQuote.digest`)."""

    refund_fen: int
    digest: str


@dataclass(frozen=True)
class UnsubscribeQuote:
    plan_id: int
    level: str
    lines: tuple[QuoteLine, ...]
    totals: UnsubscribeTotals
    five_day: bool
    not_five_day_because: str | None  # message id, when a new purchase misses the five-day rule
    quota: int
    used_this_year: int
    remaining_after: int  # five-day unsubscribes left this year once this one is done
    year_end: date
    computed_at: datetime  # the hour the amounts were computed for (Beijing, floored)
    renewals_only: bool = False  # 退订续费周期: only the renewal periods not started
    renewals_to_come: bool = False  # the plan has renewal periods not started (the page offers 退订续费周期)
    five_day_ends: datetime | None = None  # the end of the five-day no-reason window, while this quote is in it
    changes: tuple[RefundChange, ...] = ()  # when the refund next changes, and to what (soonest first)

    @property
    def period_key(self) -> str:
        """The form's request key: the periods this quote refunds."""
        return ",".join(str(line.period_id) for line in self.lines)

    def amounts(self) -> tuple[bool, tuple[int, ...], tuple[tuple[int, ...], ...]]:
        """Every amount a person reads on the page, in fen: the five-day rule, the summary, each period's row."""
        t = self.totals
        return (
            self.five_day,
            tuple(to_fen(x) for x in (t.paid, t.consumed, t.fee, t.refund)),
            tuple(
                (
                    line.period_id,
                    *(to_fen(x) for x in (line.row.paid, line.row.consumed, line.row.fee, line.row.refund)),
                )
                for line in self.lines
            ),
        )

    @property
    def digest(self) -> str:
        """A short fingerprint of `amounts()`, carried by the form (hex, 32 characters)."""
        five_day, totals, rows = self.amounts()
        text = "|".join(
            [
                "v1",
                "renewals" if self.renewals_only else "all",
                "five_day" if five_day else "fee",
                ":".join(map(str, totals)),
                ";".join(":".join(map(str, row)) for row in rows),
            ]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    @property
    def shown(self) -> Shown:
        """What the page built from this quote shows, as its form carries it back."""
        return Shown(refund_fen=to_fen(self.totals.refund), digest=self.digest)


STALE_MESSAGES = {
    Staleness.HOUR_SAME: N_(
        "退订金额按整点计算，您提交时已过整点，金额已按 %(time)s 重新计算（金额未变）。未做任何退订，请核对后再次确认并提交。"
    ),
    Staleness.HOUR_CHANGED: N_(
        "退订金额按整点计算，您提交时金额已按 %(time)s 重新计算并发生了变化。未做任何退订，请核对新的金额后再次确认并提交。"
    ),
    Staleness.PLAN_CHANGED: N_(
        "自此页面显示以来，支持计划已发生变化（例如在其他页面变更了规格或续费），退订金额已按 %(time)s 重新计算并发生了变化。未做任何退订，请核对新的金额后再次确认并提交。"
    ),
    Staleness.MISSING: N_(
        "提交的页面没有带回它显示的退订金额（可能是较早打开的页面），退订金额已按 %(time)s 重新计算。未做任何退订，请核对下面的金额后再次确认并提交。"
    ),
}


class QuoteStale(Conflict):
    """The page's amounts are not the ones that would be refunded now (or it carried none): show the fresh ones
    first. Nothing was written."""

    def __init__(self, fresh: UnsubscribeQuote, why: Staleness) -> None:
        super().__init__(STALE_MESSAGES[why], time=fresh.computed_at.strftime("%Y/%m/%d %H:%M:%S"))
        self.fresh = fresh
        self.why = why

    @property
    def changed(self) -> bool:
        """True when an amount differs from the page's (or the page carried none)."""
        return self.why != Staleness.HOUR_SAME


@dataclass(frozen=True)
class Outcome:
    unsubscription_id: int
    replayed: bool  # True: this submission had already been done; nothing was refunded twice


def year_bounds(now: datetime) -> tuple[datetime, datetime]:
    """[1 Jan 00:00, next 1 Jan 00:00) of the Beijing natural year of `now`."""
    year = to_beijing(now).year
    return datetime(year, 1, 1, tzinfo=BEIJING), datetime(year + 1, 1, 1, tzinfo=BEIJING)


async def five_day_used(account_id: int, now: datetime) -> int:
    """Five-day unsubscribes this account made in the Beijing natural year of `now`."""
    start, end = year_bounds(now)
    return await Unsubscription.count().where(
        (Unsubscription.account == account_id)
        & Unsubscription.five_day.eq(True)
        & (Unsubscription.created_at >= start)
        & (Unsubscription.created_at < end)
    )


async def _foreign_charges(period: PeriodRecord) -> bool:
    """True when some charge of the period came from another order than the one that bought it (a change)."""
    return await Charge.exists().where((Charge.period == period.id) & (Charge.order_id != period.order))


async def quote(account: Account, now: datetime, quota: int, *, renewals_only: bool = False) -> UnsubscribeQuote:
    """What unsubscribing now would refund (the page, and the submission: the same function). RENEWALS_ONLY: only
    the renewal periods not started (退订续费周期), refused (Conflict) when there are none."""
    state = await plan_state(account.partner, now)
    if state.current is None or state.level == Level.BASIC or state.plan_id is None:
        raise AlreadyBasic()
    chain = [state.current, *state.upcoming]
    used = await five_day_used(account.id, now)
    current = state.current
    to_come = [(p, v) for p, v in zip(chain, state.views, strict=False) if now < v.start and p.is_renewal]
    reason = None
    if renewals_only:
        if not to_come:
            raise Conflict(NO_RENEWALS_TO_COME)
        reason = None
    elif current.is_renewal:
        reason = NOT_FIVE_DAY_RENEWAL
    elif await _foreign_charges(current):
        reason = NOT_FIVE_DAY_CHANGED
    elif not five_day_eligible(True, current.paid_at, now, used_this_year=0, yearly_quota=1):  # the window alone
        reason = NOT_FIVE_DAY_LATE
    elif not five_day_eligible(True, current.paid_at, now, used, quota):
        reason = NOT_FIVE_DAY_QUOTA
    five_day = reason is None and not renewals_only
    live = to_come if renewals_only else [(p, v) for p, v in zip(chain, state.views, strict=False) if now <= v.end]
    views = [v for _, v in live]
    rows, totals = unsubscribe_quote(views, now, five_day)
    five_day_ends = current.paid_at + FIVE_DAY_WINDOW if five_day else None
    lines = tuple(
        QuoteLine(
            period_id=p.id,
            order_id=p.order,
            level=p.level,
            months=p.months,
            is_renewal=p.is_renewal,
            start=p.start,
            end=p.end,
            not_started=now < v.start,
            row=row,
        )
        for (p, v), row in zip(live, rows, strict=False)
    )
    remaining = five_day_remaining_after(used, quota) if five_day else max(0, quota - used)
    return UnsubscribeQuote(
        plan_id=state.plan_id,
        level=state.level,
        lines=lines,
        totals=totals,
        five_day=five_day,
        not_five_day_because=reason,
        quota=quota,
        used_this_year=used,
        remaining_after=remaining,
        year_end=quota_year_end(now),
        computed_at=hour_floor(now),
        renewals_only=renewals_only,
        renewals_to_come=bool(to_come),
        five_day_ends=five_day_ends,
        changes=tuple(next_refund_changes(views, now, five_day_ends)),
    )


def check_form(reason: str, comment: str, confirmed: bool) -> list[DomainError]:
    """Every problem of the form at once, each for its field."""
    problems: list[DomainError] = []
    if reason not in REASONS:
        problems.append(DomainError(N_("请选择退订原因。"), field="reason"))
    text = comment.strip()
    if len(text) > COMMENT_MAX:
        problems.append(
            DomainError(
                N_("退订原因说明不能超过%(max)s个字符（当前%(count)s个）。"),
                field="comment",
                max=COMMENT_MAX,
                count=len(text),
            )
        )
    elif reason == OTHER and not text:
        problems.append(DomainError(N_("选择“其他”时，请填写退订原因说明（1至500个字符）。"), field="comment"))
    if not confirmed:
        problems.append(DomainError(N_("请勾选“我已确认本次退订金额和相关费用。”"), field="confirm"))
    return problems


def parse_period_key(key: str | None) -> list[int]:
    """The period ids of a form's `periods` field; [] for anything else (ASCII digits only, ids of 9 digits at most
    so that every engine's integer column takes them)."""
    ids = []
    for part in (key or "").split(",")[:1000]:
        part = part.strip()
        if not (part.isascii() and part.isdigit()) or len(part) > 9:
            return []
        ids.append(int(part))
    return ids


async def _replayed(account: Account, period_key: str | None) -> int | None:
    """The Unsubscription that already refunded exactly these periods of this company's plan, if any."""
    ids = parse_period_key(period_key)
    if not ids:
        return None
    periods = await Period.select(
        Period.id,
        Period.status,
        Period.plan,
        Period.order.closed_at.as_alias("closed_at"),
        Period.plan.partner.as_alias("partner"),
    ).where(Period.id.is_in(ids))
    if len(periods) != len(set(ids)) or any(
        p["partner"] != account.partner or p["status"] != PeriodStatus.REFUNDED for p in periods
    ):
        return None
    linked = await OrderReversal.select(OrderReversal.refund_order).where(
        OrderReversal.period.is_in(ids)
        & OrderReversal.refund_order.kind.is_in([OrderKind.UNSUBSCRIBE, OrderKind.UNSUBSCRIBE_RENEWALS])
    )
    if linked:
        by_order = (
            await Unsubscription.select(Unsubscription.id)
            .where(Unsubscription.order_id.is_in([r["refund_order"] for r in linked]))
            .order_by(Unsubscription.id, ascending=False)
            .first()
        )
        if by_order:
            return int(by_order["id"])
    plan_id, closed_at = periods[0]["plan"], periods[0]["closed_at"]
    found = (
        await Unsubscription.select(Unsubscription.id)
        .where((Unsubscription.plan == plan_id) & (Unsubscription.created_at == closed_at))
        .first()
    )
    if found is None:
        found = (
            await Unsubscription.select(Unsubscription.id)
            .where(Unsubscription.plan == plan_id)
            .order_by(Unsubscription.id, ascending=False)
            .first()
        )
    return found["id"] if found else None


async def _still_same(
    account: Account,
    fresh: UnsubscribeQuote,
    shown: Shown | None,
    computed_at: datetime | None,
    now: datetime,
    quota: int,
) -> None:
    """Refuse (QuoteStale) unless the page showed exactly the amounts that would be refunded now, for this hour."""
    same_hour = computed_at is not None and hour_floor(computed_at) == fresh.computed_at
    if shown is None:
        raise QuoteStale(fresh, Staleness.MISSING)
    if shown == fresh.shown:
        if same_hour:
            return
        raise QuoteStale(fresh, Staleness.HOUR_SAME)
    # The amounts differ: did the hour turn under an unchanged plan, or did the plan change?
    if computed_at is not None and not same_hour and now - PAGE_AGE_BELIEVED <= computed_at <= now:
        try:
            earlier = await quote(account, computed_at, quota, renewals_only=fresh.renewals_only)
        except DomainError:
            earlier = None
        if earlier is not None and earlier.shown == shown:
            raise QuoteStale(fresh, Staleness.HOUR_CHANGED)
    raise QuoteStale(fresh, Staleness.PLAN_CHANGED)


async def submit(
    account: Account,
    *,
    reason: str,
    comment: str,
    confirmed: bool,
    period_key: str | None,
    computed_at: datetime | None,
    shown: Shown | None,
    now: datetime,
    quota: int,
    renewals_only: bool = False,
) -> Outcome:
    """退订: recompute, refund every period (RENEWALS_ONLY: the renewals not started) to the balance, make the refund
    order, store the reason, mark the orders 已退订 — one transaction. Bad input, a plan already Basic or a page whose
    amounts (`shown`) are not the ones recomputed now change nothing."""
    problems = check_form(reason, comment, confirmed)
    if problems:
        raise problems[0]
    comment = comment.strip() if reason == OTHER or comment.strip() else ""
    async with write_transaction():
        await lock_partner(account.partner)  # one change at a time per company: its plan is one chain
        earlier = await _replayed(account, period_key)
        if earlier is not None:
            return Outcome(earlier, replayed=True)
        fresh = await quote(
            account, now, quota, renewals_only=renewals_only
        )  # after the lock: what would be refunded is final until commit
        await _still_same(account, fresh, shown, computed_at, now, quota)
        unsubscription_id = await _refund(account, fresh, reason, comment, now)
    return Outcome(unsubscription_id, replayed=False)


async def _reversed_orders(plan_id: int, period_ids: list[int], quoted_orders: set[str], now: datetime) -> list[str]:
    """The orders an unsubscribe of PERIOD_IDS reverses wholly: those with money on these periods (the orders that
    bought them and those with charges on them) and none left on a period that runs on (not refunded, not over)."""
    charge_rows = await Charge.select(Charge.order_id, Charge.period).where(
        Charge.order_id.is_in(
            [c["order_id"] for c in await Charge.select(Charge.order_id).where(Charge.period.is_in(period_ids))]
            + sorted(quoted_orders)
        )
    )
    candidates = quoted_orders | {c["order_id"] for c in charge_rows}
    running = await Period.select(Period.id, Period.order).where(
        (Period.plan == plan_id) & (Period.status == PeriodStatus.ACTIVE) & (Period.end >= now)
    )
    running_ids = {p["id"] for p in running}
    keep = {p["order"] for p in running} | {c["order_id"] for c in charge_rows if c["period"] in running_ids}
    return sorted(candidates - keep)


async def _refund(account: Account, q: UnsubscribeQuote, reason: str, comment: str, now: datetime) -> int:
    period_ids = [line.period_id for line in q.lines]
    await Period.update({Period.status: PeriodStatus.REFUNDED}).where(
        Period.id.is_in(period_ids) & (Period.status == PeriodStatus.ACTIVE)
    )
    t = q.totals
    refund_fen = to_fen(t.refund)
    refund_order, _ = await orders.create_order(
        account=account,
        kind=REFUND_KIND[q.renewals_only],
        now=now,
        list_fen=refund_fen,
        level=q.level,
        status=orders.initial_status(REFUND_KIND[q.renewals_only]),
        refund_reason=reason,
        refund_comment=comment,
    )
    await order_explanations.record(refund_order, t.refund_x)
    order_ids = await _reversed_orders(q.plan_id, period_ids, {line.order_id for line in q.lines}, now)
    refunded_ids = await orders.transition_where(
        SupportOrder.id.is_in(order_ids or [""]) & SupportOrder.kind.is_in(list(REFUNDABLE_KINDS)),
        OrderStatus.PAID,
        OrderStatus.REFUNDED,
        now,
        {SupportOrder.refund_reason: reason, SupportOrder.refund_comment: comment},
    )
    refunded = sorted(
        await SupportOrder.select(SupportOrder.id, SupportOrder.coupon).where(
            SupportOrder.id.is_in(refunded_ids or [""])
        ),
        key=lambda o: refunded_ids.index(o["id"]),
    )
    await reversals.record(refund_order, [(line.period_id, to_fen(line.row.refund), line.order_id) for line in q.lines])
    credited: dict[int, int] = {}
    for line in q.lines:
        fen = to_fen(line.row.refund)
        if fen <= 0:
            continue
        to_account = await orders.refund_account(line.order_id)
        await ledger.credit(to_account, fen, now, kind=LedgerKind.REFUND, order_id=refund_order, note="unsubscribe")
        credited[to_account] = credited.get(to_account, 0) + fen
    reissued = 0
    if q.five_day:
        coupon_ids = [o["coupon"] for o in refunded if o["coupon"]]
        if coupon_ids:
            vouchers = await Coupon.select(Coupon.id).where(
                Coupon.id.is_in(coupon_ids) & (Coupon.kind == CouponKind.VOUCHER)
            )
            for voucher in vouchers:
                await coupons.reissue(voucher["id"])
            reissued = len(vouchers)
    await Plan.update({Plan.auto_renew: False}).where(Plan.id == q.plan_id)
    row = (
        await Unsubscription.insert(
            Unsubscription(
                account=account.id,
                plan=q.plan_id,
                five_day=q.five_day,
                reason=reason,
                comment=comment,
                paid_fen=to_fen(t.paid),
                consumed_fen=to_fen(t.consumed),
                fee_fen=to_fen(t.fee),
                refund_fen=refund_fen,
                created_at=now,
                order_id=refund_order,
                renewals_only=q.renewals_only,
            )
        ).returning(Unsubscription.id)
    )[0]
    money = lambda amount: format_money(amount, "zh_CN")  # noqa: E731
    if q.renewals_only:
        body = (
            f"您的合作伙伴支持计划未生效的续费周期已退订（退款订单 {refund_order}），当前周期保留，自动续费已关闭。"
            f"退订金额 {money(t.refund)} 已全额退还至余额。订单：{'、'.join(o['id'] for o in refunded)}。"
        )
        await notify(account.id, "续费周期已退订", body, now, kind=NotificationKind.REFUND, order_id=refund_order)
    else:
        body = (
            f"您的合作伙伴支持计划已退订（退款订单 {refund_order}），恢复为基础级。"
            f"{'本次为五天无理由退订。' if q.five_day else ''}"
            f"实付金额 {money(t.paid)}，已消费金额 {money(t.consumed)}，手续费 {money(t.fee)}，"
            f"退订金额 {money(t.refund)} 已退还至余额。订单：{'、'.join(o['id'] for o in refunded)}。"
            + (f"已退还代金券 {reissued} 张。" if reissued else "")
        )
        await notify(account.id, "支持计划已退订", body, now, kind=NotificationKind.REFUND, order_id=refund_order)
    for other, fen in credited.items():
        if other != account.id:
            await notify(
                other,
                "退订退款已到账",
                f"帐号 {account.login} 退订了合作伙伴支持计划，您支付的订单退款 {money(fen)} 已退还至您的余额。",
                now,
                kind=NotificationKind.REFUND,
                order_id=refund_order,
            )
    return int(row["id"])


async def done_since(account: Account, since: datetime | None) -> int | None:
    """The company's latest unsubscribe made at or after `since` (the hour a page's amounts were computed for), if
    any: a stale tab's form finds the plan Basic because it was unsubscribed meanwhile, and says so."""
    if since is None:
        return None
    found = (
        await Unsubscription.select(Unsubscription.id)
        .where((Unsubscription.plan.partner == account.partner) & (Unsubscription.created_at >= since))
        .order_by(Unsubscription.id, ascending=False)
        .first()
    )
    return found["id"] if found else None


@dataclass(frozen=True)
class UnsubscribeResult:
    """The result page: the stored amounts, the reason, the orders marked 已退订 and where the money went."""

    unsubscription: UnsubscriptionRecord
    reason_text: str  # message id
    refund_order: Order | None  # the refund order it made (已退款)
    orders: list[Order]
    credits: list[tuple[str, int]]  # (login, fen) credited
    balance_fen: int


async def result(account: Account, unsubscription_id: int) -> UnsubscribeResult:
    if not 0 < unsubscription_id <= MAX_SERIAL:
        raise NotFound(N_("退订记录不存在。"))
    row = (
        await Unsubscription.select(
            *Unsubscription.all_columns(),
            Unsubscription.plan.partner.as_alias("partner"),
            Unsubscription.account.login.as_alias("login"),
        )
        .where(Unsubscription.id == unsubscription_id)
        .first()
    )
    if row is None or row["partner"] != account.partner:
        raise NotFound(N_("退订记录不存在。"))
    done = UnsubscriptionRecord.from_row(row)
    if done.order_id:
        return await _result_of_refund_order(account, done)
    refunded = [
        Order.from_row(o)
        for o in await SupportOrder.select()
        .where(
            (SupportOrder.partner == account.partner)
            & (SupportOrder.status == OrderStatus.REFUNDED)
            & (SupportOrder.closed_at == done.created_at)
        )
        .order_by(SupportOrder.created_at)
    ]
    # made the old way (before refund orders): the credits of that moment on the orders it reversed
    made_then = (LedgerEntry.created_at == done.created_at) & LedgerEntry.order_id.is_in(
        [o.id for o in refunded] or [""]
    )
    return await _told(account, done, None, refunded, made_then)


async def _result_of_refund_order(account: Account, done: UnsubscriptionRecord) -> UnsubscribeResult:
    """The result told from the refund order: the orders it links to, the ledger credits naming it."""
    assert done.order_id is not None
    refund_order = await orders.get(done.order_id)
    linked = sorted({r.reversed_order for r in await reversals.reversed_by_refund(done.order_id)})
    found = [
        Order.from_row(o)
        for o in await SupportOrder.select()
        .where(SupportOrder.id.is_in(linked or [""]))
        .order_by(SupportOrder.created_at)
    ]
    return await _told(account, done, refund_order, found, LedgerEntry.order_id == done.order_id)


async def _told(
    account: Account,
    done: UnsubscriptionRecord,
    refund_order: Order | None,
    reversed_orders: list[Order],
    credited: Combinable,
) -> UnsubscribeResult:
    """The result page's facts: the refund credits that `credited` selects, summed per account credited."""
    credits = (
        await LedgerEntry.select(LedgerEntry.amount_fen, LedgerEntry.account.login.as_alias("login"))
        .where((LedgerEntry.kind == LedgerKind.REFUND) & credited)
        .order_by(LedgerEntry.id)
    )
    by_login: dict[str, int] = {}
    for c in credits:
        by_login[c["login"]] = by_login.get(c["login"], 0) + c["amount_fen"]
    return UnsubscribeResult(
        unsubscription=done,
        reason_text=REASONS.get(done.reason, done.reason),
        refund_order=refund_order,
        orders=reversed_orders,
        credits=sorted(by_login.items()),
        balance_fen=await ledger.balance(account.id),
    )
