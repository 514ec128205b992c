"""Upgrade fees and downgrade refunds in whole hours (SPEC.md §4)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.enums import Level
from models.rules.periods import BEIJING, TERMS, purchase_period, renewal_period
from models.rules.pricing import Catalog, Coupon, apply_coupon, list_price
from models.rules.proration import (
    Charge,
    PeriodView,
    consumed_value,
    downgrade_breakdown,
    downgrade_refund,
    remaining_fraction,
    unused_value,
    upgrade_breakdown,
    upgrade_fee,
    whole_period,
    with_charge,
)
from tests.helpers.times import bj

D = Decimal


PAID = bj(2024, 1, 1, 10, 30)
END = bj(2024, 2, 1, 23, 59, 59)
CHANGE = bj(2024, 1, 15, 18, 40)


def standard_month(paid_at=PAID, amount=D("8500.00")) -> PeriodView:
    start, end = purchase_period(paid_at, 1)
    return whole_period(start, end, 1, Level.STANDARD, amount)


def upgraded(period: PeriodView, at: datetime) -> PeriodView:
    """The period after paying the upgrade fee quoted at `at`."""
    _fee, lines = upgrade_breakdown([period], at, Level.PREMIUM)
    line = lines[0]
    return with_charge(period, Charge(line.amount, line.span_start, line.span_end), Level.PREMIUM)


# --- SPEC §4 worked example -------------------------------------------------


def test_worked_example_upgrade():
    period = standard_month()
    assert (period.start, period.end) == (PAID, END)
    fee, lines = upgrade_breakdown([period], CHANGE, Level.PREMIUM)
    assert fee == D("9011.87")
    assert upgrade_fee([period], CHANGE, Level.PREMIUM) == D("9011.87")
    (line,) = lines
    assert (line.hours_remaining, line.hours_total) == (414, 758)
    assert line.new_list_price == D("25000.00")
    assert line.amount == D("9011.87")
    assert (line.span_start, line.span_end) == (CHANGE, END)
    assert abs(line.remaining - D(414) / D(758)) < D("1e-20")


def test_worked_example_downgrade_refunds_the_same():
    premium = with_charge(standard_month(), Charge(D("9011.87"), CHANGE, END), Level.PREMIUM)
    assert downgrade_refund([premium], CHANGE, Level.STANDARD) == D("9011.87")
    refund, lines = downgrade_breakdown([premium], CHANGE, Level.STANDARD)
    assert refund == D("9011.87")
    assert lines[0].new_list_price == D("8500.00")
    assert (lines[0].hours_remaining, lines[0].hours_total) == (414, 758)


# --- edges -------------------------------------------------------------------


def test_remaining_fraction():
    assert remaining_fraction(PAID, END, bj(2023, 12, 31)) == 1
    assert remaining_fraction(PAID, END, PAID) == 1
    assert remaining_fraction(PAID, END, END + timedelta(seconds=1)) == 0
    r = remaining_fraction(PAID, END, CHANGE)
    assert r.quantize(D("1e-8")) == D("0.54617414")
    assert len(str(r).split(".")[1]) >= 8


def test_change_in_the_first_hour_costs_the_whole_difference():
    # paid 10:30, changed 10:55: the period start and "now" floor to the same hour.
    fee, lines = upgrade_breakdown([standard_month()], bj(2024, 1, 1, 10, 55), Level.PREMIUM)
    assert (lines[0].hours_remaining, lines[0].hours_total) == (758, 758)
    assert fee == D("16500.00")


def test_change_in_the_last_hour():
    fee, lines = upgrade_breakdown([standard_month()], bj(2024, 2, 1, 23, 30), Level.PREMIUM)
    assert (lines[0].hours_remaining, lines[0].hours_total) == (1, 758)
    assert fee == D("21.77")  # 16,500 x 1/758 = 21.7678...


def test_change_after_the_end_is_free_and_has_no_lines():
    assert upgrade_breakdown([standard_month()], END + timedelta(seconds=1), Level.PREMIUM) == (D("0.00"), [])


def test_change_across_a_month_end():
    # paid 2024/01/31 10:15 -> ends 2024/02/29 23:59:59 (710 h); change at 2024/02/01 00:30 Beijing,
    # given in UTC as 2024-01-31 16:30Z.
    period = standard_month(bj(2024, 1, 31, 10, 15))
    assert period.end == bj(2024, 2, 29, 23, 59, 59)
    fee, lines = upgrade_breakdown([period], datetime(2024, 1, 31, 16, 30, tzinfo=UTC), Level.PREMIUM)
    assert (lines[0].hours_remaining, lines[0].hours_total) == (696, 710)
    assert fee == D("16174.65")


def test_future_renewal_counts_in_full():
    current = standard_month()
    r_start, r_end = renewal_period(current.end, 1)
    renewal = whole_period(r_start, r_end, 1, Level.STANDARD, D("8500.00"), is_renewal=True)
    fee, lines = upgrade_breakdown([current, renewal], CHANGE, Level.PREMIUM)
    assert lines[1].remaining == 1
    assert lines[1].span_start == r_start  # the upgrade pays for the whole future period
    assert fee == D("25511.87")  # 9,011.8733... + 16,500
    assert sum(line.amount for line in lines) == fee


def test_discount_coupon_on_the_old_period_is_not_carried_over():
    _, cash = apply_coupon(D("8500.00"), Coupon("discount", rate=D("0.9")))
    assert cash == D("7650.00")
    period = standard_month(amount=cash)
    assert upgrade_fee([period], CHANGE, Level.PREMIUM) == D("9476.12")  # (25,000 - 7,650) x 414/758


def test_downgrade_of_a_discounted_premium_period():
    start, end = purchase_period(PAID, 1)
    premium = whole_period(start, end, 1, Level.PREMIUM, D("22500.00"))
    assert downgrade_refund([premium], CHANGE, Level.STANDARD) == D("7646.44")  # 14,000 x 414/758


def test_later_downgrade_after_an_upgrade():
    premium = upgraded(standard_month(), CHANGE)
    # 2024/01/20 12:00 -> 300 hours left of 758 (and of the upgrade's 414).
    refund = downgrade_refund([premium], bj(2024, 1, 20, 12), Level.STANDARD)
    assert refund == D("6530.34")


def test_yearly_discount_uses_discounted_list_price():
    catalog = Catalog(yearly_discount=D("0.10"))
    start, end = purchase_period(PAID, 12)
    period = whole_period(start, end, 12, Level.STANDARD, list_price(Level.STANDARD, 12, catalog))
    fee = upgrade_fee([period], start, Level.PREMIUM, catalog)
    assert fee == list_price(Level.PREMIUM, 12, catalog) - list_price(Level.STANDARD, 12, catalog) == D("178200.00")


def test_wrong_direction_is_refused():
    with pytest.raises(ValueError, match="not an upgrade"):
        upgrade_fee([standard_month()], CHANGE, Level.STANDARD)
    with pytest.raises(ValueError, match="not a downgrade"):
        downgrade_refund([standard_month()], CHANGE, Level.PREMIUM)


def test_unused_plus_consumed_is_the_charges():
    premium = upgraded(standard_month(), CHANGE)
    for now in (PAID, CHANGE, bj(2024, 1, 20, 12), END, END + timedelta(hours=1)):
        total = sum(c.amount for c in premium.charges)
        assert unused_value(premium.charges, now) + consumed_value(premium.charges, now) == total


# --- properties ----------------------------------------------------------------


@st.composite
def chains(draw, level=Level.STANDARD, with_coupon=True):
    """A purchase plus 0-2 renewals, each charged its list price (maybe after a discount coupon), and a `now`."""
    paid_at = draw(
        st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(BEIJING))
    ).replace(microsecond=0)
    terms = draw(st.lists(st.sampled_from(TERMS), min_size=1, max_size=3))
    periods = []
    start, end = purchase_period(paid_at, terms[0])
    for i, months in enumerate(terms):
        if i:
            start, end = renewal_period(end, months)
        price = list_price(level, months)
        if with_coupon and draw(st.booleans()):
            rate = D(draw(st.integers(min_value=50, max_value=99))) / 100
            price = apply_coupon(price, Coupon("discount", rate=rate))[1]
        periods.append(whole_period(start, end, months, level, price, is_renewal=i > 0))
    span = int((periods[-1].end - paid_at).total_seconds())
    now = paid_at + timedelta(seconds=draw(st.integers(min_value=-86400, max_value=span + 86400)))
    return periods, now


@given(chains())
@settings(max_examples=200, deadline=None)
def test_upgrade_fee_is_never_negative(chain):
    periods, now = chain
    fee, lines = upgrade_breakdown(periods, now, Level.PREMIUM)
    assert fee >= 0
    assert sum((line.amount for line in lines), D(0)) == fee


def apply_upgrade(periods, now):
    """The chain after paying the upgrade quoted at `now` (the service's job, done the obvious way)."""
    _, lines = upgrade_breakdown(periods, now, Level.PREMIUM)
    by_start = {line.start: line for line in lines}
    return [
        with_charge(p, Charge(by_start[p.start].amount, by_start[p.start].span_start, p.end), Level.PREMIUM)
        if p.start in by_start
        else PeriodView(p.start, p.end, p.months, Level.PREMIUM, p.charges, p.is_renewal)
        for p in periods
    ]


@given(chains(level=Level.PREMIUM))
@settings(max_examples=200, deadline=None)
def test_downgrade_refund_is_never_negative(chain):
    periods, now = chain
    refund, lines = downgrade_breakdown(periods, now, Level.STANDARD)
    assert refund >= 0
    assert sum((line.amount for line in lines), D(0)) == refund


@given(chains(), st.integers(min_value=0, max_value=3 * 366 * 86400))
@settings(max_examples=200, deadline=None)
def test_downgrade_after_an_upgrade_is_never_negative(chain, later):
    periods, now = chain
    after = apply_upgrade(periods, now)
    assert downgrade_refund(after, now + timedelta(seconds=later), Level.STANDARD) >= 0


@given(chains(with_coupon=False))
@settings(max_examples=200, deadline=None)
def test_upgrade_then_immediate_downgrade_refunds_the_fee(chain):
    periods, now = chain
    fee = upgrade_fee(periods, now, Level.PREMIUM)
    refund = downgrade_refund(apply_upgrade(periods, now), now, Level.STANDARD)
    assert abs(refund - fee) <= D("0.01")
