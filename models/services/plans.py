"""What a partner's plan looks like at a moment: level, validity, periods, ticket quota."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from models.enums import Level, OrderKind, OrderStatus, PeriodStatus, TicketType
from models.prepared import Param, Prepared
from models.records import Order
from models.records import Period as PeriodRecord
from models.records import Plan as PlanRecord
from models.rules import quota as quota_rules
from models.rules.money import to_decimal, to_fen
from models.rules.periods import natural_month
from models.rules.pricing import DEFAULT_CATALOG, Catalog, list_price
from models.rules.proration import Charge as ChargeView
from models.rules.proration import PeriodView
from models.services import catalog as catalogs
from models.tables import Charge, Period, Plan

#: Deprecated: version 1's prices, for code not yet moved to `state.catalog` / `catalogs.catalog_at(now)`
#: (models/services/changes.py until its owner switches). Prices come from the versioned catalog now.
CATALOG = DEFAULT_CATALOG


@dataclass
class PlanState:
    partner_id: int
    plan_id: int | None
    level: Level
    current: PeriodRecord | None  # the period running now
    upcoming: list[PeriodRecord]  # paid periods that start later (renewals)
    history: list[PeriodRecord]  # every period, newest first
    auto_renew: bool = False
    auto_renew_months: int = 0
    auto_renew_payer: int | None = None  # who switched auto-renew on: its balance pays (SPEC.md §12)
    # The payer's login while it belongs to the company (None when there is none, or it left): the setting says
    # whose balance pays, and never names an account of another company.
    auto_renew_payer_login: str | None = None
    quota: int | None = 0  # None: unlimited
    tickets_used: int = 0
    packs_this_month: int = 0
    month_end: datetime | None = None
    views: list[PeriodView] = field(default_factory=list)  # current + upcoming, for the money rules
    # The price catalog in force at the state's `now` (what new orders are priced with), and every version, so a
    # quote made earlier is re-priced with the catalog of its own time (`catalog_at`).
    catalog: Catalog = DEFAULT_CATALOG
    versions: catalogs.Versions = field(default_factory=catalogs.Versions)

    def catalog_at(self, at: datetime) -> Catalog:
        """The catalog in force at `at` (a quote's time): the newest version with effective_at <= at."""
        return self.versions.at(at)

    @property
    def valid_from(self) -> datetime | None:
        return self.current.start if self.current else None

    @property
    def valid_until(self) -> datetime | None:
        chain = ([self.current] if self.current else []) + self.upcoming
        return chain[-1].end if chain else None

    @property
    def pack_tickets(self) -> int:
        """Extra technical tickets this month from paid add-on packs."""
        return self.packs_this_month * self.catalog.pack_tickets

    @property
    def tickets_left(self) -> int | None:
        return None if self.quota is None else max(0, self.quota - self.tickets_used)


# The queries of plan_state, run by most pages: prepared (models.prepared).
_PLAN = Prepared(
    lambda: (
        Plan.select(
            *Plan.all_columns(),
            Plan.auto_renew_payer.login.as_alias("payer_login"),
            Plan.auto_renew_payer.partner.as_alias("payer_partner"),
        )
        .where(Plan.partner == Param("partner"))
        .limit(1)
    )
)
_PERIODS = Prepared(lambda: Period.select().where(Period.plan == Param("plan")).order_by(Period.start))
#: A plan's charges (few), of which period_views keeps those of the periods it is given.
_CHARGES_OF_PLAN = Prepared(
    lambda: Charge.select(*Charge.all_columns()).where(Charge.period.plan == Param("plan")).order_by(Charge.id)
)
#: This month's paid packs and technical tickets of a company, in one query (two indexed subqueries).
_MONTH_USAGE = Prepared(
    lambda: Plan.raw(
        'SELECT (SELECT COALESCE(SUM("pack_count"), 0) FROM "support_order" WHERE "partner" = {}'
        ' AND "kind" = {} AND "status" = {} AND "paid_at" >= {} AND "paid_at" < {}) AS "packs",'
        ' (SELECT COUNT(*) FROM "ticket" WHERE "partner" = {} AND "kind" = {}'
        ' AND "created_at" >= {} AND "created_at" < {}) AS "tickets"',
        Param("partner"),
        OrderKind.PACK.value,
        OrderStatus.PAID.value,
        Param("start"),
        Param("end"),
        Param("partner"),
        TicketType.TECHNICAL.value,
        Param("start"),
        Param("end"),
    )
)


async def period_views(periods: list[PeriodRecord]) -> list[PeriodView]:
    """The rules' view of periods: each with the charges paid for it (SPEC.md §4)."""
    if not periods:
        return []
    if len({p.plan for p in periods}) == 1:
        charges = await _CHARGES_OF_PLAN.rows(plan=periods[0].plan)
    else:
        charges = await Charge.select().where(Charge.period.is_in([p.id for p in periods])).order_by(Charge.id)
    views = []
    for p in periods:
        own = tuple(
            ChargeView(amount=to_decimal(c["amount_fen"]), span_start=c["span_start"], span_end=c["span_end"])
            for c in charges
            if c["period"] == p.id
        )
        views.append(
            PeriodView(
                start=p.start,
                end=p.end,
                months=p.months,
                level=p.level,
                charges=own,
                is_renewal=p.is_renewal,
            )
        )
    return views


def list_price_fen(level: str, months: int, catalog: Catalog) -> int:
    """The list price of a term (purchase and renewal alike) in the catalog given, in fen."""
    return to_fen(list_price(level, months, catalog))


async def get_period(period_id: int | None) -> PeriodRecord:
    row = await Period.select().where(Period.id == period_id).first()
    if row is None:
        raise LookupError(f"no period {period_id}")
    return PeriodRecord.from_row(row)


async def add_period(*, plan_id: int, order: Order, start: datetime, end: datetime, now: datetime) -> int:
    """The period a paid purchase or renewal order buys, with the cash paid as its one charge for the whole span."""
    rows = await Period.insert(
        Period(
            plan=plan_id,
            order=order.id,
            level=order.level,
            months=order.months,
            is_renewal=order.kind == OrderKind.RENEWAL,
            start=start,
            end=end,
            paid_at=now,
        )
    ).returning(Period.id)
    period_id: int = rows[0]["id"]
    await Charge.insert(
        Charge(period=period_id, order_id=order.id, amount_fen=order.due_fen, span_start=start, span_end=end)
    )
    return period_id


def month_window(now: datetime) -> tuple[datetime, datetime]:
    """[first instant, first instant of the next month): no fraction of a second falls between months."""
    start, end = natural_month(now)
    return start, end + timedelta(seconds=1)


async def month_usage(partner_id: int, now: datetime) -> tuple[int, int]:
    """(packs paid, technical tickets opened) in the natural month of `now`."""
    start, end = month_window(now)
    row = await _MONTH_USAGE.first(partner=partner_id, start=start, end=end)
    assert row is not None  # a SELECT of two subqueries has one row
    return int(row["packs"]), int(row["tickets"])


async def plan_state(partner_id: int, now: datetime) -> PlanState:
    row = await _PLAN.first(partner=partner_id)
    plan = PlanRecord.from_row(row) if row else None
    periods: list[PeriodRecord] = []
    if plan:
        periods = [PeriodRecord.from_row(r) for r in await _PERIODS.rows(plan=plan.id)]
    active = [p for p in periods if p.status == PeriodStatus.ACTIVE and p.end >= now]
    current = next((p for p in active if p.start <= now), None)
    upcoming = [p for p in active if p.start > now]
    level = current.level if current else Level.BASIC
    state = PlanState(
        partner_id=partner_id,
        plan_id=plan.id if plan else None,
        level=level,
        current=current,
        upcoming=upcoming,
        history=list(reversed(periods)),
        auto_renew=bool(plan and plan.auto_renew),
        auto_renew_months=(plan.auto_renew_months if plan else 0) or (periods[-1].months if periods else 1),
        auto_renew_payer=plan.auto_renew_payer if plan else None,
        auto_renew_payer_login=row["payer_login"] if row and row["payer_partner"] == partner_id else None,
        views=await period_views(([current] if current else []) + upcoming),
        versions=await catalogs.versions(),
    )
    state.catalog = state.versions.at(now)
    catalogs.use(state.catalog)
    state.packs_this_month, state.tickets_used = await month_usage(partner_id, now)
    state.quota = quota_rules.monthly_quota(level, state.packs_this_month, state.catalog)
    state.month_end = natural_month(now)[1]
    return state
