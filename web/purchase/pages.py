"""The purchase steps' model (buying a plan from Basic, guide chapter 1): change page → 购买确认 → 规格确认.
Their routes are the 更改 controller's (web/changes), which owns /plan/change."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from models.enums import Level
from models.rules.periods import is_valid_term
from models.rules.pricing import Catalog
from models.services import catalog as catalogs
from models.services import purchase
from models.services.errors import DomainError
from web.changes.levels import (
    CARD_LEVELS,
    Comparison,
    LevelCard,
    comparison,
    key_facts,
    monthly_price_label,
)
from web.forms import error_dict, parse_int
from web.i18n import _
from web.template_globals import level_name, money, term_label

#: The fields of the choice: an error at one of them means there is nothing to price.
CHOICE_FIELDS = ("level", "months")


@dataclass(frozen=True, slots=True)
class PurchasePage:
    level: str  # as chosen (the errors say when it is not a paid level)
    months: int | None  # as chosen; None when it was not a number
    errors: dict[str, str]
    amount: Decimal | None  # None while the choice has an error
    start: datetime | None
    end: datetime | None
    cards: tuple[LevelCard, ...]  # Standard and Premium, priced for the chosen term
    previewed_months: int | None  # the 购买时长 the preview's amount is for (None: no amount shown)
    comparison: Comparison  # 规格对比, Basic (the current level) marked
    refusal: str | None = None  # why this account may not buy, translated (the change page)
    request_key: str = ""  # 规格确认 only

    @classmethod
    def of(
        cls,
        level: str,
        months: int | None,
        errors: dict[str, str],
        now: datetime,
        *,
        refusal: str | None = None,
        request_key: str = "",
    ) -> PurchasePage:
        """The amount and period when the choice is sound; `errors` may also hold the agreement's (规格确认).
        Prices are the catalog the request's plan_state read for `now` (every caller asks purchase.refusal first)."""
        catalog = catalogs.in_use()
        start: datetime | None = None
        end: datetime | None = None
        amount: Decimal | None = None
        if months is not None and not any(name in errors for name in CHOICE_FIELDS):
            start, end = purchase.preview_period(now, months)
            amount = purchase.amount(level, months, catalog)
        return cls(
            level=level,
            months=months,
            errors=errors,
            amount=amount,
            start=start,
            end=end,
            cards=_cards(level, months, catalog, previewed=amount is not None),
            previewed_months=months if amount is not None else None,
            comparison=comparison(Level.BASIC),
            refusal=refusal,
            request_key=request_key,
        )


def _cards(level: str, months: int | None, catalog: Catalog, *, previewed: bool) -> tuple[LevelCard, ...]:
    """Each paid level with what it costs for the chosen term (its monthly price while the term is not one on
    offer); when the preview shows an amount, the levels it was not computed for are marked."""
    term_ok = months is not None and is_valid_term(months)
    return tuple(
        LevelCard(
            value=paid,
            label=level_name(paid),
            price=(
                _(
                    "%(amount)s / %(term)s",
                    amount=money(purchase.amount(paid, months, catalog)),
                    term=term_label(months),
                )
                if term_ok and months is not None
                else monthly_price_label(paid, catalog)
            ),
            facts=key_facts(paid),
            unpreviewed=previewed and paid != level,
        )
        for paid in CARD_LEVELS
    )


def choice_from(values: Mapping[str, str]) -> tuple[str, int | None, dict[str, str]]:
    """The level and term from the query or form; errors say which field is wrong (CHOICE_FIELDS)."""
    level = values.get("level") or Level.STANDARD
    months = parse_int(values.get("months") or "1")
    errors: dict[str, str] = {}
    try:
        purchase.check_choice(level, months)
    except DomainError as exc:
        errors.update(error_dict(exc))
    return level, months, errors
