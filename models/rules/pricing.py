"""Plan levels, the operator-editable catalog, list prices, packs and coupons (SPEC.md §2, §7)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from models.enums import CouponKind, Level

from .explain import N_, ExplainLine, Explanation, Param, ParamKind, percent
from .money import ZERO, round_fen, to_decimal
from .periods import YEAR_TERMS, require_term

#: Higher rank = more service; a change to a higher rank is an upgrade.
LEVEL_RANK: dict[str, int] = {Level.BASIC: 0, Level.STANDARD: 1, Level.PREMIUM: 2}

PACK_MIN = 1
PACK_MAX = 99


def require_level(level: str) -> Level:
    """Return `level` as a Level or raise ValueError: an unknown level must never be priced."""
    try:
        return Level(level)
    except ValueError:
        raise ValueError(f"Unknown plan level: {level!r} (allowed: {', '.join(Level)}).") from None


def is_upgrade(old_level: str, new_level: str) -> bool:
    """True when `new_level` ranks above `old_level`."""
    return LEVEL_RANK[require_level(new_level)] > LEVEL_RANK[require_level(old_level)]


def is_downgrade(old_level: str, new_level: str) -> bool:
    """True when `new_level` ranks below `old_level`."""
    return LEVEL_RANK[require_level(new_level)] < LEVEL_RANK[require_level(old_level)]


@dataclass(frozen=True)
class Catalog:
    """Prices and ticket counts an operator may edit; defaults are SPEC.md §2 (fen for money)."""

    standard_monthly_fen: int = 850000
    premium_monthly_fen: int = 2500000
    pack_price_fen: int = 200000
    #: Fraction off for 12/24/36-month terms (0.05 = 5 % off); none is published.
    yearly_discount: Decimal = Decimal("0")
    pack_tickets: int = 10
    standard_monthly_tickets: int = 30
    #: The catalog version (CatalogVersion.id) these prices are; 1 is SPEC.md §2's, in force from the beginning.
    version: int = 1

    def __post_init__(self) -> None:
        for name in (
            "standard_monthly_fen",
            "premium_monthly_fen",
            "pack_price_fen",
            "pack_tickets",
            "standard_monthly_tickets",
            "version",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"Catalog.{name} must be a non-negative int, got {value!r}")
        if not isinstance(self.yearly_discount, Decimal) or not (0 <= self.yearly_discount < 1):
            raise ValueError(f"Catalog.yearly_discount must be a Decimal in [0, 1), got {self.yearly_discount!r}")


DEFAULT_CATALOG = Catalog()


def monthly_price(level: str, catalog: Catalog = DEFAULT_CATALOG) -> Decimal:
    """Monthly list price of a level; Basic is free."""
    level = require_level(level)
    if level == Level.STANDARD:
        return to_decimal(catalog.standard_monthly_fen)
    if level == Level.PREMIUM:
        return to_decimal(catalog.premium_monthly_fen)
    return ZERO


def list_price_explained(level: str, months: int, catalog: Catalog = DEFAULT_CATALOG) -> Explanation:
    """A term's list price with its 怎么算的 lines: monthly price x months, the yearly discount on a year term
    (the term and its rate), and the one rounding step. `list_price` is this explanation's amount."""
    require_term(months)
    level = require_level(level)
    monthly = monthly_price(level, catalog)
    gross = monthly * months
    lines = [
        ExplainLine(
            "%(level)s月价 %(price)s × %(months)s个月",
            gross,
            params=(
                Param("level", ParamKind.LEVEL, level),
                Param("price", ParamKind.MONEY, monthly),
                Param("months", ParamKind.PLAIN, months),
            ),
        )
    ]
    if months in YEAR_TERMS:
        lines.append(
            ExplainLine(
                "年付折扣：购买%(term)s优惠 %(rate)s",
                -(gross * catalog.yearly_discount),
                params=(
                    Param("term", ParamKind.TERM, months),
                    Param("rate", ParamKind.PLAIN, percent(catalog.yearly_discount)),
                ),
            )
        )
    return Explanation.rounded(lines, subtotal_label=N_("折后金额（取整前）"))


def list_price(level: str, months: int, catalog: Catalog = DEFAULT_CATALOG) -> Decimal:
    """List price of a term: monthly x months, less the yearly discount on year terms, rounded once."""
    return list_price_explained(level, months, catalog).amount


def pack_price_explained(count: int, catalog: Catalog = DEFAULT_CATALOG) -> Explanation:
    """The price of `count` packs (1 to 99 per order) with its 怎么算的 lines: count x pack price, rounded once."""
    if isinstance(count, bool) or not isinstance(count, int) or not PACK_MIN <= count <= PACK_MAX:
        raise ValueError(f"Pack count must be a whole number from {PACK_MIN} to {PACK_MAX}, got {count!r}.")
    unit = to_decimal(catalog.pack_price_fen)
    line = ExplainLine(
        "工单增购包单价 %(price)s × %(count)s个",
        unit * count,
        params=(Param("price", ParamKind.MONEY, unit), Param("count", ParamKind.PLAIN, count)),
    )
    return Explanation.rounded([line])


def pack_price(count: int, catalog: Catalog = DEFAULT_CATALOG) -> Decimal:
    """Price of `count` ticket add-on packs (1 to 99 per order)."""
    return pack_price_explained(count, catalog).amount


@dataclass(frozen=True)
class Coupon:
    """A voucher (fixed amount off, optional minimum) or a discount coupon (rate such as 0.9)."""

    kind: CouponKind
    amount: Decimal | None = None
    min_amount: Decimal | None = None
    rate: Decimal | None = None
    expires_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.kind == CouponKind.VOUCHER:
            if not isinstance(self.amount, Decimal) or not self.amount > 0:
                raise ValueError("A voucher needs a positive Decimal amount.")
        elif self.kind == CouponKind.DISCOUNT:
            if not isinstance(self.rate, Decimal) or not (0 < self.rate < 1):
                raise ValueError("A discount coupon needs a Decimal rate strictly between 0 and 1 (e.g. 0.9).")
        else:
            raise ValueError(f"Unknown coupon kind: {self.kind!r} (allowed: {', '.join(CouponKind)}).")
        if self.min_amount is not None and (not isinstance(self.min_amount, Decimal) or self.min_amount < 0):
            raise ValueError("A coupon's minimum amount must be a non-negative Decimal.")


def coupon_applies(coupon: Coupon, amount: Decimal, now: datetime) -> bool:
    """True when the coupon may be used on an order of `amount` at `now` (expiry instant inclusive)."""
    if amount <= 0:
        return False
    if coupon.expires_at is not None and now > coupon.expires_at:
        return False
    return not (coupon.min_amount is not None and amount < coupon.min_amount)


def apply_coupon(amount: Decimal, coupon: Coupon | None) -> tuple[Decimal, Decimal]:
    """Return (discount, due) for an order; discount + due == amount and due is never negative.

    A voucher takes its amount off (at most the whole order); a discount coupon
    makes the due amount `amount x rate`, rounded once half up, and the discount is the rest.
    Whether the coupon may be used at all is `coupon_applies`' job.
    """
    amount = round_fen(amount)
    if coupon is None:
        return ZERO, amount
    if coupon.kind == CouponKind.VOUCHER:
        assert coupon.amount is not None
        discount = round_fen(min(coupon.amount, max(amount, ZERO)))
        return discount, amount - discount
    assert coupon.rate is not None
    due = round_fen(amount * coupon.rate)
    return amount - due, due


#: Levels that can be bought (Basic is what a company has without a plan).
PAID_LEVELS: tuple[Level, ...] = (Level.STANDARD, Level.PREMIUM)
