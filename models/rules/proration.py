"""Upgrade fees and downgrade refunds in whole hours (SPEC.md §4).

A period keeps the cash charges paid for it, each with the span it pays for.
"Unused value" is what those charges buy from now on; upgrade and downgrade
compare it with the new level's list price for the same remaining share.
All intermediate values keep full precision; each public amount is rounded
once, to the fen, half up, at the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, localcontext

from .explain import N_, ExplainLine, Explanation, Param, ParamKind, span_param
from .money import ZERO, round_fen
from .periods import hours_between, require_term
from .pricing import DEFAULT_CATALOG, LEVEL_RANK, Catalog, list_price, require_level

#: Significant digits for proration arithmetic (far beyond the 8 decimal places SPEC §4 asks for).
PRECISION = 50
_ONE = Decimal(1)
_NIL = Decimal(0)


@dataclass(frozen=True)
class Charge:
    """Cash paid for a period over [span_start, span_end]; negative for a downgrade refund."""

    amount: Decimal
    span_start: datetime
    span_end: datetime


@dataclass(frozen=True)
class PeriodView:
    """One period of a plan as the rules see it: its term, current level and charges."""

    start: datetime
    end: datetime
    months: int
    level: str
    charges: tuple[Charge, ...]
    is_renewal: bool = False


def whole_period(
    start: datetime, end: datetime, months: int, level: str, paid: Decimal, is_renewal: bool = False
) -> PeriodView:
    """A period with one charge covering all of it: what a purchase or a renewal creates."""
    return PeriodView(start, end, months, level, (Charge(paid, start, end),), is_renewal)


def with_charge(period: PeriodView, charge: Charge, level: str) -> PeriodView:
    """The period after a change: one more charge, and the new level."""
    return PeriodView(period.start, period.end, period.months, level, (*period.charges, charge), period.is_renewal)


@dataclass(frozen=True)
class PeriodQuote:
    """One period's line in an upgrade/downgrade explanation.

    `new_price_share` and `old_unused` are unrounded; `amount` is this period's
    share of the rounded total (the period shares sum exactly to the total), and
    is what the service records as the new Charge over [span_start, span_end]
    (positive for an upgrade fee; record it negated for a downgrade refund).
    """

    start: datetime
    end: datetime
    months: int
    hours_total: int
    hours_remaining: int
    remaining: Decimal
    new_list_price: Decimal
    new_price_share: Decimal
    old_unused: Decimal
    raw_amount: Decimal
    amount: Decimal
    span_start: datetime
    span_end: datetime


def _fraction(start: datetime, end: datetime, now: datetime) -> tuple[int, int, Decimal]:
    """(hours remaining, hours total, remaining share) of [start, end] at `now`, in whole hours."""
    total = hours_between(start, end)
    if now < start:
        return total, total, _ONE
    if now > end or total == 0:
        return 0, total, _NIL
    ahead = min(hours_between(now, end), total)
    with localcontext(prec=PRECISION):
        return ahead, total, Decimal(ahead) / Decimal(total)


def remaining_fraction(start: datetime, end: datetime, now: datetime) -> Decimal:
    """Share of [start, end] still ahead at `now`: 1 before it starts, 0 after it ends, whole hours between."""
    return _fraction(start, end, now)[2]


def unused_value(charges: Iterable[Charge], now: datetime) -> Decimal:
    """Σ charge x (hours of its span still ahead / hours of its span); not rounded."""
    with localcontext(prec=PRECISION):
        return sum((c.amount * remaining_fraction(c.span_start, c.span_end, now) for c in charges), _NIL)


def consumed_value(charges: Iterable[Charge], now: datetime) -> Decimal:
    """Σ charge x (hours of its span already used / hours of its span); not rounded."""
    with localcontext(prec=PRECISION):
        return sum((c.amount * (_ONE - remaining_fraction(c.span_start, c.span_end, now)) for c in charges), _NIL)


def period_hours(period: PeriodView, now: datetime) -> tuple[int, int]:
    """(hours used, hours total) of a period at `now`, for the explanation of a quote."""
    ahead, total, _ = _fraction(period.start, period.end, now)
    return total - ahead, total


def _live(periods: Sequence[PeriodView], now: datetime) -> list[PeriodView]:
    """Periods that still have hours ahead at `now` (current and future ones)."""
    return [p for p in periods if remaining_fraction(p.start, p.end, now) > 0]


def _allocate(total: Decimal, raws: list[Decimal]) -> list[Decimal]:
    """Split a rounded total over periods: each share rounded, the rounding drift put on the largest."""
    if not raws:
        return []
    if total == 0:
        return [ZERO for _ in raws]
    shares = [round_fen(r) for r in raws]
    drift = total - sum(shares, ZERO)
    if drift:
        biggest = max(range(len(raws)), key=lambda i: raws[i])
        shares[biggest] += drift
    return shares


def _quotes(
    periods: Sequence[PeriodView], now: datetime, new_level: str, catalog: Catalog, sign: int
) -> tuple[Decimal, list[PeriodQuote]]:
    """Shared engine: sign=+1 for an upgrade fee, -1 for a downgrade refund."""
    require_level(new_level)
    lines: list[tuple[PeriodView, int, int, Decimal, Decimal, Decimal, Decimal, Decimal]] = []
    with localcontext(prec=PRECISION):
        for p in _live(periods, now):
            require_term(p.months)
            ahead, hours, share = _fraction(p.start, p.end, now)
            new_price = list_price(new_level, p.months, catalog)
            new_share = new_price * share
            old_unused = unused_value(p.charges, now)
            raw = (new_share - old_unused) * sign
            lines.append((p, ahead, hours, share, new_price, new_share, old_unused, raw))
        raw_total = sum((line[-1] for line in lines), _NIL)
    total = max(ZERO, round_fen(raw_total))
    amounts = _allocate(total, [line[-1] for line in lines])
    quotes = [
        PeriodQuote(
            start=p.start,
            end=p.end,
            months=p.months,
            hours_total=total_h,
            hours_remaining=ahead,
            remaining=share,
            new_list_price=new_price,
            new_price_share=new_share,
            old_unused=old_unused,
            raw_amount=raw,
            amount=amount,
            span_start=max(now, p.start),
            span_end=p.end,
        )
        for (p, ahead, total_h, share, new_price, new_share, old_unused, raw), amount in zip(
            lines, amounts, strict=False
        )
    ]
    return total, quotes


def _require_direction(periods: Sequence[PeriodView], now: datetime, new_level: str, upward: bool) -> None:
    """Refuse a 'change' that goes the wrong way: it would silently quote nonsense."""
    for p in _live(periods, now):
        old, new = LEVEL_RANK[require_level(p.level)], LEVEL_RANK[require_level(new_level)]
        if (new <= old) if upward else (new >= old):
            kind = "an upgrade" if upward else "a downgrade"
            raise ValueError(f"Changing {p.level} to {new_level} is not {kind}.")


def upgrade_breakdown(
    periods: Sequence[PeriodView], now: datetime, new_level: str, catalog: Catalog = DEFAULT_CATALOG
) -> tuple[Decimal, list[PeriodQuote]]:
    """(fee, per-period lines) of an upgrade at `now`; the fee is never below 0."""
    _require_direction(periods, now, new_level, upward=True)
    return _quotes(periods, now, new_level, catalog, sign=+1)


def downgrade_breakdown(
    periods: Sequence[PeriodView], now: datetime, new_level: str, catalog: Catalog = DEFAULT_CATALOG
) -> tuple[Decimal, list[PeriodQuote]]:
    """(refund, per-period lines) of a downgrade at `now`; the refund is never below 0."""
    _require_direction(periods, now, new_level, upward=False)
    return _quotes(periods, now, new_level, catalog, sign=-1)


def upgrade_fee(
    periods: Sequence[PeriodView], now: datetime, new_level: str, catalog: Catalog = DEFAULT_CATALOG
) -> Decimal:
    """补交的费用 = round_fen(Σ new_list_price x remaining − unused value of the old charges), >= 0."""
    return upgrade_breakdown(periods, now, new_level, catalog)[0]


def downgrade_refund(
    periods: Sequence[PeriodView], now: datetime, new_level: str, catalog: Catalog = DEFAULT_CATALOG
) -> Decimal:
    """退费金额 = round_fen(Σ unused value of the old charges − new_list_price x remaining), >= 0."""
    return downgrade_breakdown(periods, now, new_level, catalog)[0]


def change_explanation(quotes: Sequence[PeriodQuote], new_level: str, *, upgrade: bool) -> Explanation:
    """怎么算的 of an upgrade fee or a downgrade refund (SPEC.md §14): per period, the new level's price for the
    hours ahead and the unused value of what was paid, with the sign they enter the sum; then the one rounding
    step, and the floor at 0 when the sum is negative. Built from `upgrade_breakdown` / `downgrade_breakdown`'s
    own lines, its amount is theirs: `Explanation` refuses lines that do not add up to it."""
    sign = Decimal(1) if upgrade else Decimal(-1)
    inputs: list[ExplainLine] = []
    for q in quotes:
        span = span_param(q.start, q.end)
        hours = (Param("left", ParamKind.PLAIN, q.hours_remaining), Param("total", ParamKind.PLAIN, q.hours_total))
        inputs.append(
            ExplainLine(
                "%(span)s：%(level)s价格 %(price)s × 剩余%(left)s/%(total)s小时",
                q.new_price_share * sign,
                params=(
                    span,
                    Param("level", ParamKind.LEVEL, new_level),
                    Param("price", ParamKind.MONEY, q.new_list_price),
                    *hours,
                ),
            )
        )
        inputs.append(
            ExplainLine(
                "%(span)s：已付费用中未使用的部分（剩余%(left)s/%(total)s小时）",
                -q.old_unused * sign,
                params=(span, *hours),
            )
        )
    explained = Explanation.rounded(inputs, subtotal_label=N_("合计（取整前）"))
    amount = sum((q.amount for q in quotes), ZERO)
    if explained.amount < 0:  # the rules never charge or refund below 0
        floor = ExplainLine("金额不低于零", amount - explained.amount)
        return Explanation.of(amount, (*explained.lines, floor))
    return Explanation.of(amount, explained.lines)
