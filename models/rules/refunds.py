"""Unsubscribe (退订): consumed value, handling fee, refund, five-day no-reason quota (SPEC.md §5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from .money import ZERO, round_fen
from .periods import add_months, require_term, to_beijing
from .proration import PeriodView, consumed_value, period_hours

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


@dataclass(frozen=True)
class UnsubscribeRow:
    """One row of the unsubscribe fee table; money rounded to the fen."""

    paid: Decimal
    consumed: Decimal
    fee: Decimal
    refund: Decimal
    rate: Decimal = ZERO
    hours_used: int = 0
    hours_total: int = 0
    five_day: bool = False


@dataclass(frozen=True)
class UnsubscribeTotals:
    """The summary under the table: 实付金额, 已消费金额, 手续费, 退订金额 (= 退还余额)."""

    paid: Decimal
    consumed: Decimal
    fee: Decimal
    refund: Decimal


def unsubscribe_row(period: PeriodView, now: datetime, five_day: bool) -> UnsubscribeRow:
    """Quote one period: full refund if not started or five-day; else paid − consumed − fee, never below 0."""
    paid = round_fen(sum((c.amount for c in period.charges), ZERO))
    used, total = period_hours(period, now)
    if now < period.start:
        return UnsubscribeRow(paid, ZERO, ZERO, paid, ZERO, 0, total, False)
    if five_day:
        return UnsubscribeRow(paid, ZERO, ZERO, paid, ZERO, used, total, True)
    rate = fee_rate(period.months, years_of_use(period.start, now))
    consumed = max(ZERO, round_fen(consumed_value(period.charges, now)))
    fee = round_fen(paid * rate)
    refund = max(ZERO, paid - consumed - fee)
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
        consumed=sum((r.consumed for r in rows), ZERO),
        fee=sum((r.fee for r in rows), ZERO),
        refund=sum((r.refund for r in rows), ZERO),
    )
    return rows, totals


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
