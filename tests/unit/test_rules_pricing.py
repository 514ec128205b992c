"""Catalog, list prices, packs and coupons."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.enums import Level
from models.rules.periods import BEIJING, TERMS
from models.rules.pricing import (
    LEVEL_RANK,
    PACK_MAX,
    PACK_MIN,
    Catalog,
    Coupon,
    apply_coupon,
    coupon_applies,
    is_downgrade,
    is_upgrade,
    list_price,
    monthly_price,
    pack_price,
)

D = Decimal
NOW = datetime(2024, 1, 15, 18, 40, tzinfo=BEIJING)


def test_levels_and_ranks():
    assert (Level.BASIC, Level.STANDARD, Level.PREMIUM) == ("basic", "standard", "premium")
    assert LEVEL_RANK[Level.BASIC] < LEVEL_RANK[Level.STANDARD] < LEVEL_RANK[Level.PREMIUM]
    assert is_upgrade(Level.STANDARD, Level.PREMIUM) and not is_upgrade(Level.PREMIUM, Level.STANDARD)
    assert is_downgrade(Level.PREMIUM, Level.STANDARD) and not is_downgrade(Level.STANDARD, Level.STANDARD)


def test_default_catalog():
    c = Catalog()
    assert (c.standard_monthly_fen, c.premium_monthly_fen, c.pack_price_fen) == (850000, 2500000, 200000)
    assert c.yearly_discount == D("0")
    assert (c.pack_tickets, c.standard_monthly_tickets) == (10, 30)


def test_catalog_validation():
    with pytest.raises(ValueError):
        Catalog(yearly_discount=D("1"))
    with pytest.raises(ValueError):
        Catalog(standard_monthly_fen=-1)
    with pytest.raises(ValueError):
        Catalog(yearly_discount=0.1)  # type: ignore[arg-type]


def test_monthly_price():
    assert monthly_price(Level.BASIC) == D("0")
    assert monthly_price(Level.STANDARD) == D("8500.00")
    assert monthly_price(Level.PREMIUM) == D("25000.00")
    with pytest.raises(ValueError):
        monthly_price("gold")


@pytest.mark.parametrize(
    "level, months, expected",
    [
        (Level.STANDARD, 1, "8500.00"),
        (Level.STANDARD, 11, "93500.00"),
        (Level.STANDARD, 12, "102000.00"),
        (Level.STANDARD, 24, "204000.00"),
        (Level.PREMIUM, 36, "900000.00"),
        (Level.BASIC, 12, "0.00"),
    ],
)
def test_list_price_without_discount(level, months, expected):
    assert list_price(level, months) == D(expected)


def test_list_price_yearly_discount_applies_to_year_terms_only():
    c = Catalog(yearly_discount=D("0.15"))
    assert list_price(Level.STANDARD, 12, c) == D("86700.00")
    assert list_price(Level.STANDARD, 24, c) == D("173400.00")
    assert list_price(Level.STANDARD, 11, c) == D("93500.00")
    # Rounded once, half up: 1.01 x 12 x (1 - 0.125) = 10.605 -> 10.61
    odd = Catalog(standard_monthly_fen=101, yearly_discount=D("0.125"))
    assert list_price(Level.STANDARD, 12, odd) == D("10.61")


def test_list_price_refuses_bad_term():
    for bad in (0, 13, 18):
        with pytest.raises(ValueError):
            list_price(Level.STANDARD, bad)


def test_pack_price():
    assert (PACK_MIN, PACK_MAX) == (1, 99)
    assert pack_price(1) == D("2000.00")
    assert pack_price(99) == D("198000.00")
    for bad in (0, 100, -1, True):
        with pytest.raises(ValueError):
            pack_price(bad)


def test_coupon_validation():
    with pytest.raises(ValueError):
        Coupon("voucher", amount=None)
    with pytest.raises(ValueError):
        Coupon("voucher", amount=D("0"))
    with pytest.raises(ValueError):
        Coupon("discount", rate=D("1.1"))
    with pytest.raises(ValueError):
        Coupon("discount", rate=D("0"))
    with pytest.raises(ValueError):
        Coupon("gift", amount=D("1"))


def test_coupon_applies():
    v = Coupon("voucher", amount=D("500"), min_amount=D("8500"), expires_at=NOW)
    assert coupon_applies(v, D("8500.00"), NOW)  # expiry instant inclusive
    assert not coupon_applies(v, D("8499.99"), NOW)
    assert not coupon_applies(v, D("8500.00"), NOW + timedelta(seconds=1))
    open_ended = Coupon("discount", rate=D("0.9"))
    assert coupon_applies(open_ended, D("0.01"), NOW)
    assert not coupon_applies(open_ended, D("0"), NOW)


def test_apply_coupon():
    assert apply_coupon(D("8500.00"), None) == (D("0"), D("8500.00"))
    assert apply_coupon(D("8500.00"), Coupon("voucher", amount=D("500"))) == (D("500.00"), D("8000.00"))
    assert apply_coupon(D("300.00"), Coupon("voucher", amount=D("500"))) == (D("300.00"), D("0.00"))
    assert apply_coupon(D("8500.00"), Coupon("discount", rate=D("0.9"))) == (D("850.00"), D("7650.00"))
    # 9011.87 x 0.9 = 8110.683 -> due 8110.68, discount is the rest
    assert apply_coupon(D("9011.87"), Coupon("discount", rate=D("0.9"))) == (D("901.19"), D("8110.68"))
    # half up on the due amount: 0.05 x 0.5 = 0.025 -> 0.03
    assert apply_coupon(D("0.05"), Coupon("discount", rate=D("0.5"))) == (D("0.02"), D("0.03"))


amounts = st.integers(min_value=0, max_value=10**10).map(lambda f: D(f) / 100)
coupons = st.one_of(
    st.none(),
    st.builds(lambda f: Coupon("voucher", amount=D(f) / 100), st.integers(min_value=1, max_value=10**10)),
    st.builds(lambda r: Coupon("discount", rate=D(r) / 100), st.integers(min_value=1, max_value=99)),
)


@given(amounts, coupons)
@settings(max_examples=200)
def test_apply_coupon_properties(amount, coupon):
    discount, due = apply_coupon(amount, coupon)
    assert due >= 0
    assert discount >= 0
    assert discount + due == amount
    assert due.as_tuple().exponent == -2 and discount.as_tuple().exponent == -2


@given(st.sampled_from(TERMS), st.integers(min_value=0, max_value=99))
@settings(max_examples=100)
def test_list_price_is_monotone_in_level(months, discount_pct):
    c = Catalog(yearly_discount=D(discount_pct) / 100)
    assert (
        list_price(Level.BASIC, months, c)
        <= list_price(Level.STANDARD, months, c)
        <= list_price(Level.PREMIUM, months, c)
    )
