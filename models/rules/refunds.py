"""Unsubscribe (退订): consumed value, handling fee, refund, five-day no-reason quota (SPEC.md §5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, localcontext

from .explain import N_, ExplainLine, Explanation, Param, ParamKind, percent, span_param
from .money import ZERO, round_fen
from .periods import add_months, hour_floor, require_term, to_beijing
from .proration import PRECISION, PeriodView, period_hours, remaining_fraction

FIVE_DAY_WINDOW = timedelta(hours=5 * 24)
DEFAULT_FIVE_DAY_QUOTA = 10

_RATE_10 = Decimal("0.10")
_RATE_15 = Decimal("0.15")
_RATE_05 = Decimal("0.05")
#: Handling-fee rate per year of use (0-based) for multi-year terms; the last step repeats.
_MULTI_YEAR_RATES: dict[int, tuple[Decimal, ...]] = {
    24: (_RATE_15, _RATE_10),
    36: (_RATE_15, _RATE_10, _RATE_05),
}


def years_of_use(start: datetime, now: datetime) -> int:
    """Whole years elapsed since `start` (0 in the first year of use); anniversaries clamp Feb 29 to Feb 28."""
    begin, local_now = to_beijing(start), to_beijing(now)
    years = 0
    while True:
        nxt = add_months(begin.date(), 12 * (years + 1))
        anniversary = datetime.combine(nxt, begin.timetz())
        if anniversary > local_now:
            return years
        years += 1


def fee_rate(months: int, used_years: int) -> Decimal:
    """Handling-fee rate by term: 1-12 months 10 %; 2 years 15 % then 10 %; 3 years 15 %, 10 %, then 5 %."""
    require_term(months)
    if used_years < 0:
        raise ValueError(f"used_years must be >= 0, got {used_years}")
    steps = _MULTI_YEAR_RATES.get(months)
    if steps is None:
        return _RATE_10
    return steps[min(used_years, len(steps) - 1)]


class _Explained:
    """已消费金额, 手续费 and 退订金额 as the amounts of their explanations (one calculation each)."""

    consumed_x: Explanation
    fee_x: Explanation
    refund_x: Explanation

    @property
    def consumed(self) -> Decimal:
        return self.consumed_x.amount

    @property
    def fee(self) -> Decimal:
        return self.fee_x.amount

    @property
    def refund(self) -> Decimal:
        return self.refund_x.amount


@dataclass(frozen=True)
class UnsubscribeRow(_Explained):
    """One row of the unsubscribe fee table; money rounded to the fen. The amounts ARE their explanations'
    amounts (怎么算的, SPEC.md §14): `consumed_x`, `fee_x` and `refund_x` (refund = paid − consumed − fee, >= 0)."""

    paid: Decimal
    consumed_x: Explanation
    fee_x: Explanation
    refund_x: Explanation
    rate: Decimal = ZERO
    hours_used: int = 0
    hours_total: int = 0
    five_day: bool = False


@dataclass(frozen=True)
class UnsubscribeTotals(_Explained):
    """The summary under the table: 实付金额, 已消费金额, 手续费, 退订金额 (= 退还余额), each the sum of the rows',
    with the rows' explanations as one (`Explanation.combine`)."""

    paid: Decimal
    consumed_x: Explanation
    fee_x: Explanation
    refund_x: Explanation


#: The reasons an amount is 0, as the explanation's one line.
NOTHING_NOT_STARTED = N_("%(span)s：未开始的周期，不收取")
NOTHING_FIVE_DAY = N_("%(span)s：五天无理由退订，不收取")


def _nothing(label: str, span: Param) -> Explanation:
    return Explanation.of(ZERO, (ExplainLine(label, ZERO, params=(span,)),))


def _consumed(period: PeriodView, now: datetime, span: Param) -> Explanation:
    """已消费金额: per charge, its amount × hours of its span used / hours of its span; one rounding; >= 0."""
    inputs = []
    with localcontext(prec=PRECISION):
        for c in period.charges:
            used, total = period_hours(PeriodView(c.span_start, c.span_end, period.months, period.level, ()), now)
            used_share = Decimal(1) - remaining_fraction(c.span_start, c.span_end, now)
            inputs.append(
                ExplainLine(
                    N_("%(span)s：已付 %(paid)s × 已使用%(used)s/%(total)s小时"),
                    c.amount * used_share,
                    params=(
                        span,
                        Param("paid", ParamKind.MONEY, c.amount),
                        Param("used", ParamKind.PLAIN, used),
                        Param("total", ParamKind.PLAIN, total),
                    ),
                )
            )
    explained = Explanation.rounded(inputs)
    if explained.amount < 0:  # a downgrade's refund can outweigh what was used of it: never below 0
        return Explanation.of(ZERO, (*explained.lines, ExplainLine(N_("金额不低于零"), -explained.amount)))
    return explained


def _fee(paid: Decimal, months: int, used_years: int, rate: Decimal, span: Param) -> Explanation:
    """手续费: paid × the term's rate in this year of use, rounded once."""
    params = (
        span,
        Param("paid", ParamKind.MONEY, paid),
        Param("rate", ParamKind.PLAIN, percent(rate)),
        Param("term", ParamKind.TERM, months),
        Param("year", ParamKind.PLAIN, used_years + 1),
    )
    if months in _MULTI_YEAR_RATES:
        label = N_("%(span)s：实付 %(paid)s × 手续费率%(rate)s（%(term)s，使用第%(year)s年）")
    else:
        label = N_("%(span)s：实付 %(paid)s × 手续费率%(rate)s（%(term)s）")
    return Explanation.rounded([ExplainLine(label, paid * rate, params=params)])


def _refund(paid: Decimal, consumed: Decimal, fee: Decimal, span: Param) -> Explanation:
    """退订金额 = paid − consumed − fee (whole fen each, no rounding), never below 0."""
    lines = [
        ExplainLine(N_("%(span)s：实付金额"), paid, params=(span,)),
        ExplainLine(N_("%(span)s：减已消费金额"), -consumed, params=(span,)),
        ExplainLine(N_("%(span)s：减手续费"), -fee, params=(span,)),
    ]
    raw = paid - consumed - fee
    if raw < 0:
        lines.append(ExplainLine(N_("金额不低于零"), -raw))
    return Explanation.of(max(ZERO, raw), lines)


def unsubscribe_row(period: PeriodView, now: datetime, five_day: bool) -> UnsubscribeRow:
    """Quote one period: full refund if not started or five-day; else paid − consumed − fee, never below 0."""
    paid = round_fen(sum((c.amount for c in period.charges), ZERO))
    used, total = period_hours(period, now)
    span = span_param(period.start, period.end)
    if now < period.start or five_day:
        started = now >= period.start
        nothing = _nothing(NOTHING_FIVE_DAY if started else NOTHING_NOT_STARTED, span)
        refund = _refund(paid, ZERO, ZERO, span)
        return UnsubscribeRow(paid, nothing, nothing, refund, ZERO, used if started else 0, total, started)
    used_years = years_of_use(period.start, now)
    rate = fee_rate(period.months, used_years)
    consumed = _consumed(period, now, span)
    fee = _fee(paid, period.months, used_years, rate, span)
    refund = _refund(paid, consumed.amount, fee.amount, span)
    return UnsubscribeRow(paid, consumed, fee, refund, rate, used, total, False)


def unsubscribe_quote(
    periods: Sequence[PeriodView], now: datetime, five_day: bool
) -> tuple[list[UnsubscribeRow], UnsubscribeTotals]:
    """Rows for every period still running or to come, plus totals.

    `five_day` applies to newly bought periods only (renewals never qualify; a
    renewal not yet started is refunded in full anyway). Periods already over are skipped.
    """
    rows = [unsubscribe_row(p, now, five_day and not p.is_renewal) for p in periods if now <= p.end]
    totals = UnsubscribeTotals(
        paid=sum((r.paid for r in rows), ZERO),
        consumed_x=Explanation.combine(r.consumed_x for r in rows),
        fee_x=Explanation.combine(r.fee_x for r in rows),
        refund_x=Explanation.combine(r.refund_x for r in rows),
    )
    return rows, totals


@dataclass(frozen=True)
class RefundChange:
    """When the refund next changes, and to what (SPEC.md §14's "what changes next")."""

    at: datetime
    refund: Decimal
    delta: Decimal  # new refund − refund now (negative: it drops)
    reason: str  # message id


NEXT_HOUR = N_("下一个整点")
FIVE_DAY_ENDS = N_("五天无理由退订期结束")
FEE_YEAR = N_("手续费率进入下一个使用年份")


def next_refund_changes(
    periods: Sequence[PeriodView], now: datetime, five_day_until: datetime | None
) -> list[RefundChange]:
    """The next moments the refund changes, soonest first: the next whole hour, the first whole hour after the
    five-day window ends (`five_day_until`: its end while it applies, else None), the next anniversary of a 2- or
    3-year period in use (its fee rate steps down). Each is computed by `unsubscribe_quote` itself at that moment;
    moments where the refund stays the same are left out."""
    refund_now = unsubscribe_quote(periods, now, five_day_until is not None)[1].refund
    moments = [(hour_floor(now) + timedelta(hours=1), NEXT_HOUR)]
    if five_day_until is not None:
        moments.append((hour_floor(five_day_until) + timedelta(hours=1), FIVE_DAY_ENDS))
    for p in periods:
        if p.start <= now <= p.end and p.months in _MULTI_YEAR_RATES:
            begin = to_beijing(p.start)
            nxt = add_months(begin.date(), 12 * (years_of_use(p.start, now) + 1))
            anniversary = datetime.combine(nxt, begin.timetz())
            if anniversary <= p.end:
                moments.append((anniversary, FEE_YEAR))
    changes = []
    for at, reason in sorted(moments, key=lambda m: m[0]):
        five_day = five_day_until is not None and at <= five_day_until
        refund = unsubscribe_quote(periods, at, five_day)[1].refund
        if refund != refund_now:
            changes.append(RefundChange(at, refund, refund - refund_now, reason))
    return changes


def five_day_eligible(
    period_is_new_purchase: bool,
    paid_at: datetime,
    now: datetime,
    used_this_year: int,
    yearly_quota: int = DEFAULT_FIVE_DAY_QUOTA,
) -> bool:
    """五天无理由退订: a new purchase, within 5 x 24 h of payment (the exact 120th hour included), quota left."""
    if not period_is_new_purchase:
        return False
    if not paid_at <= now <= paid_at + FIVE_DAY_WINDOW:
        return False
    return used_this_year < yearly_quota


def five_day_remaining_after(used_this_year: int, quota: int = DEFAULT_FIVE_DAY_QUOTA) -> int:
    """How many five-day unsubscribes remain this year once this one is done (for the page's sentence)."""
    return max(0, quota - used_this_year - 1)


def quota_year(now: datetime) -> int:
    """The Beijing natural year the five-day quota is counted in."""
    return to_beijing(now).year


def quota_year_end(now: datetime) -> date:
    """31 December of the Beijing year of `now` ("2024年12月31日前您还可以…")."""
    return date(quota_year(now), 12, 31)


def split_fen(total_fen: int, weights: Sequence[int]) -> list[int]:
    """TOTAL_FEN split over WEIGHTS in proportion, fen for fen: the shares sum exactly to TOTAL_FEN and are never
    negative (for TOTAL_FEN >= 0 and weights > 0). Each share is its exact part floored to the fen; the fen left over
    go one each to the largest remainders (ties: the larger weight, then the earlier). No weights: no shares; weights
    summing to 0 or less: everything on the first (one place for the money, never lost)."""
    if not weights:
        return []
    whole = sum(weights)
    if whole <= 0:
        return [total_fen] + [0] * (len(weights) - 1)
    shares = [w * total_fen // whole for w in weights]
    left = total_fen - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-(weights[i] * total_fen % whole), -weights[i], i))
    for i in order[:left]:
        shares[i] += 1
    return shares
