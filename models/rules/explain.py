"""怎么算的 (SPEC.md §14): an amount together with the lines of its computation, which add up to it fen for fen.

A rule returns an `Explanation` with its amount (one calculation: the amount shown and charged IS the
explanation's amount). Each line has a message id (zh-CN source text, translated when shown) with its
parameters, a value and a kind:

- `input`: a term of the sum (months x price, a discount, a consumed share, ...);
- `rounding`: the one rounding step (the rounded amount minus the unrounded sum; at most one such line);
- `subtotal`: a running total shown for reading; it is NOT added, and must equal the sum of the input and
  rounding lines above it.

So amount == sum of the input and rounding lines, exactly (`check`). A line's value may have more digits
than the fen (a discount of 3.33 % of ¥102,000.00); it is shown with all of them up to 8 decimal places, and
as ≈ its first 8 when it never ends (a share of hours), so that a person adding the lines up by hand gets the
amount to the fen (`value_text`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from babel.numbers import format_decimal

from .money import format_money, round_fen, to_decimal
from .periods import to_beijing


def N_(message: str) -> str:
    """Marks a line label for the message catalogs (tools/catalogs.py); the label is translated when shown."""
    return message


class LineKind(StrEnum):
    INPUT = "input"
    SUBTOTAL = "subtotal"
    ROUNDING = "rounding"


class ParamKind(StrEnum):
    """How a line's parameter is shown: money (Decimal yuan or int fen), a level (its name), a term (months, shown
    as 1个月 / 1年), or plain (numbers and language-neutral text such as "5%")."""

    MONEY = "money"
    LEVEL = "level"
    TERM = "term"
    PLAIN = "plain"


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    kind: ParamKind
    value: object


@dataclass(frozen=True, slots=True)
class ExplainLine:
    """One line: `label` is a message id (zh-CN source) with `%(name)s` placeholders for `params`."""

    label: str
    value: Decimal
    kind: LineKind = LineKind.INPUT
    params: tuple[Param, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.value, Decimal) or not self.value.is_finite():
            raise ValueError(f"ExplainLine.value must be a finite Decimal, got {self.value!r}")
        LineKind(self.kind)

    @property
    def added(self) -> bool:
        """True for the lines that are terms of the sum (inputs and the rounding step)."""
        return self.kind != LineKind.SUBTOTAL

    def value_text(self, locale: str) -> str:
        """The value as money, with every digit it has (¥8,500.00, -¥3,396.6034, +¥0.0034 for a rounding)."""
        sign = "+" if self.kind == LineKind.ROUNDING and self.value >= 0 else ""
        text = money_exact(self.value, locale)
        return "≈" + sign + text[1:] if text.startswith("≈") else sign + text


#: Decimal places shown of a line whose exact value has more (SPEC.md §4 computes to at least 8); the page's
#: `data-value` keeps every digit, and the one rounding line still makes the shown lines add up to the fen.
SHOWN_PLACES = 8


def money_exact(value: Decimal, locale: str) -> str:
    """Money to the fen when it is whole fen, else with all its digits (never rounded for display)."""
    if value == round_fen(value):
        return format_money(round_fen(value), locale)
    if -int(value.normalize().as_tuple().exponent) > SHOWN_PLACES:  # e.g. 8,500 × 344/758: never ends
        return "≈" + money_exact(value.quantize(Decimal(1).scaleb(-SHOWN_PLACES)), locale)
    digits = -int(value.normalize().as_tuple().exponent)
    pattern = "#,##0." + "0" * max(2, digits)
    babel_locale = (locale or "zh_CN").replace("-", "_")
    sign = "-" if value < 0 else ""
    return f"{sign}¥{format_decimal(abs(value), format=pattern, locale=babel_locale, decimal_quantization=False)}"


class ExplanationError(ValueError):
    """The lines do not add up to the amount (a bug in the rule that built them)."""


@dataclass(frozen=True, slots=True)
class Explanation:
    """An amount (Decimal yuan, whole fen) and the lines that add up to it; checked when made."""

    amount: Decimal
    lines: tuple[ExplainLine, ...]

    def __post_init__(self) -> None:
        check(self)

    @property
    def amount_fen(self) -> int:
        return int(self.amount * 100)

    @property
    def total(self) -> Decimal:
        """The sum of the added lines (== amount)."""
        return sum((line.value for line in self.lines if line.added), Decimal(0))

    @classmethod
    def of(cls, amount: Decimal | int, lines: Iterable[ExplainLine]) -> Explanation:
        """`amount` as Decimal yuan or int fen."""
        value = amount if isinstance(amount, Decimal) else to_decimal(amount)
        return cls(amount=value, lines=tuple(lines))

    @classmethod
    def combine(cls, parts: Iterable[Explanation]) -> Explanation:
        """Several explanations as one whose amount is the sum of theirs: their input lines in order, then their
        rounding steps as the one rounding line (their sum); subtotals are dropped (they would not add up)."""
        parts = list(parts)
        inputs = [line for part in parts for line in part.lines if line.kind == LineKind.INPUT]
        roundings = [line.value for part in parts for line in part.lines if line.kind == LineKind.ROUNDING]
        if roundings:
            inputs.append(ExplainLine(ROUNDING_LABEL, sum(roundings, Decimal(0)), LineKind.ROUNDING))
        return cls.of(sum((part.amount for part in parts), Decimal(0)), inputs)

    @classmethod
    def rounded(cls, inputs: Iterable[ExplainLine], *, subtotal_label: str | None = None) -> Explanation:
        """The inputs, their one rounding step to the fen (half up) as a line, and that rounded amount. With
        `subtotal_label`, the unrounded sum is shown before the rounding line when the rounding changes it."""
        lines = list(inputs)
        raw = sum((line.value for line in lines if line.added), Decimal(0))
        amount = round_fen(raw)
        if subtotal_label and amount != raw:
            lines.append(ExplainLine(subtotal_label, raw, LineKind.SUBTOTAL))
        lines.append(ExplainLine(ROUNDING_LABEL, amount - raw, LineKind.ROUNDING))
        return cls(amount=amount, lines=tuple(lines))


#: The one rounding step's line.
ROUNDING_LABEL = N_("四舍五入到分（仅此一次取整）")


def check(explanation: Explanation) -> None:
    """Raise ExplanationError unless: the amount is whole fen, the input and rounding lines sum to it exactly,
    there is at most one rounding line, and each subtotal equals the sum of the added lines above it."""
    amount = explanation.amount
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount != round_fen(amount):
        raise ExplanationError(f"The amount must be a Decimal in whole fen, got {amount!r}")
    running = Decimal(0)
    roundings = 0
    for line in explanation.lines:
        if not isinstance(line, ExplainLine):
            raise ExplanationError(f"Not an ExplainLine: {line!r}")
        if line.kind == LineKind.SUBTOTAL:
            if line.value != running:
                raise ExplanationError(f"Subtotal {line.label!r} is {line.value}, the lines above sum to {running}")
            continue
        if line.kind == LineKind.ROUNDING:
            roundings += 1
        running += line.value
    if roundings > 1:
        raise ExplanationError(f"One rounding step only, got {roundings}")
    if running != amount:
        raise ExplanationError(f"The lines sum to {running}, not to the amount {amount}")


def span_param(start: datetime, end: datetime) -> Param:
    """A line's period, as Beijing dates (2025/03/01 – 2026/02/28)."""
    return Param("span", ParamKind.PLAIN, f"{to_beijing(start):%Y/%m/%d} – {to_beijing(end):%Y/%m/%d}")


def percent(rate: Decimal) -> str:
    """0.05 -> '5%', 0.125 -> '12.5%' (language-neutral)."""
    text = format(Decimal(rate * 100).normalize(), "f")
    return f"{text}%"


def _param_json(param: Param) -> list[object]:
    value = param.value
    if isinstance(value, Decimal):
        return [param.name, param.kind.value, "decimal", str(value)]
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"A line's parameter must be a Decimal, an int or a str, got {value!r}")
    return [param.name, param.kind.value, "int" if isinstance(value, int) else "str", value]


def _param_of(item: list[object]) -> Param:
    name, kind, tag, value = item
    restored: object = Decimal(str(value)) if tag == "decimal" else int(str(value)) if tag == "int" else str(value)
    return Param(str(name), ParamKind(str(kind)), restored)


def to_json(explanation: Explanation) -> str:
    """The explanation as stored with its order (every digit kept: values and money as decimal strings)."""
    lines = [
        {
            "label": line.label,
            "value": str(line.value),
            "kind": line.kind.value,
            "params": [_param_json(p) for p in line.params],
        }
        for line in explanation.lines
    ]
    return json.dumps({"amount": str(explanation.amount), "lines": lines}, ensure_ascii=False)


def from_json(text: str) -> Explanation:
    """The stored explanation back (checked again: its lines still add up to its amount)."""
    data = json.loads(text)
    return Explanation.of(Decimal(data["amount"]), [_line_of(line) for line in data["lines"]])


def _line_of(data: dict[str, object]) -> ExplainLine:
    label, value, kind, params = (data[key] for key in ("label", "value", "kind", "params"))
    restored = tuple(_param_of(item) for item in params)  # type: ignore[attr-defined]
    return ExplainLine(str(label), Decimal(str(value)), LineKind(str(kind)), restored)
