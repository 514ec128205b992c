"""The company's pending orders as the detail and change pages show them (SPEC.md §13, issue 12 "no dead ends"):
the pending 新购 (at most one), upgrade, renewal and pack orders, and 合作伙伴代付 requests — each with what this
account may do about it (继续支付, 取消订单) or that it waits for the main account.

templates/plans/_pending_order.html renders the record as a banner; include it with `pending` set:
    {% with pending = page.pending %}{% include "plans/_pending_order.html" %}{% endwith %}
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.enums import OrderKind, OrderStatus, PaymentMethod
from models.prepared import Param, Prepared
from models.records import Account, Order
from models.tables import SupportOrder

#: The kinds of order that wait for payment (a downgrade is a refund: never pending).
PAYABLE_KINDS = (OrderKind.PURCHASE, OrderKind.UPGRADE, OrderKind.RENEWAL, OrderKind.PACK)
#: Pending orders lapse after 7 days, so a company has few; the banner shows at most this many.
LIMIT = 20


@dataclass(frozen=True, slots=True)
class PendingOrder:
    """One pending order of the company, as the viewing account sees it."""

    id: str
    kind: OrderKind
    level: str  # a Level, or "" for a pack
    months: int
    pack_count: int
    due_fen: int  # 应付金额
    placed_by: str  # the login of the account that placed it
    placed_by_viewer: bool
    created_at: datetime
    waits_for_partner: bool  # a 合作伙伴代付 request the main account has not paid yet
    may_pay: bool  # 继续支付 is offered (at pay_href)
    may_cancel: bool  # 取消订单 is offered (at cancel_href)

    @property
    def href(self) -> str:
        return f"/orders/{self.id}"

    @property
    def pay_href(self) -> str:
        """The placer goes on at the payment page; the main account pays a 代付 request after 身份验证."""
        if self.waits_for_partner and not self.placed_by_viewer:
            return f"/orders/{self.id}/verify"
        return f"/orders/{self.id}/pay"

    @property
    def cancel_href(self) -> str:
        """The confirmation page of 取消订单 (GET; its form POSTs to the same address; its way back is /plan)."""
        return f"/orders/{self.id}/cancel?from=plan"


@dataclass(frozen=True, slots=True)
class PendingOrders:
    orders: tuple[PendingOrder, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.orders)

    @property
    def purchase(self) -> PendingOrder | None:
        """The company's pending 新购 order (SPEC.md §13: at most one)."""
        return next((o for o in self.orders if o.kind == OrderKind.PURCHASE), None)

    @property
    def any_for_viewer(self) -> bool:
        """Some order is the viewer's own or waits for the viewer (then the banner says 您, else 贵公司)."""
        return any(o.may_pay or o.may_cancel for o in self.orders)


def pending_order(order: Order, placed_by: str, viewer: Account) -> PendingOrder:
    own = order.account == viewer.id
    waits = order.method == PaymentMethod.PARTNER and order.payer is not None
    asked_to_pay = waits and order.payer == viewer.id and viewer.is_main
    return PendingOrder(
        id=order.id,
        kind=order.kind,
        level=order.level,
        months=order.months,
        pack_count=order.pack_count,
        due_fen=order.due_fen,
        placed_by=placed_by,
        placed_by_viewer=own,
        created_at=order.created_at,
        waits_for_partner=waits,
        may_pay=(own and not waits) or asked_to_pay,
        may_cancel=own,
    )


#: Run by most pages (the pending-orders notice): prepared (models.prepared).
_PENDING_OF = Prepared(
    lambda: (
        SupportOrder.select(*SupportOrder.all_columns(), SupportOrder.account.login.as_alias("placed_by"))
        .where(
            (SupportOrder.partner == Param("partner"))
            & (SupportOrder.status == OrderStatus.PENDING)
            & SupportOrder.kind.is_in(list(PAYABLE_KINDS))
        )
        .order_by(SupportOrder.created_at)
        .limit(LIMIT)
    )
)


async def pending_orders(account: Account) -> PendingOrders:
    """The company's pending orders that matter to this account, oldest first: every pending purchase, upgrade,
    renewal and pack order of the company (the account's own ones to pay or cancel, the others to know of), and
    for a main account the members' 代付 requests waiting for it to pay."""
    rows = await _PENDING_OF.rows(partner=account.partner)
    return PendingOrders(tuple(pending_order(Order.from_row(row), row["placed_by"], account) for row in rows))
