"""The versioned price catalog (价格目录, SPEC.md §2, §15): the prices in force at a moment, and new versions.

A version (table CatalogVersion) holds the operator-editable prices: the monthly prices of 标准级 and 尊享级, the
ticket add-on pack price and the yearly discount. Versions are only ever added, never edited. The catalog at a
moment `at` is the newest version whose `effective_at <= at` (newest: the later effective time; for equal times the
one added last). Version 1 is SPEC.md §2's prices (`DEFAULT_CATALOG`), in force from the beginning of time: the
migration seeds it; a database made from the table classes (the unit tests') has no rows, and there too the
catalog is version 1 until a version is added (`add_version` then writes the seed row first, so ids stay the
version numbers).

Every order records the version it was priced with (SupportOrder.catalog_version), and its amount never changes
afterwards (SPEC.md §13): a new version changes the prices of orders created after its effective time only.

**Caching.** The catalog is read on every page, so the versions (a handful of rows) are kept in memory per process,
sorted, with the time they were read. `catalog_at` re-reads them when:
- the snapshot is older than `TTL` (5 seconds): another worker's (or the CLI's) new version is seen at most 5
  seconds after it was committed. A version is never effective before it is added (an effective time in the past
  is refused), so the only window is a version made effective "now": for up to 5 seconds after it was added, other
  workers may still price at the previous version. Such an order records the previous version with the previous
  price — never a mixture — just as if it had been created a moment earlier;
- this process added a version (`add_version` drops the snapshot after its transaction commits);
- the database engine changed (each unit test has its own database).
Known versions with a future effective time need no re-read: the snapshot holds them, and `at` picks the one in
force, so a scheduled price change takes effect at its second in every worker without any notice.

Pages and rules that are not async (the level cards) use the catalog the request's `plan_state` priced with
(`in_use`), so one request shows one catalog.
"""

from __future__ import annotations

import bisect
import re
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine

from models.db import current_engine, write_transaction
from models.enums import AuditAction
from models.records import CatalogVersion as VersionRecord
from models.records import Operator
from models.rules.money import AmountError, format_datetime_cn, format_money, parse_amount, to_fen
from models.rules.periods import BEIJING
from models.rules.pricing import DEFAULT_CATALOG, Catalog
from models.services import audit
from models.services.errors import N_, DomainError
from models.tables import CatalogVersion, SupportOrder

#: How long a process trusts its snapshot of the versions before reading them again.
TTL = 5.0
#: Version 1's effective time: the beginning of time (what the migration seeds).
BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)
#: Basis points in 1 (a yearly discount of 500 bp is 5 % off).
BP = 10000
#: The largest price a version takes (¥10,000,000.00): far above any plan, far below any column's limit.
MAX_PRICE_FEN = 1_000_000_000

PRICE_MISSING = N_("请输入价格。")
PRICE_INVALID = N_("价格须为大于0的金额，最多两位小数，不超过 ¥10,000,000.00。")
PREMIUM_NOT_ABOVE = N_("尊享级的月价须高于标准级的月价。")
DISCOUNT_INVALID = N_("包年折扣须为0至99.99之间的百分比，最多两位小数。")
EFFECTIVE_MISSING = N_("请选择生效时间。")
EFFECTIVE_INVALID = N_("生效时间格式不正确，请按“年-月-日 时:分”填写（北京时间）。")
EFFECTIVE_PAST = N_("生效时间不能早于当前时间（%(now)s）。")


@dataclass(frozen=True, slots=True)
class Version:
    """One catalog version as the 价格目录 screen and the rules see it."""

    id: int
    catalog: Catalog
    effective_at: datetime  # BEGINNING for version 1
    created_at: datetime | None = None
    created_by: str | None = None  # the operator's login; None for version 1

    @property
    def since_beginning(self) -> bool:
        return self.effective_at <= BEGINNING


SEED = Version(id=DEFAULT_CATALOG.version, catalog=DEFAULT_CATALOG, effective_at=BEGINNING)


@dataclass(frozen=True)
class Versions:
    """Every version, sorted by (effective time, id); `at` is the rule "the newest with effective_at <= at"."""

    entries: tuple[Version, ...] = ()
    _keys: tuple[tuple[datetime, int], ...] = field(default=(), repr=False)

    @classmethod
    def of(cls, entries: list[Version]) -> Versions:
        ordered = tuple(sorted(entries, key=lambda v: (v.effective_at, v.id)))
        return cls(ordered, tuple((v.effective_at, v.id) for v in ordered))

    def version_at(self, at: datetime) -> Version:
        """The version in force at `at` (version 1 before any)."""
        i = bisect.bisect_right([effective for effective, _id in self._keys], at)  # every version effective by `at`
        return self.entries[i - 1] if i else SEED

    def at(self, at: datetime) -> Catalog:
        return self.version_at(at).catalog

    def upcoming(self, now: datetime) -> list[Version]:
        """The versions that take effect after `now`, soonest first."""
        return [v for v in self.entries if v.effective_at > now]


def _catalog_of(row: VersionRecord) -> Catalog:
    return Catalog(
        standard_monthly_fen=row.standard_monthly_fen,
        premium_monthly_fen=row.premium_monthly_fen,
        pack_price_fen=row.pack_price_fen,
        yearly_discount=Decimal(row.yearly_discount_bp) / BP,
        version=row.id,
    )


# --- the snapshot -------------------------------------------------------------------------------------------------


@dataclass
class _Snapshot:
    engine: Engine
    read_at: float  # _monotonic() when read
    versions: Versions


_snapshot: _Snapshot | None = None
_monotonic = time.monotonic  # the snapshot's age (a test may wind it on)
_in_use: ContextVar[Catalog | None] = ContextVar("catalog_in_use", default=None)


def forget() -> None:
    """Drop this process's snapshot: the next read goes to the database."""
    global _snapshot
    _snapshot = None


async def _read() -> Versions:
    rows = await CatalogVersion.select(
        *CatalogVersion.all_columns(), CatalogVersion.created_by.login.as_alias("operator_login")
    )
    return Versions.of(
        [
            Version(
                id=row["id"],
                catalog=_catalog_of(VersionRecord.from_row(row)),
                effective_at=row["effective_at"],
                created_at=row["created_at"],
                created_by=row["operator_login"],
            )
            for row in rows
        ]
    )


async def versions() -> Versions:
    """Every version, from this process's snapshot while it is fresh (see the module's notes)."""
    global _snapshot
    engine = current_engine()
    snap = _snapshot
    if snap is None or snap.engine is not engine or _monotonic() - snap.read_at > TTL:
        snap = _Snapshot(engine=engine, read_at=_monotonic(), versions=await _read())
        _snapshot = snap
    return snap.versions


async def catalog_at(at: datetime) -> Catalog:
    """The catalog in force at `at`: the newest version with effective_at <= at."""
    return (await versions()).at(at)


def use(catalog: Catalog) -> None:
    """The catalog this request priced with (`plan_state` sets it for its `now`)."""
    _in_use.set(catalog)


def in_use() -> Catalog:
    """The catalog the current request priced with, for code that is not async (the level cards); version 1's
    prices when the request has read none."""
    return _in_use.get() or DEFAULT_CATALOG


async def current_and_upcoming(now: datetime) -> tuple[Version, list[Version]]:
    """价格目录: the version in force at `now` and those that take effect later, soonest first."""
    known = await versions()
    return known.version_at(now), known.upcoming(now)


async def version(version_id: int) -> Version | None:
    return next((v for v in (await versions()).entries if v.id == version_id), None)


# --- a new version --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewVersion:
    """What the form asks for, checked: prices in fen, the discount in basis points, the effective time."""

    standard_monthly_fen: int
    premium_monthly_fen: int
    pack_price_fen: int
    yearly_discount_bp: int
    effective_at: datetime


#: The form's field for each price (the errors name them).
PRICE_FIELDS = {
    "standard_monthly_fen": "standard_monthly",
    "premium_monthly_fen": "premium_monthly",
    "pack_price_fen": "pack_price",
}
#: datetime-local's value (the form's step is a minute); seconds are accepted too.
MOMENT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")
FIRST_YEAR, LAST_YEAR = 2000, 2099


def check(new: NewVersion, now: datetime) -> None:
    """Refuse a version that cannot be priced with (DomainError at its form field)."""
    for name, form_field in PRICE_FIELDS.items():
        fen = getattr(new, name)
        if isinstance(fen, bool) or not isinstance(fen, int) or not 0 < fen <= MAX_PRICE_FEN:
            raise DomainError(PRICE_INVALID, field=form_field)
    if new.premium_monthly_fen <= new.standard_monthly_fen:
        raise DomainError(PREMIUM_NOT_ABOVE, field="premium_monthly")
    bp = new.yearly_discount_bp
    if isinstance(bp, bool) or not isinstance(bp, int) or not 0 <= bp < BP:
        raise DomainError(DISCOUNT_INVALID, field="yearly_discount")
    if new.effective_at.tzinfo is None:
        raise DomainError(EFFECTIVE_INVALID, field="effective_at")
    if new.effective_at < now:
        raise DomainError(EFFECTIVE_PAST, field="effective_at", now=format_datetime_cn(now))


def _price_fen(text: str, form_field: str) -> int:
    if not text.strip():
        raise DomainError(PRICE_MISSING, field=form_field)
    try:
        fen = to_fen(parse_amount(text))
    except AmountError:
        raise DomainError(PRICE_INVALID, field=form_field) from None
    if fen > MAX_PRICE_FEN:
        raise DomainError(PRICE_INVALID, field=form_field)
    return fen


def _discount_bp(text: str) -> int:
    """A percentage such as 5 or 7.5 (at most 2 decimals) as basis points; empty is none."""
    raw = text.strip().removesuffix("%").strip()
    if not raw:
        return 0
    if not re.fullmatch(r"\d{1,2}(\.\d{1,2})?", raw):
        raise DomainError(DISCOUNT_INVALID, field="yearly_discount")
    return int(Decimal(raw) * 100)


def _moment(text: str, now: datetime) -> datetime:
    """A datetime-local value read as Beijing time. A time within the current minute means now (the field has
    minutes only, so "now" can only be typed as the current minute)."""
    raw = text.strip()
    if not raw:
        raise DomainError(EFFECTIVE_MISSING, field="effective_at")
    try:
        if not MOMENT_RE.fullmatch(raw):
            raise ValueError(raw)
        moment = datetime.fromisoformat(raw).replace(tzinfo=BEIJING)
    except ValueError:
        raise DomainError(EFFECTIVE_INVALID, field="effective_at") from None
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise DomainError(EFFECTIVE_INVALID, field="effective_at")
    if moment <= now < moment + timedelta(minutes=1) and moment.second == 0:
        return now
    return moment


def parse_form(
    *,
    standard_monthly: str,
    premium_monthly: str,
    pack_price: str,
    yearly_discount: str,
    effective_at: str,
    now: datetime,
) -> NewVersion:
    """The 价格目录 form (yuan with at most 2 decimals, the discount in %, a Beijing datetime-local) as a version,
    checked; a DomainError names the first field that is wrong."""
    new = NewVersion(
        standard_monthly_fen=_price_fen(standard_monthly, "standard_monthly"),
        premium_monthly_fen=_price_fen(premium_monthly, "premium_monthly"),
        pack_price_fen=_price_fen(pack_price, "pack_price"),
        yearly_discount_bp=_discount_bp(yearly_discount),
        effective_at=_moment(effective_at, now),
    )
    check(new, now)
    return new


def summary(version: Version) -> str:
    """One version in a line (the command line's `catalog show`)."""
    c = version.catalog
    since = "since the beginning" if version.since_beginning else f"from {format_datetime_cn(version.effective_at)}"
    return (
        f"standard {format_money(c.standard_monthly_fen, 'en')}/month, premium {format_money(c.premium_monthly_fen, 'en')}"
        f"/month, pack {format_money(c.pack_price_fen, 'en')}, yearly discount {(c.yearly_discount * 100).normalize():f}%, {since}"
    )


def describe(version_id: int, new: NewVersion) -> str:
    """The audit row's detail (zh-CN, as the operator log shows it)."""
    return (
        f"版本 {version_id}：标准级 {format_money(new.standard_monthly_fen, 'zh_CN')}/月，"
        f"尊享级 {format_money(new.premium_monthly_fen, 'zh_CN')}/月，"
        f"工单增购包 {format_money(new.pack_price_fen, 'zh_CN')}/个，"
        f"包年折扣 {Decimal(new.yearly_discount_bp) / 100:f}%，"
        f"生效时间 {format_datetime_cn(new.effective_at)}"
    )


async def add_version(operator: Operator, new: NewVersion, now: datetime, *, request_key: str | None = None) -> Version:
    """新建价格目录版本: one transaction with its audit row. An effective time before `now` is refused; orders and
    quotes made before the effective time keep their prices. The same form sent twice (same `request_key`) adds
    one version and returns it."""
    check(new, now)
    key = request_key[:64] if request_key else None
    async with write_transaction():
        if isinstance(current_engine(), PostgresEngine):  # one new version at a time (SQLite's IMMEDIATE does this)
            await CatalogVersion.raw('LOCK TABLE "catalog_version" IN SHARE ROW EXCLUSIVE MODE')
        again = (
            await CatalogVersion.select(CatalogVersion.id).where(CatalogVersion.request_key == key).first()
            if key
            else None
        )
        if again:
            version_id: int = again["id"]
        else:
            if not await CatalogVersion.exists():  # a database made without the migration: version 1 first
                await CatalogVersion.insert(_seed_row())
            rows = await CatalogVersion.insert(
                CatalogVersion(
                    standard_monthly_fen=new.standard_monthly_fen,
                    premium_monthly_fen=new.premium_monthly_fen,
                    pack_price_fen=new.pack_price_fen,
                    yearly_discount_bp=new.yearly_discount_bp,
                    effective_at=new.effective_at,
                    created_at=now,
                    created_by=operator.id,
                    request_key=key,
                )
            ).returning(CatalogVersion.id)
            version_id = rows[0]["id"]
            await audit.record(operator, AuditAction.CATALOG_VERSION, now, detail=describe(version_id, new))
    forget()  # after the commit: this process sees its own version at once
    found = await version(version_id)
    assert found is not None
    return found


def _seed_row() -> CatalogVersion:
    return CatalogVersion(
        standard_monthly_fen=DEFAULT_CATALOG.standard_monthly_fen,
        premium_monthly_fen=DEFAULT_CATALOG.premium_monthly_fen,
        pack_price_fen=DEFAULT_CATALOG.pack_price_fen,
        yearly_discount_bp=int(DEFAULT_CATALOG.yearly_discount * BP),
        effective_at=BEGINNING,
        created_at=BEGINNING,
        created_by=None,
        request_key=None,
    )


async def stamp_order(order_id: str, catalog: Catalog) -> None:
    """Record on the order the version it was priced with (inside the caller's transaction)."""
    await stamp_version(order_id, catalog.version)


async def stamp_version(order_id: str, version_id: int) -> None:
    await SupportOrder.update({SupportOrder.catalog_version: version_id}).where(SupportOrder.id == order_id)
