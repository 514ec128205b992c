"""Changing the level of a running plan (变更规格, guide chapter 4; SPEC.md §4).

Upgrade (标准级 → 尊享级): a supplementary fee (补交的费用) is quoted, stored as a Quote row and becomes a pending
order of kind "upgrade", paid like a purchase (payment page, 身份验证). The order's amount never changes after it
is created (SPEC.md §13, "若客户在订单有效期内支付，则最终变更费用不变"): its split over the periods it re-prices is
stored with it (UpgradeShare, each period's share of the fee at the order's creation). Paying it — at once or days
later, within its 7-day life — adds one Charge per period of exactly that share (of the amount due, scaled fen for
fen when a coupon lowered it) over the span from the payment to the period's end, and makes those periods Premium;
the end date does not change. It is refused only when the upgrade has become impossible: the plan is no longer
Standard, or a period it was priced for is gone (ended, refunded) or another period was added. An unpaid upgrade
order changes nothing.

Downgrade (尊享级 → 标准级): no payment. One transaction makes a refund order of kind "downgrade" (created 已退款,
its amount the refund), adds a negative Charge per period naming it, makes the periods Standard, credits each
period's refund (退费金额) to the balance of whoever paid the period (the ledger rows name the refund order) and links
the refund order to the orders whose charges it gives back (OrderReversal; they stay 已支付: their periods run on,
at Standard). Standard → Basic is not a change: it is 更多 > 退订.

The quote is frozen (SPEC.md §4): what the spec page showed is what is charged or refunded when confirmed within
QUOTE_VALID_FOR; an older quote is recomputed at confirmation and, if the amount differs, nothing is created and
the page shows the new amount (QuoteChanged).

The quote id is the amount the form carries (SPEC.md §12, a refund is paid only at the amount the confirmed page
showed): the Quote row holds exactly the amount the spec page showed, and a confirmation refunds that amount or
nothing. It is checked inside the refunding transaction, after the company's lock: a plan changed since the page
(another tab unsubscribed, downgraded or renewed) is refused with PlanChanged (the change is no longer on offer) or
QuoteChanged (the amount is now another), and a form without a quote id (an old tab, a hand-made request) is
refused with QuoteChanged and the amount now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from models.db import lock_partner, write_transaction
from models.enums import LedgerKind, Level, NotificationKind, OrderKind
from models.records import Account, Order
from models.records import Period as PeriodRecord
from models.records import Quote as QuoteRecord
from models.rules.explain import Explanation
from models.rules.money import ZERO, format_money, round_fen, to_fen
from models.rules.proration import (
    PeriodQuote,
    PeriodView,
    change_explanation,
    downgrade_breakdown,
    upgrade_breakdown,
)
from models.rules.refunds import split_fen
from models.services import catalog as catalogs
from models.services import ledger, order_explanations, orders, reversals
from models.services.accounts import get_account
from models.services.errors import N_, Conflict, DomainError, NotFound
from models.services.notifications import notify
from models.services.plans import PlanState, plan_state
from models.services.purchase import buyer_refusal
from models.tables import Charge, Period, Quote, UpgradeShare

UPGRADE, DOWNGRADE = OrderKind.UPGRADE, OrderKind.DOWNGRADE
#: What a quote is good for (SPEC.md §4): confirmed within this, its amount is the amount.
QUOTE_VALID_FOR = timedelta(minutes=15)
#: The one change each current level offers.
TARGETS = {Level.STANDARD: (UPGRADE, Level.PREMIUM), Level.PREMIUM: (DOWNGRADE, Level.STANDARD)}
#: Order kinds that change the level of a plan; one pending at a time per company.
CHANGE_KINDS = (UPGRADE,)

NO_RUNNING_PLAN = N_("贵公司当前没有生效中的标准级或尊享级支持计划，无法变更规格。")
NOT_OFFERED = N_("请选择要变更的规格。")
PENDING_CHANGE = N_("贵公司已有一个待支付的变更订单 %(order)s。请先支付或取消该订单，再进行新的变更。")
LEVEL_CHANGED = N_("该计划的规格已变化，此变更订单不能再支付。请取消该订单。")
PERIODS_CHANGED = N_(
    "该升级订单创建后，支持计划的周期已变化（已到期、已退订或新增了续费周期），此订单不能再支付。请取消该订单，然后重新变更。"
)
QUOTE_EXPIRED = N_(
    "该升级订单的报价已超过15分钟，按当前时间计算的补交费用已不同，不能再按原金额支付。请取消该订单，然后重新变更。"
)
QUOTE_INVALID = N_("报价已失效，请核对重新计算的金额后再确认变更。")
PLAN_CHANGED_DOWNGRADE = N_(
    "该支持计划在此页面显示后已发生变化（可能已在其他页面退订或变更规格），本次降级已不适用：未做任何变更，也没有退费。"
)
PLAN_CHANGED_UPGRADE = N_(
    "该支持计划在此页面显示后已发生变化（可能已在其他页面退订或变更规格），本次升级已不适用：未做任何变更，也没有生成订单。"
)


class PlanChanged(Conflict):
    """At confirmation the plan is no longer at the level the spec page was for (another tab unsubscribed or
    changed it): nothing was created or refunded."""

    def __init__(self, kind: str) -> None:
        super().__init__(PLAN_CHANGED_DOWNGRADE if kind == DOWNGRADE else PLAN_CHANGED_UPGRADE)
        self.kind = kind


class QuoteChanged(Conflict):
    """The quote is older than 15 minutes (or unknown) and the amount is now different: nothing was created."""

    def __init__(self, kind: str, old_fen: int | None, new_fen: int, *, plan_changed: bool = False):
        if old_fen is None:
            super().__init__(QUOTE_INVALID, field="quote")
        elif plan_changed and kind == UPGRADE:
            super().__init__(
                N_(
                    "支持计划在报价后已发生变化，补交的费用已重新计算：原为 %(old)s，现为 %(new)s。未做任何变更，请核对后再确认变更。"
                ),
                field="quote",
                old=_yuan(old_fen),
                new=_yuan(new_fen),
            )
        elif plan_changed:
            super().__init__(
                N_(
                    "支持计划在报价后已发生变化，退费金额已重新计算：原为 %(old)s，现为 %(new)s。未做任何变更，也没有退费，请核对后再确认变更。"
                ),
                field="quote",
                old=_yuan(old_fen),
                new=_yuan(new_fen),
            )
        elif kind == UPGRADE:
            super().__init__(
                N_(
                    "报价已超过15分钟，补交的费用已按当前时间重新计算：原为 %(old)s，现为 %(new)s。请核对后再确认变更。"
                ),
                field="quote",
                old=_yuan(old_fen),
                new=_yuan(new_fen),
            )
        else:
            super().__init__(
                N_("报价已超过15分钟，退费金额已按当前时间重新计算：原为 %(old)s，现为 %(new)s。请核对后再确认变更。"),
                field="quote",
                old=_yuan(old_fen),
                new=_yuan(new_fen),
            )
        self.kind, self.old_fen, self.new_fen = kind, old_fen, new_fen


def _yuan(fen: int) -> str:
    return format_money(fen, "zh_CN")


@dataclass
class ChangeQuote:
    """What a change costs or refunds at a moment, with one line per period for the explanation."""

    kind: str  # upgrade | downgrade
    current_level: str
    new_level: str
    amount: Decimal
    lines: list[PeriodQuote]
    at: datetime
    quote_id: int | None = None
    catalog_version: int = 1  # the price catalog version it was priced with (the one in force at `at`)

    @property
    def amount_fen(self) -> int:
        return to_fen(self.amount)

    @property
    def explanation(self) -> Explanation:
        """怎么算的: the lines of this quote's own breakdown, adding up to its amount."""
        return change_explanation(self.lines, self.new_level, upgrade=self.kind == UPGRADE)

    @property
    def old_unused(self) -> Decimal:
        return round_fen(sum((line.old_unused for line in self.lines), ZERO))

    @property
    def new_share(self) -> Decimal:
        return round_fen(sum((line.new_price_share for line in self.lines), ZERO))


@dataclass
class ChangeOptions:
    """What the change page offers a running plan."""

    state: PlanState
    current_level: str
    kind: str | None  # the change on offer, or None
    target: str | None
    quote: ChangeQuote | None
    refusal: DomainError | None = None
    pending: Order | None = None  # a pending change order of the company
    pending_is_own: bool = False  # the signed-in account placed it (and so may cancel it)
    errors: dict[str, str] = field(default_factory=dict)


# --- the money ----------------------------------------------------------------------------------------------


def _changing(state: PlanState, from_level: str) -> tuple[list[PeriodRecord], list[PeriodView]]:
    """The current and future periods at `from_level` (the ones a change re-prices), rows with their views."""
    rows = ([state.current] if state.current else []) + list(state.upcoming)
    pairs = [(row, view) for row, view in zip(rows, state.views, strict=False) if view.level == from_level]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def compute(state: PlanState, at: datetime) -> ChangeQuote:
    """The change on offer for this plan, priced at `at` (the rules do the arithmetic)."""
    kind, target = TARGETS[state.level]
    _, views = _changing(state, state.level)
    breakdown = upgrade_breakdown if kind == UPGRADE else downgrade_breakdown
    catalog = state.catalog_at(at)  # the prices in force at `at`
    amount, lines = breakdown(views, at, target, catalog)
    return ChangeQuote(
        kind=kind,
        current_level=state.level,
        new_level=target,
        amount=amount,
        lines=lines,
        at=at,
        catalog_version=catalog.version,
    )


def _split(total_fen: int, lines: list[PeriodQuote]) -> list[int]:
    """Cash actually paid over the periods: the lines' amounts, scaled when a coupon lowered the amount due.
    The shares sum exactly to `total_fen` and are never negative: each is its exact share floored to the fen, and
    the fen left over go one each to the lines with the largest remainders (ties: the larger line, then the
    earlier)."""
    amounts = [to_fen(line.amount) for line in lines]
    listed = sum(amounts)
    if listed == total_fen or not amounts or listed <= 0:
        return amounts
    shares = [a * total_fen // listed for a in amounts]
    left = total_fen - sum(shares)  # 0 <= left < len(amounts)
    order = sorted(range(len(amounts)), key=lambda i: (-(amounts[i] * total_fen % listed), -amounts[i], i))
    for i in order[:left]:
        shares[i] += 1
    return shares


@dataclass(frozen=True)
class Recharge:
    """One charge a change adds: the period, the fen (unsigned) and the span it pays for."""

    period: PeriodRecord
    fen: int
    span_start: datetime
    span_end: datetime


def _recharges(state: PlanState, quote: ChangeQuote, cash_fen: int) -> list[Recharge]:
    """The charges of a change priced by QUOTE, the cash split over its lines (`_split`)."""
    rows, views = _changing(state, quote.current_level)
    by_start = {view.start: row for row, view in zip(rows, views, strict=False)}
    return [
        Recharge(by_start[line.start], fen, line.span_start, line.span_end)
        for line, fen in zip(quote.lines, _split(cash_fen, quote.lines), strict=False)
    ]


async def _apply(recharges: list[Recharge], order_id: str, sign: int, new_level: str) -> None:
    """Each re-priced period gets its charge over the span it pays for, and the new level."""
    if recharges:
        await Charge.insert(
            *(
                Charge(
                    period=r.period.id,
                    order_id=order_id,
                    amount_fen=sign * r.fen,
                    span_start=r.span_start,
                    span_end=r.span_end,
                )
                for r in recharges
            )
        )
        ids = [r.period.id for r in recharges]
        await Period.update({Period.level: new_level}).where(Period.id.is_in(ids))


# --- who may change, and when ---------------------------------------------------------------------------------


async def pending_change(partner_id: int) -> Order | None:
    return await orders.pending_of_kind(partner_id, CHANGE_KINDS)


async def _refusal(account: Account, state: PlanState, kind: str) -> DomainError | None:
    """Why this account may not make the change `kind` now, or None."""
    if state.current is None or state.level not in TARGETS:
        return Conflict(NO_RUNNING_PLAN)
    if TARGETS[state.level][0] != kind:
        return DomainError(NOT_OFFERED, field="level")
    refused = await buyer_refusal(account)  # who may buy may change (SPEC.md §1)
    if refused:
        return refused
    pending = await pending_change(account.partner)
    if pending:
        return Conflict(PENDING_CHANGE, order=pending.id)
    return None


async def options(account: Account, state: PlanState, target: str | None, now: datetime) -> ChangeOptions:
    """The change page of a running plan: the change on offer, its quote at `now` (not stored), or why not."""
    offer = TARGETS.get(state.level)
    result = ChangeOptions(
        state=state,
        current_level=state.level,
        kind=offer[0] if offer else None,
        target=offer[1] if offer else None,
        quote=None,
    )
    if offer is None or state.current is None:
        result.refusal = Conflict(NO_RUNNING_PLAN)
        return result
    if target not in (None, "", offer[1]):
        result.errors["level"] = NOT_OFFERED
    result.pending = await pending_change(account.partner)
    result.pending_is_own = bool(result.pending and result.pending.account == account.id)
    result.refusal = await _refusal(account, state, offer[0])
    if not result.errors:
        result.quote = compute(state, now)
    return result


# --- quotes -------------------------------------------------------------------------------------------------


async def _store(account: Account, kind: str, priced: ChangeQuote, now: datetime) -> ChangeQuote:
    """Keeps the quote with its time (SPEC.md §4); its id travels with the form."""
    rows = await Quote.insert(
        Quote(
            account=account.id,
            kind=kind,
            level=priced.new_level,
            months=0,
            amount_fen=priced.amount_fen,
            created_at=now,
            catalog_version=priced.catalog_version,
        )
    ).returning(Quote.id)
    priced.quote_id = rows[0]["id"]
    return priced


async def quote(account: Account, kind: str, now: datetime) -> ChangeQuote:
    """规格确认: prices the change at `now` and stores the quote (its id travels with the form)."""
    async with write_transaction():
        state = await plan_state(account.partner, now)
        refused = await _refusal(account, state, kind)
        if refused:
            raise refused
        return await _store(account, kind, compute(state, now), now)


async def _frozen(account: Account, state: PlanState, kind: str, quote_id: int | None, now: datetime) -> ChangeQuote:
    """The quote to confirm: the stored one while fresh (recomputed at its own time, so each period's charge
    sums to exactly the amount shown), else the amount now — refused with QuoteChanged if it differs."""
    row = None
    if quote_id:
        found = (
            await Quote.select()
            .where((Quote.id == quote_id) & (Quote.account == account.id) & (Quote.kind == kind))
            .first()
        )
        row = QuoteRecord.from_row(found) if found else None
    current = compute(state, now)
    plan_changed = False
    if row is not None and now - row.created_at <= QUOTE_VALID_FOR and row.level == current.new_level:
        then = compute(state, row.created_at)
        if then.amount_fen == row.amount_fen:
            then.quote_id = row.id
            return then
        plan_changed = True  # still fresh, yet the periods are worth another amount at its own time
    if row is None or current.amount_fen != row.amount_fen:
        raise QuoteChanged(kind, row.amount_fen if row else None, current.amount_fen, plan_changed=plan_changed)
    current.quote_id = row.id
    return current


async def requote(
    account: Account, kind: str, quote_id: int | None, now: datetime
) -> tuple[ChangeQuote, QuoteChanged | None]:
    """The spec page shown again (e.g. the agreement was not ticked): the same quote while it holds; otherwise a
    new one is stored and the reason it changed is returned with it."""
    async with write_transaction():
        state = await plan_state(account.partner, now)
        _still_offered(state, kind)
        refused = await _refusal(account, state, kind)
        if refused:
            raise refused
        try:
            return await _frozen(account, state, kind, quote_id, now), None
        except QuoteChanged as changed:
            return await _store(account, kind, compute(state, now), now), changed


# --- upgrade --------------------------------------------------------------------------------------------------


async def _existing(request_key: str | None, account: Account) -> Order | None:
    """A form sent twice finds the order the first one made. It first takes the company's lock (as paying does),
    so two changes of one plan go one after the other."""
    await lock_partner(account.partner)
    return await orders.by_request_key(account, request_key)


def _still_offered(state: PlanState, kind: str) -> None:
    """A confirmation (or its page shown again) for a change the plan no longer offers: it was unsubscribed, changed
    or ended since the spec page was shown."""
    if state.current is None or TARGETS.get(state.level, (None, None))[0] != kind:
        raise PlanChanged(kind)


async def _open_order(
    account: Account, kind: OrderKind, quote_id: int | None, request_key: str | None, now: datetime
) -> tuple[PlanState, ChangeQuote, str]:
    """Inside the caller's transaction (after the company's lock): re-check the change, price it at its frozen
    quote, open its order."""
    state = await plan_state(account.partner, now)
    _still_offered(state, kind)
    refused = await _refusal(account, state, kind)
    if refused:
        raise refused
    priced = await _frozen(account, state, kind, quote_id, now)
    order_id, created = await orders.create_order(
        account=account,
        kind=kind,
        now=now,
        list_fen=priced.amount_fen,
        level=priced.new_level,
        request_key=request_key,
        quoted_at=priced.at,
        status=orders.initial_status(kind),  # a downgrade is a refund order: 已退款 from the start
    )
    await catalogs.stamp_version(order_id, priced.catalog_version)
    if created:
        await order_explanations.record(order_id, priced.explanation)
    return state, priced, order_id


async def place_upgrade(account: Account, quote_id: int | None, request_key: str | None, now: datetime) -> str:
    """确认变更 (upgrade): a pending order for the quoted fee; paying it changes the level."""
    async with write_transaction():
        existing = await _existing(request_key, account)
        if existing:
            return existing.id
        state, priced, order_id = await _open_order(account, UPGRADE, quote_id, request_key, now)
        shares = _recharges(state, priced, priced.amount_fen)  # the order's amount, period by period, fixed now
        if shares:
            await UpgradeShare.insert(
                *(UpgradeShare(order_id=order_id, period=r.period.id, amount_fen=r.fen) for r in shares)
            )
    return order_id


async def _legacy_as_paid(order: Order, state: PlanState, now: datetime) -> list[Recharge]:
    """An upgrade order made before its shares were stored: payable while the fee computed at its quote (fresh) or
    now is still exactly its amount."""
    moments = [now]
    if order.quoted_at is not None and now - order.quoted_at <= QUOTE_VALID_FOR:
        moments.insert(0, order.quoted_at)
    for moment in moments:
        priced = compute(state, moment)
        if priced.amount_fen == order.list_fen:
            return _recharges(state, priced, order.due_fen)
    raise Conflict(QUOTE_EXPIRED)


async def _upgrade_as_paid(order: Order, now: datetime) -> list[Recharge]:
    """The charges paying the order adds: its amount due split as its stored shares (fixed at its creation), each
    over the span from now to its period's end. Refused when the upgrade is no longer possible: the plan is not
    Standard, or the Standard periods to re-price are no longer exactly the ones it was priced for."""
    state = await plan_state(order.partner, now)
    if state.current is None or state.level != Level.STANDARD:
        raise Conflict(LEVEL_CHANGED)
    stored = await UpgradeShare.select().where(UpgradeShare.order_id == order.id).order_by(UpgradeShare.id)
    if not stored:
        return await _legacy_as_paid(order, state, now)
    rows, views = _changing(state, Level.STANDARD)
    live = {row.id: (row, view) for row, view in zip(rows, views, strict=False) if now <= view.end}
    if {s["period"] for s in stored} != set(live):
        raise Conflict(PERIODS_CHANGED)
    weights = [int(s["amount_fen"]) for s in stored]
    cash = weights if sum(weights) == order.due_fen else split_fen(order.due_fen, weights)
    return [
        Recharge(live[s["period"]][0], fen, max(now, live[s["period"]][1].start), live[s["period"]][1].end)
        for s, fen in zip(stored, cash, strict=True)
    ]


async def upgrade_precheck(order: Order, now: datetime) -> None:
    await _upgrade_as_paid(order, now)


async def upgrade_fulfil(order: Order, now: datetime) -> None:
    await _apply(await _upgrade_as_paid(order, now), order.id, +1, Level.PREMIUM)
    await notify(
        order.account,
        "支持计划已升级",
        f"订单 {order.id} 已支付，合作伙伴支持计划已升级为尊享级，到期时间不变。",
        now,
        kind=NotificationKind.PAYMENT_RESULT,
        order_id=order.id,
    )


async def downgrade_precheck(order: Order, now: datetime) -> None:
    raise Conflict(N_("降级订单无需支付。"))


async def downgrade_fulfil(order: Order, now: datetime) -> None:  # pragma: no cover - never pending
    raise Conflict(N_("降级订单无需支付。"))


# --- downgrade ------------------------------------------------------------------------------------------------


async def downgrade(account: Account, quote_id: int | None, request_key: str | None, now: datetime) -> Order:
    """确认变更 (downgrade): Standard at once, the refund on the balance, a refund order of kind "downgrade" (已退款)
    linked to the orders whose charges it gives back."""
    async with write_transaction():
        existing = await _existing(request_key, account)
        if existing:
            return existing
        state, priced, order_id = await _open_order(account, DOWNGRADE, quote_id, request_key, now)
        recharges = _recharges(state, priced, priced.amount_fen)
        await _apply(recharges, order_id, -1, priced.new_level)
        await reversals.record(order_id, [(r.period.id, r.fen, r.period.order) for r in recharges])
        for r in recharges:
            if r.fen:  # back to whoever paid for the period, as unsubscribing does
                await ledger.credit(
                    await orders.refund_account(r.period.order),
                    r.fen,
                    now,
                    kind=LedgerKind.REFUND,
                    order_id=order_id,
                    note=DOWNGRADE,
                )
        await notify(
            account.id,
            "支持计划已降级",
            f"合作伙伴支持计划已降级为标准级（订单 {order_id}），退费 {_yuan(priced.amount_fen)} 已退还至支付该计划的帐户余额。",
            now,
            kind=NotificationKind.REFUND,
            order_id=order_id,
        )
    return await orders.get(order_id)


async def downgrade_result(account: Account, order_id: str) -> tuple[Order, Account]:
    """The downgrade order and the account as it is now (its balance), for the result page."""
    order = await orders.get_for(account, order_id)
    if order.kind != DOWNGRADE:
        raise NotFound(N_("订单不存在。"))
    return order, await get_account(account.id)
