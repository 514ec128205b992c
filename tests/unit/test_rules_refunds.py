"""Unsubscribe: consumed value, handling fee, refund and the five-day quota (SPEC.md §5)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.enums import Level
from models.rules.periods import BEIJING, TERMS, purchase_period, renewal_period
from models.rules.pricing import Coupon, apply_coupon, list_price
from models.rules.proration import Charge, upgrade_breakdown, whole_period, with_charge
from models.rules.refunds import (
    fee_rate,
    five_day_eligible,
    five_day_remaining_after,
    quota_year,
    quota_year_end,
    unsubscribe_quote,
    unsubscribe_row,
    years_of_use,
)
from tests.helpers.times import bj

D = Decimal


def bought(paid_at: datetime, months: int, level=Level.STANDARD, amount=None):
    start, end = purchase_period(paid_at, months)
    return whole_period(start, end, months, level, amount if amount is not None else list_price(level, months))


# --- SPEC §5 cases ----------------------------------------------------------------


def test_guide_case_same_hour_without_five_day_quota():
    period = bought(bj(2019, 12, 11, 17, 4, 33), 1)
    row = unsubscribe_row(period, bj(2019, 12, 11, 17, 50), five_day=False)
    assert (row.paid, row.consumed, row.fee, row.refund) == (D("8500.00"), D("0.00"), D("850.00"), D("7650.00"))
    assert row.hours_used == 0


def test_vendor_example():
    period = bought(bj(2024, 1, 1, 10, 30), 1)
    row = unsubscribe_row(period, bj(2024, 1, 15, 18, 40), five_day=False)
    assert (row.hours_used, row.hours_total) == (344, 758)
    assert row.consumed == D("3857.52")
    assert row.fee == D("850.00")
    assert row.refund == D("3792.48")
    assert row.rate == D("0.10")


def test_five_day_row_is_a_full_refund():
    period = bought(bj(2024, 1, 1, 10, 30), 1)
    row = unsubscribe_row(period, bj(2024, 1, 3, 9), five_day=True)
    assert (row.consumed, row.fee, row.refund) == (D("0"), D("0"), D("8500.00"))
    assert row.five_day


def test_unstarted_renewal_is_refunded_in_full_and_five_day_skips_renewals():
    current = bought(bj(2024, 1, 1, 10, 30), 1)
    r_start, r_end = renewal_period(current.end, 12)
    renewal = whole_period(r_start, r_end, 12, Level.STANDARD, D("102000.00"), is_renewal=True)
    now = bj(2024, 1, 15, 18, 40)
    rows, totals = unsubscribe_quote([current, renewal], now, five_day=False)
    assert rows[1].refund == rows[1].paid == D("102000.00")
    assert (rows[1].consumed, rows[1].fee) == (D("0"), D("0"))
    assert totals.paid == D("110500.00")
    assert totals.consumed == D("3857.52")
    assert totals.fee == D("850.00")
    assert totals.refund == D("105792.48")
    # A started renewal never gets the five-day treatment.
    rows, _ = unsubscribe_quote([renewal], r_start + timedelta(hours=30), five_day=True)
    assert not rows[0].five_day and rows[0].fee == D("10200.00")


def test_ended_periods_are_skipped():
    old = bought(bj(2023, 1, 1, 9), 1)
    current = bought(bj(2024, 1, 1, 10, 30), 1)
    rows, totals = unsubscribe_quote([old, current], bj(2024, 1, 15, 18, 40), five_day=False)
    assert len(rows) == 1 and totals.refund == D("3792.48")


def test_upgraded_period_uses_its_charges():
    period = bought(bj(2024, 1, 1, 10, 30), 1)
    change = bj(2024, 1, 15, 18, 40)
    _, (line,) = upgrade_breakdown([period], change, Level.PREMIUM)
    premium = with_charge(period, Charge(line.amount, line.span_start, line.span_end), Level.PREMIUM)
    row = unsubscribe_row(premium, change, five_day=False)
    assert row.paid == D("17511.87")
    assert row.consumed == D("3857.52")  # the upgrade charge is not consumed yet
    assert row.fee == D("1751.19")
    assert row.refund == D("11903.16")


def test_paid_is_cash_after_a_discount_coupon():
    _, cash = apply_coupon(D("8500.00"), Coupon("discount", rate=D("0.9")))
    row = unsubscribe_row(bought(bj(2024, 1, 1, 10, 30), 1, amount=cash), bj(2024, 1, 15, 18, 40), False)
    assert (row.paid, row.fee) == (D("7650.00"), D("765.00"))
    assert row.consumed == D("3471.77")  # 7,650 x 344/758 = 3471.767...
    assert row.refund == D("3413.23")


# --- handling-fee rates --------------------------------------------------------------


@pytest.mark.parametrize("months", list(range(1, 13)))
def test_fee_rate_up_to_a_year_is_ten_percent(months):
    assert fee_rate(months, 0) == D("0.10")


def test_fee_rate_multi_year_steps():
    assert [fee_rate(24, y) for y in range(3)] == [D("0.15"), D("0.10"), D("0.10")]
    assert [fee_rate(36, y) for y in range(4)] == [D("0.15"), D("0.10"), D("0.05"), D("0.05")]
    with pytest.raises(ValueError):
        fee_rate(18, 0)
    with pytest.raises(ValueError):
        fee_rate(24, -1)


def test_years_of_use():
    start = bj(2024, 3, 1, 9)
    assert years_of_use(start, start) == 0
    assert years_of_use(start, bj(2025, 3, 1, 8, 59, 59)) == 0
    assert years_of_use(start, bj(2025, 3, 1, 9)) == 1
    assert years_of_use(start, bj(2027, 3, 1, 9)) == 3
    assert years_of_use(start, bj(2023, 1, 1)) == 0
    # Leap day: the anniversary in a common year is Feb 28.
    leap = bj(2024, 2, 29, 12)
    assert years_of_use(leap, bj(2025, 2, 28, 11, 59)) == 0
    assert years_of_use(leap, bj(2025, 2, 28, 12)) == 1
    assert years_of_use(leap, bj(2028, 2, 29, 12)) == 4


def test_two_year_fee_steps():
    period = bought(bj(2024, 3, 1, 9), 24)  # paid 204,000
    first = unsubscribe_row(period, bj(2024, 6, 1, 9), False)
    second = unsubscribe_row(period, bj(2025, 3, 1, 9), False)
    assert (first.rate, first.fee) == (D("0.15"), D("30600.00"))
    assert (second.rate, second.fee) == (D("0.10"), D("20400.00"))


def test_three_year_fee_steps():
    period = bought(bj(2024, 3, 1, 9), 36, level=Level.PREMIUM)  # paid 900,000; 26,295 hours
    assert period.end == bj(2027, 3, 1, 23, 59, 59)
    year1 = unsubscribe_row(period, bj(2024, 6, 1, 9), False)
    assert (year1.fee, year1.consumed) == (D("135000.00"), D("75573.30"))
    year2 = unsubscribe_row(period, bj(2025, 3, 1, 9), False)
    assert (year2.fee, year2.consumed, year2.refund) == (D("90000.00"), D("299828.86"), D("510171.14"))
    just_before = unsubscribe_row(period, bj(2026, 3, 1, 8, 59), False)
    assert (just_before.fee, just_before.refund) == (D("90000.00"), D("210376.50"))
    year3 = unsubscribe_row(period, bj(2026, 3, 1, 9), False)
    assert (year3.fee, year3.consumed, year3.refund) == (D("45000.00"), D("599657.73"), D("255342.27"))


# --- five-day no-reason unsubscribe ------------------------------------------------------

PAID = bj(2024, 1, 1, 10, 30)


def test_five_day_window_boundary_is_inclusive():
    assert five_day_eligible(True, PAID, PAID, 0)
    assert five_day_eligible(True, PAID, PAID + timedelta(hours=120), 0)
    assert not five_day_eligible(True, PAID, PAID + timedelta(hours=120, seconds=1), 0)
    assert not five_day_eligible(True, PAID, PAID - timedelta(seconds=1), 0)


def test_five_day_needs_a_new_purchase_and_quota():
    assert not five_day_eligible(False, PAID, PAID + timedelta(hours=1), 0)
    assert five_day_eligible(True, PAID, PAID + timedelta(hours=1), 9)
    assert not five_day_eligible(True, PAID, PAID + timedelta(hours=1), 10)
    assert five_day_eligible(True, PAID, PAID + timedelta(hours=1), 10, yearly_quota=11)


def test_five_day_remaining_after():
    assert five_day_remaining_after(0, 10) == 9
    assert five_day_remaining_after(9, 10) == 0
    assert five_day_remaining_after(12, 10) == 0
    assert five_day_remaining_after(0) == 9


def test_quota_year_follows_beijing_new_year():
    assert quota_year_end(bj(2024, 6, 1)) == date(2024, 12, 31)
    assert quota_year_end(bj(2024, 12, 31, 23, 59, 59)) == date(2024, 12, 31)
    # 2024-12-31 16:30 UTC is 2025-01-01 00:30 in Beijing: a new quota year.
    new_year = datetime(2024, 12, 31, 16, 30, tzinfo=UTC)
    assert quota_year(new_year) == 2025
    assert quota_year_end(new_year) == date(2025, 12, 31)
    assert quota_year(datetime(2024, 12, 31, 15, 59, 59, tzinfo=UTC)) == 2024


# --- properties ----------------------------------------------------------------------


@st.composite
def periods_and_now(draw):
    paid_at = draw(
        st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(BEIJING))
    ).replace(microsecond=0)
    months = draw(st.sampled_from(TERMS))
    level = draw(st.sampled_from([Level.STANDARD, Level.PREMIUM]))
    price = list_price(level, months)
    if draw(st.booleans()):
        price = apply_coupon(price, Coupon("discount", rate=D(draw(st.integers(1, 99))) / 100))[1]
    if draw(st.booleans()):
        price = apply_coupon(price, Coupon("voucher", amount=D(draw(st.integers(1, 10**8))) / 100))[1]
    start, end = purchase_period(paid_at, months)
    period = whole_period(start, end, months, Level.STANDARD, price)
    span = int((end - start).total_seconds())
    if draw(st.booleans()):
        change = start + timedelta(seconds=draw(st.integers(0, span)))
        _, lines = upgrade_breakdown([period], change, Level.PREMIUM)
        if lines:
            period = with_charge(period, Charge(lines[0].amount, lines[0].span_start, lines[0].span_end), Level.PREMIUM)
    now = start + timedelta(seconds=draw(st.integers(-86400, span)))
    return period, now, draw(st.booleans())


@given(periods_and_now())
@settings(max_examples=200, deadline=None)
def test_unsubscribe_row_properties(case):
    period, now, five_day = case
    row = unsubscribe_row(period, now, five_day)
    assert row.refund >= 0
    assert row.refund <= row.paid
    assert row.consumed >= 0 and row.fee >= 0
    if row.refund > 0:
        assert row.consumed + row.fee + row.refund == row.paid
    for value in (row.paid, row.consumed, row.fee, row.refund):
        assert value == value.quantize(D("0.01"))
