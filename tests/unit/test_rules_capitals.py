"""Amounts in Chinese capitals (issue 13's examples and the banking convention), and a round-trip property."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.rules.capitals import DIGITS, MAX_FEN, amount_in_capitals


@pytest.mark.parametrize(
    ("fen", "words"),
    [
        (1, "壹分"),
        (850_000, "捌仟伍佰元整"),
        (1_000_000, "壹万元整"),
        (10_000_000_000, "壹亿元整"),
        (123_456_789, "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
        (0, "零元整"),
        (50, "伍角"),
        (105, "壹元零伍分"),
        (1_000, "壹拾元整"),
        (1_050_000, "壹万零伍佰元整"),
        (100_500_000, "壹佰万零伍仟元整"),
        (10_000_000_500, "壹亿零伍元整"),
        (2_500_000_000, "贰仟伍佰万元整"),
        (1_000_010_000, "壹仟万零壹佰元整"),
        (66_000_000, "陆拾陆万元整"),
    ],
)
def test_worked_examples(fen, words):
    assert amount_in_capitals(fen) == words


@pytest.mark.parametrize("bad", [-1, MAX_FEN + 1])
def test_out_of_range_is_refused(bad):
    with pytest.raises(ValueError):
        amount_in_capitals(bad)


def test_only_integer_fen():
    with pytest.raises(TypeError):
        amount_in_capitals(1.5)  # type: ignore[arg-type]


_UNITS = {"拾": 10, "佰": 100, "仟": 1000}
_GROUPS = {"万": 10**4, "亿": 10**8}


def _read(words: str) -> int:
    """An independent reader of capitals, back to fen (the test's oracle)."""
    words = words.removesuffix("整")
    fen = 0
    if "元" in words:
        integer, words = words.split("元", 1)
    else:
        integer = ""
    total, section, digit = 0, 0, 0
    for ch in integer:
        if ch in DIGITS:
            digit = DIGITS.index(ch)
        elif ch in _UNITS:
            section += digit * _UNITS[ch]
            digit = 0
        elif ch in _GROUPS:
            section += digit
            digit = 0
            if ch == "万" and total % 10**8 == 0 and total:
                total += section * 10**4
            else:
                total = (total + section) * _GROUPS[ch]
            section = 0
    total += section + digit
    fen = total * 100
    digit = 0
    for ch in words:
        if ch in DIGITS:
            digit = DIGITS.index(ch)
        elif ch == "角":
            fen += digit * 10
        elif ch == "分":
            fen += digit
    return fen


@given(st.integers(min_value=0, max_value=10**13))
def test_capitals_read_back_to_the_same_amount(fen):
    words = amount_in_capitals(fen)
    assert _read(words) == fen
    assert ("零零" not in words and not words.startswith("零")) or fen == 0
