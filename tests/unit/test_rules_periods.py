"""Periods: month arithmetic, purchase/renewal ends, natural months, whole hours."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.rules.periods import (
    BEIJING,
    TERMS,
    add_months,
    effective_end,
    hour_floor,
    hours_between,
    is_valid_term,
    natural_month,
    purchase_period,
    renewal_period,
)
from tests.helpers.times import bj


def test_terms():
    assert TERMS == (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 24, 36)
    assert all(is_valid_term(t) for t in TERMS)
    for bad in (0, 13, 18, 48, -1, True, "1", 1.0, None):
        assert not is_valid_term(bad)


@pytest.mark.parametrize(
    "start, n, expected",
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2100, 1, 31), 1, date(2100, 2, 28)),  # century, not leap
        (date(2000, 1, 31), 1, date(2000, 2, 29)),  # 400-year leap
        (date(2019, 12, 11), 1, date(2020, 1, 11)),  # year wrap
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2024, 3, 31), 1, date(2024, 4, 30)),
        (date(2024, 1, 15), 36, date(2027, 1, 15)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2024, 5, 10), 0, date(2024, 5, 10)),
    ],
)
def test_add_months(start, n, expected):
    assert add_months(start, n) == expected


def test_purchase_period_guide():
    start, end = purchase_period(bj(2019, 12, 11, 17, 4, 33), 1)
    assert start == bj(2019, 12, 11, 17, 4, 33)
    assert end == bj(2020, 1, 11, 23, 59, 59)


def test_purchase_period_uses_beijing_date():
    # 2024-01-31 23:30 UTC is 2024-02-01 07:30 in Beijing: the start date is Feb 1.
    start, end = purchase_period(datetime(2024, 1, 31, 23, 30, tzinfo=UTC), 1)
    assert start == datetime(2024, 1, 31, 23, 30, tzinfo=UTC)
    assert start.tzinfo == BEIJING
    assert end == bj(2024, 3, 1, 23, 59, 59)


def test_purchase_period_worked_example_and_years():
    assert purchase_period(bj(2024, 1, 1, 10, 30), 1)[1] == bj(2024, 2, 1, 23, 59, 59)
    assert purchase_period(bj(2024, 2, 29, 9), 12)[1] == bj(2025, 2, 28, 23, 59, 59)
    assert purchase_period(bj(2024, 1, 31, 9), 36)[1] == bj(2027, 1, 31, 23, 59, 59)


def test_purchase_period_refuses_bad_term_and_naive():
    with pytest.raises(ValueError):
        purchase_period(bj(2024, 1, 1), 13)
    with pytest.raises(ValueError, match="timezone-aware"):
        purchase_period(datetime(2024, 1, 1), 1)


def test_renewal_period():
    start, end = renewal_period(bj(2024, 1, 31, 23, 59, 59), 1)
    assert start == bj(2024, 2, 1, 0, 0, 0)
    assert end == bj(2024, 2, 29, 23, 59, 59)
    assert renewal_period(bj(2023, 1, 31, 23, 59, 59), 1)[1] == bj(2023, 2, 28, 23, 59, 59)
    assert renewal_period(bj(2020, 1, 11, 23, 59, 59), 12) == (bj(2020, 1, 12), bj(2021, 1, 11, 23, 59, 59))


def test_natural_month_utc_evening_on_the_31st_is_next_beijing_month():
    start, end = natural_month(datetime(2024, 1, 31, 23, 30, tzinfo=UTC))
    assert start == bj(2024, 2, 1, 0, 0, 0)
    assert end == bj(2024, 2, 29, 23, 59, 59)  # leap February
    assert start.tzinfo == BEIJING


def test_natural_month_edges():
    assert natural_month(bj(2023, 2, 1, 0, 0, 0)) == (bj(2023, 2, 1), bj(2023, 2, 28, 23, 59, 59))
    assert natural_month(bj(2024, 12, 31, 23, 59, 59)) == (bj(2024, 12, 1), bj(2024, 12, 31, 23, 59, 59))
    # 2024-01-31 15:59:59 UTC is still January in Beijing.
    assert natural_month(datetime(2024, 1, 31, 15, 59, 59, tzinfo=UTC))[0] == bj(2024, 1, 1)


def test_hour_floor_and_effective_end():
    assert hour_floor(bj(2024, 1, 15, 18, 40, 12, 5)) == bj(2024, 1, 15, 18)
    assert hour_floor(datetime(2024, 1, 15, 10, 40, tzinfo=UTC)) == bj(2024, 1, 15, 18)
    assert effective_end(bj(2024, 2, 1, 23, 59, 59)) == bj(2024, 2, 2, 0, 0, 0)
    assert effective_end(bj(2024, 2, 1, 23, 59, 59, 999999)) == bj(2024, 2, 2)
    assert effective_end(bj(2024, 2, 1, 12, 30)) == bj(2024, 2, 1, 12, 30)


def test_hours_between_worked_example():
    start, end = bj(2024, 1, 1, 10, 30), bj(2024, 2, 1, 23, 59, 59)
    assert hours_between(start, end) == 758
    assert hours_between(bj(2024, 1, 15, 18, 40), end) == 414
    assert hours_between(end, start) == 0
    assert hours_between(bj(2024, 2, 1, 23, 30), end) == 1


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 12, 31), timezones=st.just(BEIJING)),
    st.sampled_from(TERMS),
)
@settings(max_examples=200)
def test_renewal_chain_is_contiguous(paid_at, months):
    start, end = purchase_period(paid_at, months)
    assert start < end
    assert end.time().isoformat() == "23:59:59"
    r_start, r_end = renewal_period(end, months)
    assert r_start - end == timedelta(seconds=1)
    assert r_start.time().isoformat() == "00:00:00"
    assert r_end > r_start
