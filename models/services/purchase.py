"""Buying a plan (新购, guide chapter 1): who may buy, what it costs, and what paying it creates."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from models.db import lock_partner, write_transaction
from models.enums import OrderKind
from models.records import Account, Order
from models.rules.eligibility import ALREADY_HAS_PLAN, COMPANY_MISMATCH, MAIN_NOT_CERTIFIED, purchase_refusal
from models.rules.money import to_decimal
from models.rules.periods import is_valid_term, purchase_period
from models.rules.pricing import PAID_LEVELS, Catalog, list_price_explained
from models.services import catalog as catalogs
from models.services import order_explanations, orders
from models.services.accounts import get_account, main_account_of
from models.services.errors import N_, Conflict, DomainError
from models.services.plans import PlanState, add_period, list_price_fen, plan_state
from models.tables import Plan

REFUSALS = {
    MAIN_NOT_CERTIFIED: N_(
        "贵公司尚未通过服务伙伴计划（Service Partner Program）认证，主帐号不能直接购买。请通过注册公司名称与主帐号一致的关联子帐号购买。"
    ),
    COMPANY_MISMATCH: N_(
        "该子帐号的注册公司名称（%(own)s）与主帐号的公司名称（%(main)s）不一致。请将公司名称修改一致，或另行创建子帐号后再购买。"
    ),
    ALREADY_HAS_PLAN: N_("贵公司已有合作伙伴支持计划，同一公司同一时间只能持有一个支持计划。"),
}
#: SPEC.md §13: a company has at most one pending 新购 order.
PENDING_PURCHASE = N_("贵公司已有待支付的新购订单（%(order)s），请继续支付或取消该订单后再购买。")


class PurchaseRefused(DomainError):
    status_code = 403


async def buyer_refusal(account: Account, *, company_has_plan: bool = False) -> PurchaseRefused | None:
    """Why this account may not buy (SPEC.md §1), or None. Who may buy may also change and renew."""
    main = account if account.is_main else await main_account_of(account.partner)
    main_company = main.company_name if main else ""
    code = purchase_refusal(
        is_main=account.is_main,
        certified=account.partner_certified,
        own_company=account.company_name,
        main_company=main_company,
        company_has_plan=company_has_plan,
    )
    if code is None:
        return None
    return PurchaseRefused(REFUSALS[code], own=account.company_name, main=main_company)


async def refusal(account: Account, now: datetime, state: PlanState | None = None) -> PurchaseRefused | None:
    """Why this account may not buy a plan now: the rules of who may buy, and one plan per company (from
    `state`, the company's plan state now, when the caller has read it already)."""
    state = state or await plan_state(account.partner, now)
    return await buyer_refusal(account, company_has_plan=bool(state.current or state.upcoming))


def check_choice(level: str, months: int | None) -> None:
    if level not in PAID_LEVELS:
        raise DomainError(N_("请选择规格：标准级或尊享级。"), field="level")
    if months is None or not is_valid_term(months):
        raise DomainError(N_("请选择时长：1至11个月，或1至3年。"), field="months")


def price(level: str, months: int, catalog: Catalog | None = None) -> int:
    """The list price in fen, in `catalog` (default: the one the request's plan_state priced with)."""
    return list_price_fen(level, months, catalog or catalogs.in_use())


async def pending_purchase(partner_id: int) -> Order | None:
    """The company's pending 新购 order, if it has one (SPEC.md §13: at most one)."""
    return await orders.pending_of_kind(partner_id, (OrderKind.PURCHASE,))


async def place(account: Account, level: str, months: int, request_key: str | None, now: datetime) -> str:
    """规格确认 → 去购买: the pending order, at the list price the preview showed. A resubmitted form (same
    request_key) finds its order; while the company has another pending 新购 order, none is made (Conflict, 409).
    The company is locked first, so two tabs sending at once make one order."""
    check_choice(level, months)
    async with write_transaction():
        await lock_partner(account.partner)
        refused = await refusal(account, now)
        if refused:
            raise refused
        again = await orders.by_request_key(account, request_key)
        if again is not None:
            return again.id
        pending = await pending_purchase(account.partner)
        if pending is not None:
            raise Conflict(PENDING_PURCHASE, order=pending.id)
        catalog = await catalogs.catalog_at(now)
        explained = list_price_explained(level, months, catalog)  # the amount and its 怎么算的, one calculation
        order_id, created = await orders.create_order(
            account=account,
            kind=OrderKind.PURCHASE,
            now=now,
            level=level,
            months=months,
            list_fen=explained.amount_fen,
            request_key=request_key,
            quoted_at=now,
        )
        if created:
            await catalogs.stamp_order(order_id, catalog)
            await order_explanations.record(order_id, explained)
    return order_id


async def precheck(order: Order, now: datetime) -> None:
    refused = await refusal(await get_account(order.account), now)
    if refused:
        raise refused


async def fulfil(order: Order, now: datetime) -> None:
    """The plan starts now, for the term bought; the cash paid is its first charge."""
    plan = await Plan.select(Plan.id).where(Plan.partner == order.partner).first()
    if plan is None:
        plan = (
            await Plan.insert(
                Plan(partner=order.partner, auto_renew=False, auto_renew_months=0, created_at=now)
            ).returning(Plan.id)
        )[0]
    start, end = purchase_period(now, order.months)
    await add_period(plan_id=plan["id"], order=order, start=start, end=end, now=now)


def preview_period(now: datetime, months: int) -> tuple[datetime, datetime]:
    """Start and end as they will be if paid now (规格确认)."""
    return purchase_period(now, months)


def amount(level: str, months: int, catalog: Catalog | None = None) -> Decimal:
    """The list price the change page previews and the order charges (one rule for both)."""
    return to_decimal(price(level, months, catalog))
