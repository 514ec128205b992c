"""怎么算的 (SPEC.md §14): explanations add up to their amounts fen for fen; list and pack prices explain themselves."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.enums import Level
from models.rules.explain import (
    ROUNDING_LABEL,
    ExplainLine,
    Explanation,
    ExplanationError,
    LineKind,
    check,
    money_exact,
    percent,
)
from models.rules.periods import TERMS, YEAR_TERMS
from models.rules.pricing import (
    PACK_MAX,
    PACK_MIN,
    Catalog,
    list_price,
    list_price_explained,
    pack_price,
    pack_price_explained,
)

D = Decimal
LINE_VALUES = st.decimals(min_value=D("-100000"), max_value=D("100000"), places=6, allow_nan=False)


def added_sum(explanation: Explanation) -> Decimal:
    """What a person adding up the shown lines (subtotals skipped) gets."""
    return sum((line.value for line in explanation.lines if line.kind != LineKind.SUBTOTAL), D(0))


def test_check_refuses_lines_that_do_not_add_up() -> None:
    with pytest.raises(ExplanationError, match="sum to"):
        Explanation.of(D("10.00"), [ExplainLine("a", D("9.99"))])


def test_check_refuses_an_amount_that_is_not_whole_fen() -> None:
    with pytest.raises(ExplanationError, match="whole fen"):
        Explanation.of(D("10.005"), [ExplainLine("a", D("10.005"))])


def test_check_refuses_two_rounding_steps_and_a_wrong_subtotal() -> None:
    with pytest.raises(ExplanationError, match="One rounding"):
        Explanation.of(
            D("1.00"),
            [
                ExplainLine("a", D("1.004")),
                ExplainLine("r", D("-0.002"), LineKind.ROUNDING),
                ExplainLine("r", D("-0.002"), LineKind.ROUNDING),
            ],
        )
    with pytest.raises(ExplanationError, match="Subtotal"):
        Explanation.of(D("2.00"), [ExplainLine("a", D("2.00")), ExplainLine("s", D("1.00"), LineKind.SUBTOTAL)])


def test_amount_from_fen_and_back() -> None:
    explanation = Explanation.of(850000, [ExplainLine("a", D("8500.00"))])
    assert explanation.amount == D("8500.00")
    assert explanation.amount_fen == 850000
    check(explanation)


@settings(max_examples=200, deadline=None)
@given(st.lists(LINE_VALUES, min_size=1, max_size=8))
def test_rounded_adds_up_fen_for_fen(values: list[Decimal]) -> None:
    explanation = Explanation.rounded([ExplainLine("x", v) for v in values], subtotal_label="小计")
    assert explanation.amount == (sum(values, D(0))).quantize(D("0.01"), rounding="ROUND_HALF_UP")
    assert added_sum(explanation) == explanation.amount == explanation.total
    assert [line.kind for line in explanation.lines].count(LineKind.ROUNDING) == 1
    assert explanation.lines[-1].label == ROUNDING_LABEL


def test_value_text_shows_every_digit() -> None:
    assert money_exact(D("8500.00"), "zh_CN") == "¥8,500.00"
    assert money_exact(D("-3396.6034"), "en") == "-¥3,396.6034"
    assert ExplainLine("r", D("0.0034"), LineKind.ROUNDING).value_text("zh_CN") == "+¥0.0034"
    assert ExplainLine("r", D("-0.004"), LineKind.ROUNDING).value_text("zh_CN") == "-¥0.004"
    assert percent(D("0.05")) == "5%"
    assert percent(D("0")) == "0%"
    assert percent(D("0.125")) == "12.5%"


# SPEC.md §2's prices
@pytest.mark.parametrize(
    ("level", "months", "amount"),
    [
        (Level.STANDARD, 1, D("8500.00")),
        (Level.STANDARD, 12, D("102000.00")),
        (Level.PREMIUM, 3, D("75000.00")),
        (Level.PREMIUM, 36, D("900000.00")),
        (Level.BASIC, 1, D("0.00")),
    ],
)
def test_list_price_explained_for_spec_prices(level: Level, months: int, amount: Decimal) -> None:
    explanation = list_price_explained(level, months)
    assert explanation.amount == amount == list_price(level, months)
    assert added_sum(explanation) == amount
    first = explanation.lines[0]
    assert first.label == "%(level)s月价 %(price)s × %(months)s个月"
    assert {p.name: p.value for p in first.params}["months"] == months
    has_discount_line = any(line.label.startswith("年付折扣") for line in explanation.lines)
    assert has_discount_line == (months in YEAR_TERMS)


def test_yearly_discount_line_and_rounding() -> None:
    catalog = Catalog(yearly_discount=D("0.0333"))
    explanation = list_price_explained(Level.STANDARD, 12, catalog)
    values = [line.value for line in explanation.lines]
    assert values[0] == D("102000.00")
    assert values[1] == D("-3396.6000")
    assert explanation.amount == D("98603.40")
    odd = Catalog(standard_monthly_fen=850001, yearly_discount=D("0.0333"))
    explanation = list_price_explained(Level.STANDARD, 12, odd)
    kinds = [line.kind for line in explanation.lines]
    assert kinds == [LineKind.INPUT, LineKind.INPUT, LineKind.SUBTOTAL, LineKind.ROUNDING]
    assert added_sum(explanation) == explanation.amount == list_price(Level.STANDARD, 12, odd)


def test_pack_price_explained() -> None:
    explanation = pack_price_explained(3)
    assert explanation.amount == D("6000.00") == pack_price(3)
    assert explanation.lines[0].value == D("6000.00")
    assert explanation.lines[-1].kind == LineKind.ROUNDING and explanation.lines[-1].value == 0
    with pytest.raises(ValueError):
        pack_price_explained(PACK_MAX + 1)


catalogs = st.builds(
    Catalog,
    standard_monthly_fen=st.integers(min_value=0, max_value=10**9),
    premium_monthly_fen=st.integers(min_value=0, max_value=10**9),
    pack_price_fen=st.integers(min_value=0, max_value=10**8),
    yearly_discount=st.decimals(min_value=D("0"), max_value=D("0.9999"), places=4, allow_nan=False),
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(list(Level)), st.sampled_from(TERMS), catalogs)
def test_list_price_lines_sum_to_the_amount(level: Level, months: int, catalog: Catalog) -> None:
    explanation = list_price_explained(level, months, catalog)
    assert added_sum(explanation) == explanation.amount == list_price(level, months, catalog)
    assert explanation.amount >= 0


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=PACK_MIN, max_value=PACK_MAX), catalogs)
def test_pack_price_lines_sum_to_the_amount(count: int, catalog: Catalog) -> None:
    explanation = pack_price_explained(count, catalog)
    assert added_sum(explanation) == explanation.amount == pack_price(count, catalog)
    assert explanation.amount == D(catalog.pack_price_fen * count) / 100
