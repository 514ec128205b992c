"""Coupons (优惠券): vouchers (amount off) and discount coupons (rate), granted by an operator, one per order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from models.enums import CouponKind
from models.records import Coupon
from models.rules.money import to_decimal, to_fen
from models.rules.pricing import Coupon as CouponRule
from models.rules.pricing import apply_coupon, coupon_applies
from models.services.errors import N_, DomainError
from models.tables import Coupon as CouponTable


@dataclass(frozen=True, slots=True)
class UsableCoupon(Coupon):
    """A coupon that applies to an order's amount, with what it takes off and what is left to pay."""

    discount: Decimal
    due: Decimal


def as_rule(coupon: Coupon) -> CouponRule:
    if coupon.kind == CouponKind.VOUCHER:
        assert coupon.amount_fen is not None  # a voucher is granted with an amount
        return CouponRule(
            kind=CouponKind.VOUCHER,
            amount=to_decimal(coupon.amount_fen),
            min_amount=to_decimal(coupon.min_amount_fen) if coupon.min_amount_fen else None,
            expires_at=coupon.expires_at,
        )
    assert coupon.rate_permille is not None  # a discount coupon is granted with a rate
    return CouponRule(kind=CouponKind.DISCOUNT, rate=Decimal(coupon.rate_permille) / 1000, expires_at=coupon.expires_at)


async def grant(
    account_id: int,
    now: datetime,
    *,
    voucher: Decimal | None = None,
    minimum: Decimal | None = None,
    rate: Decimal | None = None,
    expires_at: datetime | None = None,
) -> int:
    if (voucher is None) == (rate is None):
        raise DomainError(N_("请给出代金券金额或折扣率（二选一）。"))
    if rate is not None and (not rate.is_finite() or not Decimal("0") < rate < Decimal("1") or rate * 1000 % 1):
        raise DomainError(N_("折扣率须在0与1之间，最多三位小数，例如0.9。"))
    row = CouponTable(
        account=account_id,
        kind=CouponKind.VOUCHER if voucher is not None else CouponKind.DISCOUNT,
        amount_fen=to_fen(voucher) if voucher is not None else None,
        min_amount_fen=to_fen(minimum) if minimum else None,
        rate_permille=int(rate * 1000) if rate is not None else None,
        expires_at=expires_at,
        created_at=now,
    )
    result = await CouponTable.insert(row).returning(CouponTable.id)
    return result[0]["id"]


async def usable(account_id: int, amount: Decimal, now: datetime) -> list[UsableCoupon]:
    """Unused, unexpired coupons of the account that apply to `amount`, each with its discount."""
    rows = (
        await CouponTable.select()
        .where((CouponTable.account == account_id) & CouponTable.used_order_id.is_null())
        .order_by(CouponTable.id)
    )
    result = []
    for row in rows:
        rule = as_rule(Coupon.from_row(row))
        if coupon_applies(rule, amount, now):
            discount, due = apply_coupon(amount, rule)
            result.append(UsableCoupon.from_row({**row, "discount": discount, "due": due}))
    return result


async def price_with(
    account_id: int, coupon_id: int | None, amount: Decimal, now: datetime
) -> tuple[int | None, Decimal, Decimal]:
    """(coupon id, discount, due) for a chosen coupon, refused if it is not usable on this amount."""
    if not coupon_id:
        return None, Decimal("0.00"), amount
    for coupon in await usable(account_id, amount, now):
        if coupon.id == coupon_id:
            return coupon_id, coupon.discount, coupon.due
    raise DomainError(N_("该优惠券不能用于此订单（已使用、已过期或未达到使用门槛）。"), field="coupon")


async def mark_used(coupon_id: int, order_id: str) -> None:
    updated = (
        await CouponTable.update({CouponTable.used_order_id: order_id})
        .where((CouponTable.id == coupon_id) & CouponTable.used_order_id.is_null())
        .returning(CouponTable.id)
    )
    if not updated:
        raise DomainError(N_("该优惠券已用于其他订单，请重新选择。"), field="coupon")


async def reissue(coupon_id: int) -> None:
    """Gives a voucher back (five-day no-reason unsubscribe)."""
    await CouponTable.update({CouponTable.used_order_id: None}).where(CouponTable.id == coupon_id)
