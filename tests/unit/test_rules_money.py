"""Money rules: fen <-> Decimal, the one rounding step, parsing and display."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.rules.money import (
    FEN,
    AmountError,
    format_datetime_cn,
    format_money,
    parse_amount,
    round_fen,
    to_decimal,
    to_fen,
)
from models.rules.periods import BEIJING


def test_fen_constant():
    assert Decimal("0.01") == FEN


@pytest.mark.parametrize(
    "fen, expected",
    [(850000, "8500.00"), (0, "0.00"), (1, "0.01"), (-85000, "-850.00"), (901187, "9011.87")],
)
def test_to_decimal(fen, expected):
    value = to_decimal(fen)
    assert value == Decimal(expected)
    assert str(value) == expected


def test_to_decimal_refuses_non_int():
    with pytest.raises(TypeError):
        to_decimal(8500.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "amount, fen",
    [("8500.00", 850000), ("0.005", 1), ("0.004", 0), ("9011.8733", 901187), ("-850", -85000)],
)
def test_to_fen_rounds_half_up(amount, fen):
    assert to_fen(Decimal(amount)) == fen


@pytest.mark.parametrize(
    "x, expected",
    [("2.345", "2.35"), ("2.344999", "2.34"), ("-2.345", "-2.35"), ("3857.519788", "3857.52"), ("1", "1.00")],
)
def test_round_fen_half_up(x, expected):
    assert str(round_fen(Decimal(x))) == expected


@given(st.integers(min_value=-(10**12), max_value=10**12))
@settings(max_examples=200)
def test_fen_round_trip(fen):
    assert to_fen(to_decimal(fen)) == fen


@pytest.mark.parametrize(
    "text, expected",
    [
        ("8500", "8500.00"),
        ("8500.5", "8500.50"),
        ("8,500.00", "8500.00"),
        (" 8500 ", "8500.00"),
        ("¥8,500.00", "8500.00"),
        ("0.01", "0.01"),
        ("1,234,567.89", "1234567.89"),
        ("100000000", "100000000.00"),
        ("1.230", "1.23"),
    ],
)
def test_parse_amount_accepts(text, expected):
    value = parse_amount(text)
    assert value == Decimal(expected)
    assert value.as_tuple().exponent == -2


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "required"),
        ("   ", "required"),
        ("abc", "number"),
        ("-5", "greater than zero"),
        ("0", "greater than zero"),
        ("0.00", "greater than zero"),
        ("1.234", "2 decimal places"),
        ("NaN", "finite"),
        ("Infinity", "finite"),
        ("-Infinity", "finite"),
        ("100000000.01", "exceed"),
        ("1" + "0" * 40, "exceed"),
        ("1e3", "plain number"),
        ("85,00", "plain number"),
        ("8500.", "number"),
    ],
)
def test_parse_amount_rejects(text, fragment):
    with pytest.raises(AmountError) as info:
        parse_amount(text)
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)


def test_parse_amount_none_is_required():
    with pytest.raises(AmountError, match="required"):
        parse_amount(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("locale", ["zh_CN", "en", "zh-CN", "en_US"])
def test_format_money_same_in_every_locale(locale):
    assert format_money(Decimal("8500"), locale) == "¥8,500.00"
    assert format_money(Decimal("-850"), locale) == "-¥850.00"
    assert format_money(Decimal("0"), locale) == "¥0.00"
    assert format_money(Decimal("1234567.891"), locale) == "¥1,234,567.89"


def test_format_money_int_is_fen():
    assert format_money(850000, "zh_CN") == "¥8,500.00"
    assert format_money(-85000, "en") == "-¥850.00"
    assert format_money(1, "en") == "¥0.01"


def test_format_money_rounds_half_up_not_half_even():
    assert format_money(Decimal("8500.005"), "en") == "¥8,500.01"
    assert format_money(Decimal("-0.001"), "en") == "¥0.00"


def test_format_money_refuses_float():
    with pytest.raises(TypeError):
        format_money(8500.0, "en")  # type: ignore[arg-type]


def test_format_datetime_cn_guide_timestamp():
    assert format_datetime_cn(datetime(2019, 12, 11, 17, 4, 33, tzinfo=BEIJING)) == "2019/12/11 17:04:33"


def test_format_datetime_cn_converts_to_beijing():
    utc = datetime(2019, 12, 11, 9, 4, 33, tzinfo=UTC)
    assert format_datetime_cn(utc) == "2019/12/11 17:04:33"
    assert format_datetime_cn(datetime(2024, 1, 31, 23, 30, tzinfo=UTC)) == "2024/02/01 07:30:00"


def test_format_datetime_cn_naive_is_beijing_wall_time():
    assert format_datetime_cn(datetime(2020, 1, 11, 23, 59, 59)) == "2020/01/11 23:59:59"
