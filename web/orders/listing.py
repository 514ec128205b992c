"""订单管理's model: the filters read from the query string (a GET form, so a filtered list is a link), the rows
with their signed amounts, the pages of 20 with their links, and an order's history (订单记录) told from what the
tables hold. Decided here; templates/orders/list.html and detail.html only format."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from models.enums import ORDER_STATUS_NAMES, PAYMENT_METHOD_NAMES, REFUND_KINDS, OrderKind, OrderStatus
from models.records import Order
from models.rules.periods import BEIJING
from models.services.order_queries import HistoryFacts, LinkedOrder, OrderFilter
from web.i18n import _
from web.template_globals import level_name, money, order_kind_name, term_label

#: Orders per page.
PAGE_SIZE = 20
#: The lapse job cancels an order left unpaid this long (models.services.orders.lapse).
LAPSE_DAYS = 7


def is_refund(order: Order) -> bool:
    """A refund order (降级, 退订, 退订续费周期): its amount went back to a balance."""
    return order.kind in REFUND_KINDS


def signed_fen(order: Order) -> int:
    """The order's amount with its sign: a refund is negative."""
    return -order.due_fen if is_refund(order) else order.due_fen


def amount_label(order: Order) -> str:
    return _("退款 %(amount)s", amount=money(order.due_fen)) if is_refund(order) else money(order.due_fen)


def spec_label(order: Order) -> str:
    """产品规格: the level and term, or the pack count."""
    if order.pack_count:
        return _("%(count)s个增购包", count=order.pack_count)
    if order.level and order.months:
        return _("%(level)s（%(term)s）", level=level_name(order.level), term=term_label(order.months))
    return level_name(order.level) if order.level else ""


def settled_at(order: Order) -> datetime | None:
    """支付/退款时间: when it was paid, or for a refund when the money went back."""
    if is_refund(order):
        return order.closed_at
    return order.paid_at


def _parse_date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Filters:
    """The form's values as sent (to show them again) and what they select."""

    kind: str = ""
    status: str = ""
    date_from: str = ""
    date_to: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    wanted: OrderFilter = field(default_factory=OrderFilter)

    @property
    def active(self) -> bool:
        return bool(self.kind or self.status or self.date_from or self.date_to)

    def query(self, **extra: object) -> str:
        """The filters as a query string (empty ones left out), with EXTRA (the page)."""
        pairs = {"kind": self.kind, "status": self.status, "from": self.date_from, "to": self.date_to, **extra}
        return urlencode({k: v for k, v in pairs.items() if v not in ("", None)})

    @classmethod
    def read(cls, params: Mapping[str, str]) -> Filters:
        kind = params.get("kind", "").strip()
        status = params.get("status", "").strip()
        date_from = params.get("from", "").strip()
        date_to = params.get("to", "").strip()
        errors: dict[str, str] = {}
        if kind and kind not in {k.value for k in OrderKind}:
            errors["kind"] = _("请选择列表中的订单类型。")
        if status and status not in {s.value for s in OrderStatus}:
            errors["status"] = _("请选择列表中的订单状态。")
        start = _parse_date(date_from) if date_from else None
        end = _parse_date(date_to) if date_to else None
        if date_from and start is None:
            errors["from"] = _("起始日期无效，请按“年-月-日”填写，例如 2024-01-15。")
        if date_to and end is None:
            errors["to"] = _("结束日期无效，请按“年-月-日”填写，例如 2024-01-31。")
        if start and end and start > end:
            errors["to"] = _("结束日期不能早于起始日期。")
        wanted = OrderFilter(
            kind=OrderKind(kind) if kind and "kind" not in errors else None,
            status=OrderStatus(status) if status and "status" not in errors else None,
            start=datetime.combine(start, time(), BEIJING) if start else None,
            end=datetime.combine(end + timedelta(days=1), time(), BEIJING) if end else None,
        )
        return cls(kind, status, date_from, date_to, errors, wanted)


def kind_options() -> list[tuple[str, str]]:
    return [("", _("全部类型"))] + [(k.value, order_kind_name(k.value)) for k in OrderKind]


def status_options() -> list[tuple[str, str]]:
    return [("", _("全部状态"))] + [(s.value, _(ORDER_STATUS_NAMES[s])) for s in OrderStatus]


def page_number(raw: str | None) -> int:
    try:
        number = int(raw or "1")
    except ValueError:
        return 1
    return max(1, number)


@dataclass(frozen=True, slots=True)
class OrderRow:
    order: Order
    href: str
    kind: str
    spec: str
    amount: str
    refund: bool
    settled_at: datetime | None


def order_row(order: Order) -> OrderRow:
    return OrderRow(
        order=order,
        href=f"/orders/{order.id}",
        kind=order_kind_name(order.kind),
        spec=spec_label(order),
        amount=amount_label(order),
        refund=is_refund(order),
        settled_at=settled_at(order),
    )


@dataclass(frozen=True, slots=True)
class OrderListPage:
    filters: Filters
    rows: tuple[OrderRow, ...]
    total: int
    number: int  # this page, from 1
    pages: int  # at least 1
    kind_options: list[tuple[str, str]]
    status_options: list[tuple[str, str]]
    show_partner_requests: bool  # a main account: the link to 待代付订单

    @property
    def prev_href(self) -> str | None:
        return f"/orders?{self.filters.query(page=self.number - 1)}" if self.number > 1 else None

    @property
    def next_href(self) -> str | None:
        return f"/orders?{self.filters.query(page=self.number + 1)}" if self.number < self.pages else None

    @property
    def export_href(self) -> str:
        query = self.filters.query()
        return "/orders/export.csv" + (f"?{query}" if query else "")

    def page_href(self, number: int) -> str:
        return f"/orders?{self.filters.query(page=number)}"

    @classmethod
    def of(cls, filters: Filters, orders: list[Order], total: int, number: int, *, main: bool = False) -> OrderListPage:
        return cls(
            filters=filters,
            rows=tuple(order_row(o) for o in orders),
            total=total,
            number=number,
            pages=max(1, -(-total // PAGE_SIZE)),
            kind_options=kind_options(),
            status_options=status_options(),
            show_partner_requests=main,
        )


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """One line of 订单记录: when, what happened, and the details (by whom, with which method, how much)."""

    at: datetime
    event: str
    detail: str


def _method(order: Order) -> str:
    return _(PAYMENT_METHOD_NAMES[order.method]) if order.method in PAYMENT_METHOD_NAMES else ""


@dataclass(frozen=True, slots=True)
class OrderLink:
    """An order at the other end of a refund link, as the order page lists it."""

    id: str
    href: str
    kind: str  # its type's name
    status: OrderStatus
    amount: str  # the fen of the refund between the two, as 退款 ¥…
    at: datetime


def _link(other: LinkedOrder) -> OrderLink:
    return OrderLink(
        id=other.id,
        href=f"/orders/{other.id}",
        kind=order_kind_name(other.kind),
        status=other.status,
        amount=_("退款 %(amount)s", amount=money(other.amount_fen)),
        at=other.at,
    )


@dataclass(frozen=True, slots=True)
class OrderHistory:
    """订单记录 (the events, oldest first; iterating it gives them) and the refund links both ways: for a refund
    order the orders whose money it gave back (退款对应的订单), for another order the refund orders that did."""

    events: tuple[HistoryEvent, ...]
    reverses: tuple[OrderLink, ...] = ()
    refunded_by: tuple[OrderLink, ...] = ()

    def __iter__(self) -> Iterator[HistoryEvent]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)


def history(order: Order, facts: HistoryFacts) -> OrderHistory:
    return OrderHistory(
        events=_events(order, facts),
        reverses=tuple(_link(o) for o in facts.reverses),
        refunded_by=tuple(_link(o) for o in facts.refunded_by),
    )


def _events(order: Order, facts: HistoryFacts) -> tuple[HistoryEvent, ...]:
    """订单记录, oldest first: created (by whom); paid (by whom — the main account for 代付 — and how); a refund
    order's refunds (by whom, how much, to whose balance); cancelled or lapsed; unsubscribed (by whom, when, how
    much: the refund orders' amounts linked to it)."""
    events = [HistoryEvent(order.created_at, _("创建订单"), _("提交人：%(login)s", login=facts.placed_by))]
    charges = [(e, login) for e, login in facts.entries if e.amount_fen < 0]
    refunds = [(e, login) for e, login in facts.entries if e.amount_fen > 0]
    if is_refund(order):
        if refunds:
            for entry, login in refunds:
                events.append(
                    HistoryEvent(
                        entry.created_at,
                        _("退款"),
                        _(
                            "操作人：%(by)s；%(amount)s 退回 %(login)s 的余额",
                            by=facts.placed_by,
                            amount=money(entry.amount_fen),
                            login=login,
                        ),
                    )
                )
        else:
            events.append(
                HistoryEvent(
                    settled_at(order) or order.created_at,
                    _("退款"),
                    _("操作人：%(by)s；退款 %(amount)s", by=facts.placed_by, amount=money(order.due_fen)),
                )
            )
    elif order.paid_at is not None:
        payer = charges[0][1] if charges else (facts.payer or facts.placed_by)
        events.append(
            HistoryEvent(
                order.paid_at,
                _("订单已支付"),
                _("付款人：%(login)s；支付方式：%(method)s", login=payer, method=_method(order)),
            )
        )
    if order.status == OrderStatus.CANCELLED and order.closed_at is not None:
        lapsed = order.closed_at - order.created_at >= timedelta(days=LAPSE_DAYS)
        events.append(
            HistoryEvent(
                order.closed_at,
                _("超时未支付，已自动取消") if lapsed else _("订单已取消"),
                "" if lapsed else _("操作人：%(login)s", login=facts.placed_by),
            )
        )
    if order.status == OrderStatus.REFUNDED:
        ended = facts.unsubscribed_at or order.closed_at
        if ended is not None:
            back = sum(o.amount_fen for o in facts.refunded_by if o.kind != OrderKind.DOWNGRADE)
            who = facts.unsubscribed_by
            if who and back:
                detail = _("操作人：%(login)s；退款 %(amount)s", login=who, amount=money(back))
            elif who:
                detail = _("操作人：%(login)s", login=who)
            else:
                detail = _("退款 %(amount)s", amount=money(back)) if back else ""
            events.append(HistoryEvent(ended, _("订单已退订"), detail))
    return tuple(sorted(events, key=lambda e: e.at))
