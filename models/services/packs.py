"""Ticket add-on packs (工单增购包, guide chapter 2; SPEC.md §6).

Only a Standard plan buys packs. A pack order is an ordinary order (kind "pack"): paying it is all it takes, since
the month's quota is derived from the pack orders paid in that Beijing natural month (models.services.plans), so
the extra tickets start the moment it is paid and lapse at 23:59:59 on the month's last day by themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from models.db import write_transaction
from models.enums import Level, NotificationKind, OrderKind, OrderStatus, PeriodStatus
from models.records import Account, Order
from models.rules import quota as quota_rules
from models.rules.money import format_datetime_cn, format_money, to_fen
from models.rules.pricing import PACK_MAX, PACK_MIN, Catalog, pack_price, pack_price_explained
from models.services import catalog as catalogs
from models.services import order_explanations, orders
from models.services.errors import N_, Conflict, DomainError
from models.services.notifications import notify
from models.services.plans import PlanState, plan_state
from models.services.purchase import buyer_refusal
from models.tables import SupportOrder

NOT_STANDARD = {
    Level.BASIC: N_(
        "工单增购包仅适用于标准级合作伙伴支持计划。贵公司当前为基础级，仅支持业务类工单；"
        "如需提交技术类工单，请先购买标准级合作伙伴支持计划。"
    ),
    Level.PREMIUM: N_(
        "工单增购包仅适用于标准级合作伙伴支持计划。贵公司当前为尊享级，技术类工单不限数量，无需购买工单增购包。"
    ),
}
COUNT_MISSING = N_("请输入增购包个数，1至99之间的整数。")
COUNT_INVALID = N_("增购包个数须为1至99之间的整数。")
NO_LONGER_STANDARD = N_("贵公司的支持计划已不是标准级，不能再支付该工单增购包订单。")
#: A plan that was Standard and no longer is (another tab, another account): why, in the words of what happened.
UNSUBSCRIBED = N_("该支持计划已退订，不能购买工单增购包。贵公司当前为基础级，仅支持业务类工单。")
EXPIRED = N_("该支持计划已到期，不能购买工单增购包。贵公司当前为基础级，仅支持业务类工单。")
UPGRADED = N_("该支持计划已升级为尊享级，技术类工单不限数量，无需购买工单增购包。")


class NotStandard(Conflict):
    """The plan is not Standard: packs are not offered (409, the page says why)."""


def parse_count(value: object) -> int:
    """The number of packs from a form or query (text or int): a whole number from 1 to 99, else a DomainError
    at the field "count"."""
    if isinstance(value, bool):
        raise DomainError(COUNT_INVALID, field="count")
    if isinstance(value, int):
        count = value
    else:
        text = ("" if value is None else str(value)).strip()
        if not text:
            raise DomainError(COUNT_MISSING, field="count")
        if len(text) > 3 or not text.isascii() or not text.isdigit():
            raise DomainError(COUNT_INVALID, field="count")
        count = int(text)
    if not PACK_MIN <= count <= PACK_MAX:
        raise DomainError(COUNT_INVALID, field="count")
    return count


def price_fen(count: int, catalog: Catalog | None = None) -> int:
    """The price of `count` packs in `catalog` (default: the one the request's plan_state priced with)."""
    return to_fen(pack_price(count, catalog or catalogs.in_use()))


async def not_standard(state: PlanState) -> NotStandard | None:
    """Why a plan that is not Standard buys no packs: a plan unsubscribed or run out says so, and so does one
    upgraded to Premium (a tab left open on the pack page); a company that never had a plan is told what packs are."""
    if quota_rules.can_buy_packs(state.level):
        return None
    if state.level == Level.BASIC and state.history:
        return NotStandard(UNSUBSCRIBED if state.history[0].status == PeriodStatus.REFUNDED else EXPIRED)
    if state.level == Level.PREMIUM and await _upgraded(state.partner_id):
        return NotStandard(UPGRADED)
    return NotStandard(NOT_STANDARD[state.level])


async def _upgraded(partner_id: int) -> bool:
    return await SupportOrder.exists().where(
        (SupportOrder.partner == partner_id)
        & (SupportOrder.kind == OrderKind.UPGRADE)
        & (SupportOrder.status == OrderStatus.PAID)
    )


@dataclass
class PackOffer:
    """What the pack page shows: the plan's quota now, why packs are refused, or the price of `count` packs."""

    state: PlanState
    refusal: DomainError | None = None
    error: DomainError | None = None  # a bad count
    count: int | None = None
    amount_fen: int | None = None

    @property
    def unit_fen(self) -> int:
        return self.state.catalog.pack_price_fen

    @property
    def monthly_tickets(self) -> int:
        return self.state.catalog.standard_monthly_tickets

    @property
    def tickets_per_pack(self) -> int:
        return self.state.catalog.pack_tickets

    @property
    def tickets_added(self) -> int | None:
        return None if self.count is None else self.count * self.state.catalog.pack_tickets

    @property
    def quota_after(self) -> int | None:
        if self.count is None or self.state.quota is None:
            return None
        return quota_rules.monthly_quota(self.state.level, self.state.packs_this_month + self.count, self.state.catalog)

    @property
    def amount(self) -> Decimal | None:
        return None if self.count is None else pack_price(self.count, self.state.catalog)


async def offer(account: Account, raw_count: object, now: datetime) -> PackOffer:
    """The pack page and its live preview: refusal first (nothing to price), then the count, then the price."""
    state = await plan_state(account.partner, now)
    result = PackOffer(state=state)
    result.refusal = await not_standard(state) or await buyer_refusal(account)
    if result.refusal:
        return result
    try:
        result.count = parse_count(raw_count)
    except DomainError as exc:
        result.error = exc
        return result
    result.amount_fen = price_fen(result.count, state.catalog)
    return result


async def place(account: Account, raw_count: object, request_key: str | None, now: datetime) -> str:
    """订单确认 → 去购买: the pending pack order at the catalog price. A resubmitted form (same request_key)
    returns the first order."""
    count = parse_count(raw_count)
    async with write_transaction():
        state = await plan_state(account.partner, now)
        refused = await not_standard(state) or await buyer_refusal(account)
        if refused:
            raise refused
        explained = pack_price_explained(count, state.catalog)  # the amount and its 怎么算的, one calculation
        order_id, created = await orders.create_order(
            account=account,
            kind=OrderKind.PACK,
            now=now,
            pack_count=count,
            list_fen=explained.amount_fen,
            request_key=request_key,
            quoted_at=now,
        )
        if created:
            await catalogs.stamp_order(order_id, state.catalog)
            await order_explanations.record(order_id, explained)
    return order_id


async def precheck(order: Order, now: datetime) -> None:
    """A pack order may be paid while the company's plan is still Standard."""
    state = await plan_state(order.partner, now)
    if not quota_rules.can_buy_packs(state.level):
        raise NotStandard(NO_LONGER_STANDARD)


async def fulfil(order: Order, now: datetime) -> None:
    """Nothing to create: the paid order itself raises this month's quota. The buyer is told the new quota."""
    state = await plan_state(order.partner, now)  # the order is already paid here, so it counts
    added = order.pack_count * state.catalog.pack_tickets
    await notify(
        order.account,
        "工单增购包已生效",
        f"订单 {order.id}：{order.pack_count} 个工单增购包（{format_money(order.due_fen, 'zh_CN')}）"
        f"已生效，本月技术类工单配额增加 {added} 个，现为 {state.quota} 个（已用 {state.tickets_used} 个）。"
        f"增购的工单于 {format_datetime_cn(state.month_end or now)} 后作废。",
        now,
        kind=NotificationKind.PAYMENT_RESULT,
        order_id=order.id,
    )
