"""合作伙伴代付 as a request (SPEC.md §13): a member asks the company's main account to pay an order; the main
account pays it (身份验证 with its own code, models.services.payments) or rejects it (驳回) with a reason. After a
rejection the order is the member's again, pending, to pay another way (or to ask again: a new request).

Every change happens inside the caller's write transaction under the company's lock (payments.choose and
payments.settle), or in its own (`reject`); each state change is a conditional UPDATE (`… WHERE state =
'requested'`), so a payment and a rejection racing each other cannot both win."""

from __future__ import annotations

from datetime import datetime

from piccolo.columns.combination import Combinable

from models.db import lock_partner, write_transaction
from models.enums import NotificationKind, OrderStatus, PartnerRequestState, PaymentMethod
from models.records import Account, Order, PartnerRequest
from models.rules.money import format_datetime_cn, format_money
from models.services import orders
from models.services.errors import N_, Conflict, DomainError, NotFound
from models.services.notifications import notify
from models.tables import PartnerPayRequest, SupportOrder

REQUESTED, PAID, REJECTED, WITHDRAWN = PartnerRequestState
REASON_MAX = 200

NO_REASON = N_("请填写驳回原因。")
REASON_TOO_LONG = N_("驳回原因不能超过200个字符。")
WAS_PAID = N_("您已于 %(when)s 代付订单 %(order)s，该代付申请不能再驳回。")
WAS_REJECTED = N_("该代付申请已于 %(when)s 被 %(login)s 驳回，驳回原因：%(reason)s")
WAS_WITHDRAWN = N_("子帐号 %(login)s 已于 %(when)s 改用其他支付方式，该代付申请已撤回。")
ORDER_CLOSED = N_("订单 %(order)s 已不是待支付状态，该代付申请已结束。")


def _query(where: Combinable) -> object:
    r = PartnerPayRequest
    return (
        r.select(
            *r.all_columns(),
            r.requester.login.as_alias("requester_login"),
            r.payer.login.as_alias("payer_login"),
            r.decided_by.login.as_alias("decider_login"),
            r.order_id.kind.as_alias("kind"),
            r.order_id.level.as_alias("level"),
            r.order_id.months.as_alias("months"),
            r.order_id.pack_count.as_alias("pack_count"),
            r.order_id.due_fen.as_alias("due_fen"),
            r.order_id.status.as_alias("order_status"),
        )
        .where(where)
        .order_by(r.id, ascending=False)
    )


async def _select(where: Combinable) -> list[PartnerRequest]:
    rows = await _query(where)  # type: ignore[misc]
    return [PartnerRequest.from_row(row) for row in rows]


async def latest(order_id: str) -> PartnerRequest | None:
    """The order's newest 代付 request (its state is what the member's order pages show), if any."""
    found = await _select(PartnerPayRequest.order_id == order_id)
    return found[0] if found else None


async def awaiting(account: Account) -> list[PartnerRequest]:
    """待代付订单: the requests waiting for this main account, oldest first."""
    if not account.is_main:
        return []
    found = await _select(
        (PartnerPayRequest.payer == account.id)
        & (PartnerPayRequest.state == REQUESTED)
        & (PartnerPayRequest.order_id.status == OrderStatus.PENDING)
    )
    return sorted(found, key=lambda request: request.id)


async def get_for_payer(account: Account, order_id: str) -> PartnerRequest:
    """The newest request of ORDER_ID that asked this account; anyone else gets "not found"."""
    found = await _select((PartnerPayRequest.order_id == order_id) & (PartnerPayRequest.payer == account.id))
    if not found:
        raise NotFound(N_("订单不存在。"))
    return found[0]


async def submit(member: Account, order: Order, payer: Account, now: datetime) -> bool:
    """The member asks PAYER to pay ORDER (inside payments.choose's transaction). A request already waiting for it
    stays (the form sent again); returns whether a new request was made (and the main account told)."""
    if await PartnerPayRequest.exists().where(
        (PartnerPayRequest.order_id == order.id) & (PartnerPayRequest.state == REQUESTED)
    ):
        return False
    await PartnerPayRequest.insert(
        PartnerPayRequest(
            order_id=order.id, requester=member.id, payer=payer.id, state=REQUESTED, reason="", requested_at=now
        )
    )
    await notify(
        payer.id,
        "代付申请",
        f"子帐号 {member.login} 申请由您代付订单 {order.id}，金额 {format_money(order.due_fen, 'zh_CN')}。"
        "请在“待代付订单”中支付或驳回。",
        now,
        kind=NotificationKind.PARTNER_REQUEST,
    )
    return True


async def withdraw(order_id: str, now: datetime) -> None:
    """The member chose another way to pay (or the order was paid another way): a waiting request is withdrawn."""
    await PartnerPayRequest.update({PartnerPayRequest.state: WITHDRAWN, PartnerPayRequest.decided_at: now}).where(
        (PartnerPayRequest.order_id == order_id) & (PartnerPayRequest.state == REQUESTED)
    )


async def mark_paid(order_id: str, payer_id: int, now: datetime) -> bool:
    """The main account paid the order (inside payments.settle): its waiting request is done. False when none was
    waiting for this account (it was rejected or withdrawn first)."""
    moved = (
        await PartnerPayRequest.update(
            {PartnerPayRequest.state: PAID, PartnerPayRequest.decided_by: payer_id, PartnerPayRequest.decided_at: now}
        )
        .where(
            (PartnerPayRequest.order_id == order_id)
            & (PartnerPayRequest.payer == payer_id)
            & (PartnerPayRequest.state == REQUESTED)
        )
        .returning(PartnerPayRequest.id)
    )
    return bool(moved)


def check_reason(reason: str) -> str:
    """驳回原因: 1–200 characters after trimming."""
    reason = reason.strip()
    if not reason:
        raise DomainError(NO_REASON, field="reason")
    if len(reason) > REASON_MAX:
        raise DomainError(REASON_TOO_LONG, field="reason")
    return reason


def decided(request: PartnerRequest, order: Order) -> Conflict:
    """Why REQUEST can no longer be decided: what happened to it (a 409 page says so)."""
    if request.state == PAID:
        return Conflict(WAS_PAID, when=_when(request.decided_at or order.paid_at), order=order.id)
    if request.state == REJECTED:
        return Conflict(
            WAS_REJECTED, when=_when(request.decided_at), login=request.decider_login or "", reason=request.reason
        )
    if request.state == WITHDRAWN:
        return Conflict(WAS_WITHDRAWN, when=_when(request.decided_at), login=request.requester_login)
    return Conflict(ORDER_CLOSED, order=order.id)


def _when(moment: datetime | None) -> str:
    return format_datetime_cn(moment) if moment else ""


async def reject(account: Account, order_id: str, reason: str, now: datetime) -> PartnerRequest:
    """驳回: the main account refuses to pay the member's order, saying why. The order stays pending for the member,
    without a method (the member chooses again; coupons apply again). A request already decided is a Conflict
    saying what happened (paid, rejected, withdrawn), so a second 驳回 or one after payment changes nothing."""
    reason = check_reason(reason)
    async with write_transaction():
        request = await get_for_payer(account, order_id)
        await lock_partner((await orders.get(order_id)).partner)
        request = await get_for_payer(account, order_id)  # read afresh under the lock
        order = await orders.get(order_id)
        if not request.is_open:
            raise decided(request, order)
        if not order.is_pending:
            raise Conflict(ORDER_CLOSED, order=order.id)
        moved = (
            await PartnerPayRequest.update(
                {
                    PartnerPayRequest.state: REJECTED,
                    PartnerPayRequest.reason: reason,
                    PartnerPayRequest.decided_by: account.id,
                    PartnerPayRequest.decided_at: now,
                }
            )
            .where((PartnerPayRequest.id == request.id) & (PartnerPayRequest.state == REQUESTED))
            .returning(PartnerPayRequest.id)
        )
        if not moved:  # pragma: no cover - the lock makes the payment and the rejection take turns
            raise decided(await get_for_payer(account, order_id), order)
        await SupportOrder.update({SupportOrder.method: "", SupportOrder.payer: None}).where(
            (SupportOrder.id == order_id)
            & (SupportOrder.method == PaymentMethod.PARTNER)
            & (SupportOrder.status == OrderStatus.PENDING)
        )
        await notify(
            request.requester,
            "代付申请已驳回",
            f"主帐号 {account.login} 驳回了您的代付申请（订单 {order_id}），驳回原因：{reason}。"
            "订单仍待支付，您可以选择其他支付方式。",
            now,
            kind=NotificationKind.PARTNER_REQUEST,
            order_id=order_id,
        )
    return await get_for_payer(account, order_id)


async def asked(account: Account, order_id: str) -> bool:
    """Whether ORDER_ID was ever asked of this account (the main account may still see an order it rejected)."""
    return bool(
        await PartnerPayRequest.exists().where(
            (PartnerPayRequest.order_id == order_id) & (PartnerPayRequest.payer == account.id)
        )
    )
