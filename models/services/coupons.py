"""Coupons (优惠券): vouchers (amount off) and discount coupons (rate), granted by an operator, one per order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from piccolo.columns.combination import Combinable

from models.db import MAX_SERIAL, lock_partner, write_transaction
from models.enums import AuditAction, CouponKind, CouponState, OrderStatus
from models.records import Coupon, Operator
from models.rules.money import AmountError, format_money, parse_amount, to_decimal, to_fen
from models.rules.periods import BEIJING
from models.rules.pricing import Coupon as CouponRule
from models.rules.pricing import apply_coupon, coupon_applies
from models.services import audit
from models.services.accounts import account_by_login
from models.services.errors import N_, Conflict, DomainError, NotFound
from models.tables import Account as AccountTable
from models.tables import Coupon as CouponTable
from models.tables import SupportOrder

#: Coupons per page of the operator console's list.
PAGE_SIZE = 20


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


BAD_RATE = N_("折扣率须在0与1之间，最多三位小数，例如0.9。")


async def grant(
    account_id: int,
    now: datetime,
    *,
    voucher: Decimal | None = None,
    minimum: Decimal | None = None,
    rate: Decimal | None = None,
    expires_at: datetime | None = None,
    request_key: str | None = None,
) -> int:
    """Inserts the coupon (inside the caller's transaction, or its own statement); returns its id."""
    if (voucher is None) == (rate is None):
        raise DomainError(N_("请给出代金券金额或折扣率（二选一）。"), field="kind")
    if rate is not None and (not rate.is_finite() or not Decimal("0") < rate < Decimal("1") or rate * 1000 % 1):
        raise DomainError(BAD_RATE, field="rate")
    row = CouponTable(
        account=account_id,
        kind=CouponKind.VOUCHER if voucher is not None else CouponKind.DISCOUNT,
        amount_fen=to_fen(voucher) if voucher is not None else None,
        min_amount_fen=to_fen(minimum) if minimum else None,
        rate_permille=int(rate * 1000) if rate is not None else None,
        expires_at=expires_at,
        created_at=now,
        request_key=request_key,
    )
    result = await CouponTable.insert(row).returning(CouponTable.id)
    return result[0]["id"]


async def usable(account_id: int, amount: Decimal, now: datetime) -> list[UsableCoupon]:
    """Unused, unexpired, unrevoked coupons of the account that apply to `amount`, each with its discount."""
    rows = (
        await CouponTable.select()
        .where(
            (CouponTable.account == account_id) & CouponTable.used_order_id.is_null() & CouponTable.revoked_at.is_null()
        )
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
    """Spends the coupon on the order being paid; refused when it was used meanwhile or revoked (作废)."""
    updated = (
        await CouponTable.update({CouponTable.used_order_id: order_id})
        .where((CouponTable.id == coupon_id) & CouponTable.used_order_id.is_null() & CouponTable.revoked_at.is_null())
        .returning(CouponTable.id)
    )
    if not updated:
        if await CouponTable.exists().where((CouponTable.id == coupon_id) & CouponTable.revoked_at.is_not_null()):
            raise DomainError(REVOKED, field="coupon")
        raise DomainError(N_("该优惠券已用于其他订单，请重新选择。"), field="coupon")


async def reissue(coupon_id: int) -> None:
    """Gives a voucher back (five-day no-reason unsubscribe)."""
    await CouponTable.update({CouponTable.used_order_id: None}).where(CouponTable.id == coupon_id)


# The operator console's 优惠券 (SPEC.md §15) and `partner-console coupon grant`: one rule for both.

REVOKED = N_("该优惠券已作废，请重新选择。")
NO_LOGIN = N_("请输入要发放优惠券的帐号。")
#: The longest login a grant form may name (Account.login's length).
LOGIN_MAX = 64


@dataclass(frozen=True, slots=True)
class GrantRequest:
    """A grant as typed (the web form's fields or the CLI's options), before it is checked."""

    login: str
    kind: str  # a CouponKind value, or "" when none was chosen
    amount: str = ""  # a voucher's amount, yuan
    minimum: str = ""  # a voucher's optional minimum order amount, yuan
    rate: str = ""  # a discount coupon's rate, e.g. 0.9
    expires: str = ""  # the last valid day (Beijing) as YYYY-MM-DD, or a moment in ISO 8601; "" for none
    request_key: str | None = None


@dataclass(frozen=True, slots=True)
class Grant:
    """A checked grant: what the coupon is and until when."""

    kind: CouponKind
    voucher: Decimal | None
    minimum: Decimal | None
    rate: Decimal | None
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class Granted:
    coupon: Coupon
    login: str
    created: bool  # False: the same form (request key) had already granted it


@dataclass(frozen=True, slots=True)
class ListedCoupon:
    """A coupon in the operator console's list: with its account's login and its state now."""

    coupon: Coupon
    login: str
    state: CouponState


@dataclass(frozen=True, slots=True)
class CouponPage:
    coupons: list[ListedCoupon]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def parse_expiry(text: str, now: datetime) -> datetime | None:
    """The expiry typed for a coupon: a date is the end of that Beijing day, a moment without an offset is Beijing
    time; "" is none (the coupon never expires). Refused when unreadable, out of range, or already past."""
    text = text.strip()
    if not text:
        return None
    try:
        expires = datetime.fromisoformat(text)
    except ValueError:
        raise DomainError(N_("有效期无效，请按“年-月-日”填写，例如 2024-12-31。"), field="expires") from None
    if expires.tzinfo is None:  # a plain date ends at the end of that Beijing day
        if len(text) == 10:
            expires = expires.replace(hour=23, minute=59, second=59)
        expires = expires.replace(tzinfo=BEIJING)
    try:
        expires.astimezone(UTC)  # stored in UTC: the first and last moments of the calendar have none
    except OverflowError:
        raise DomainError(N_("有效期超出了可用的日期范围。"), field="expires") from None
    if expires < now:
        raise DomainError(N_("有效期不能早于现在。"), field="expires")
    return expires


def _yuan(text: str, field: str, message: str) -> Decimal:
    try:
        return parse_amount(text)
    except AmountError:
        raise DomainError(message, field=field) from None


def check_grant(wanted: GrantRequest, now: datetime) -> Grant:
    """What a grant asks, checked field by field (the first problem is raised, with its field)."""
    if not wanted.login.strip():
        raise DomainError(NO_LOGIN, field="login")
    try:
        kind = CouponKind(wanted.kind)
    except ValueError:
        raise DomainError(N_("请选择优惠券类型：代金券或折扣券。"), field="kind") from None
    voucher = minimum = rate = None
    if kind == CouponKind.VOUCHER:
        voucher = _yuan(wanted.amount, "amount", N_("请输入代金券金额：大于0，最多两位小数，例如 100 或 1,000.00。"))
        if wanted.minimum.strip():
            minimum = _yuan(wanted.minimum, "minimum", N_("最低订单金额须大于0，最多两位小数；不设门槛请留空。"))
    else:
        try:
            rate = Decimal(wanted.rate.strip())
        except InvalidOperation:
            raise DomainError(BAD_RATE, field="rate") from None
        if not rate.is_finite() or not Decimal("0") < rate < Decimal("1") or rate * 1000 % 1:
            raise DomainError(BAD_RATE, field="rate")
    return Grant(kind, voucher, minimum, rate, parse_expiry(wanted.expires, now))


async def get_coupon(coupon_id: int) -> Coupon:
    if not 0 < coupon_id <= MAX_SERIAL:  # an id no row can have (PostgreSQL's integer would refuse it)
        raise NotFound(N_("优惠券不存在。"))
    row = await CouponTable.select().where(CouponTable.id == coupon_id).first()
    if row is None:
        raise NotFound(N_("优惠券不存在。"))
    return Coupon.from_row(row)


def describe(coupon: Coupon) -> str:
    """The coupon in one line for the audit log (zh-CN, as the log keeps it)."""
    if coupon.kind == CouponKind.VOUCHER:
        text = f"代金券 {format_money(coupon.amount_fen or 0, 'zh_CN')}"
        if coupon.min_amount_fen:
            text += f"，满 {format_money(coupon.min_amount_fen, 'zh_CN')} 可用"
    else:
        text = f"折扣券 {Decimal(coupon.rate_permille or 0) / 1000}"
    if coupon.expires_at:
        text += f"，有效期至 {coupon.expires_at.astimezone(BEIJING):%Y/%m/%d %H:%M:%S}"
    return f"优惠券 #{coupon.id}：{text}"


async def grant_by(operator: Operator, wanted: GrantRequest, now: datetime) -> Granted:
    """An operator grants a coupon to an account (by login): one transaction with its audit row. The same form
    sent again (its request key) returns the coupon it granted the first time, granting nothing more."""
    login = wanted.login.strip()
    if not login:
        raise DomainError(NO_LOGIN, field="login")
    if len(login) > LOGIN_MAX:
        raise DomainError(N_("帐号 %(login)s 不存在。"), field="login", login=login[:LOGIN_MAX])
    try:
        account = await account_by_login(login)
    except NotFound as exc:
        raise DomainError(exc.message, field="login", **exc.params) from None
    checked = check_grant(wanted, now)
    async with write_transaction():
        if wanted.request_key:
            first = await CouponTable.select().where(CouponTable.request_key == wanted.request_key).first()
            if first is not None:
                return Granted(Coupon.from_row(first), login, created=False)
        coupon_id = await grant(
            account.id,
            now,
            voucher=checked.voucher,
            minimum=checked.minimum,
            rate=checked.rate,
            expires_at=checked.expires_at,
            request_key=wanted.request_key,
        )
        coupon = await get_coupon(coupon_id)
        await audit.record(operator, AuditAction.GRANT_COUPON, now, account_id=account.id, detail=describe(coupon))
    return Granted(coupon, login, created=True)


def state_of(coupon: Coupon, now: datetime) -> CouponState:
    if coupon.revoked_at is not None:
        return CouponState.REVOKED
    if coupon.used_order_id is not None:
        return CouponState.USED
    if coupon.expires_at is not None and now > coupon.expires_at:
        return CouponState.EXPIRED
    return CouponState.UNUSED


def _in_state(state: CouponState, now: datetime) -> Combinable:
    """The SQL condition of `state_of(...) == state`."""
    live = CouponTable.revoked_at.is_null()
    unused = live & CouponTable.used_order_id.is_null()
    if state == CouponState.REVOKED:
        return CouponTable.revoked_at.is_not_null()
    if state == CouponState.USED:
        return live & CouponTable.used_order_id.is_not_null()
    if state == CouponState.EXPIRED:
        return unused & (CouponTable.expires_at < now)
    return unused & (CouponTable.expires_at.is_null() | (CouponTable.expires_at >= now))


async def listing(now: datetime, *, login: str = "", state: CouponState | None = None, page: int = 1) -> CouponPage:
    """The granted coupons, newest first, of one account (by exact login) and/or in one state."""
    where: list[Combinable] = []
    if login:
        where.append(CouponTable.account.login == login)
    if state is not None:
        where.append(_in_state(state, now))
    count = CouponTable.count()
    query = CouponTable.select(*CouponTable.all_columns(), CouponTable.account.login.as_alias("login"))
    for condition in where:
        count = count.where(condition)
        query = query.where(condition)
    total = await count
    page = max(1, page)
    rows = await query.order_by(CouponTable.id, ascending=False).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    listed = []
    for row in rows:
        coupon = Coupon.from_row(row)
        listed.append(ListedCoupon(coupon, row["login"], state_of(coupon, now)))
    return CouponPage(listed, total, page, PAGE_SIZE)


async def revoke(operator: Operator, coupon_id: int, now: datetime) -> Coupon:
    """作废: an unused coupon is never offered nor accepted again; one transaction with its audit row. A used one
    (or one an order waiting for payment has chosen) is refused with 409; revoking a revoked one again changes
    nothing (a double submit)."""
    coupon = await get_coupon(coupon_id)
    owner = await AccountTable.select(AccountTable.partner).where(AccountTable.id == coupon.account).first()
    if owner is None:  # pragma: no cover - a coupon's account is a required foreign key
        raise LookupError(f"coupon {coupon_id} has no account")
    async with write_transaction():
        await lock_partner(owner["partner"])  # one at a time with a payment choosing or spending it
        coupon = await get_coupon(coupon_id)  # afresh under the lock
        if coupon.revoked_at is not None:
            return coupon
        if coupon.used_order_id is not None:
            raise Conflict(N_("该优惠券已用于订单 %(order)s，不能作废。"), field="coupon", order=coupon.used_order_id)
        holder = (
            await SupportOrder.select(SupportOrder.id)
            .where((SupportOrder.coupon == coupon_id) & (SupportOrder.status == OrderStatus.PENDING))
            .first()
        )
        if holder is not None:
            raise Conflict(
                N_("待支付订单 %(order)s 已选用该优惠券，不能作废；该订单支付或取消后再处理。"),
                field="coupon",
                order=holder["id"],
            )
        await CouponTable.update({CouponTable.revoked_at: now}).where(CouponTable.id == coupon_id)
        await audit.record(operator, AuditAction.REVOKE_COUPON, now, account_id=coupon.account, detail=describe(coupon))
    return await get_coupon(coupon_id)
