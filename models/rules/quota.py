"""Technical-ticket quota per Beijing natural month (SPEC.md §6)."""

from __future__ import annotations

from models.enums import Level

from .pricing import DEFAULT_CATALOG, Catalog, require_level


def monthly_quota(level: str, packs_this_month: int, catalog: Catalog = DEFAULT_CATALOG) -> int | None:
    """Technical tickets allowed this natural month: None = unlimited (Premium), 0 for Basic,
    Standard 30 + 10 per add-on pack paid this month (packs lapse at the month's end)."""
    level = require_level(level)
    if packs_this_month < 0:
        raise ValueError(f"packs_this_month must be >= 0, got {packs_this_month}")
    if level == Level.PREMIUM:
        return None
    if level == Level.BASIC:
        return 0
    assert level == Level.STANDARD
    return catalog.standard_monthly_tickets + catalog.pack_tickets * packs_this_month


def tickets_left(quota: int | None, used: int) -> int | None:
    """Technical tickets still available (None = unlimited), never below 0."""
    if quota is None:
        return None
    return max(0, quota - used)


def can_submit_technical(quota: int | None, used: int) -> bool:
    """True when one more technical ticket fits (business tickets are never limited)."""
    left = tickets_left(quota, used)
    return left is None or left > 0


def can_buy_packs(level: str) -> bool:
    """Only a Standard plan can buy ticket add-on packs."""
    return require_level(level) == Level.STANDARD
