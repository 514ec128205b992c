"""Paying an order: one transaction marks it paid, takes the money, fulfils it and notifies.
Paying is idempotent: a second attempt on a paid order returns it, never charging again. Online payments arrive as
gateway captures (models.services.captures), which settle through `settle` here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.db import lock_partner, write_transaction
from models.enums import NotificationKind, OrderKind, OrderStatus, PaymentMethod
from models.records import Account, Order
from models.rules.money import format_money, to_decimal, to_fen
from models.services import coupons, ledger, order_kinds, orders, partner_requests, verification
from models.services.accounts import find_account, main_account_of
from models.services.errors import N_, Conflict, DomainError, NotFound
from models.services.notifications import notify
from models.tables import SupportOrder


@dataclass(frozen=True, slots=True)
class Priced:
    """What an order asks with a coupon (or none): the one rule the payment page shows and 确认付款 stores."""

    coupon: int | None
    discount_fen: int
    due_fen: int  # 应付金额


async def price(account: Account, order: Order, coupon_id: int | None, now: datetime) -> Priced:
    """The amount due of ORDER for ACCOUNT with COUPON_ID (refused when the coupon does not apply)."""
    coupon, discount, due = await coupons.price_with(account.id, coupon_id, to_decimal(order.list_fen), now)
    return Priced(coupon=coupon, discount_fen=to_fen(discount), due_fen=to_fen(due))


async def refusal(order: Order, now: datetime) -> DomainError | None:
    """Why ORDER can no longer be paid (no longer pending, or its kind's own conditions fail now: the plan was
    unsubscribed, changed or already bought), or None when it can. Read only: the payment checks again."""
    try:
        await order_kinds.precheck(order, now)
    except DomainError as exc:
        return exc
    return None


async def choose(account: Account, order_id: str, method: str, coupon_id: int | None, now: datetime) -> Order:
    """确认付款: stores the method and coupon with the amount due; checks the balance before going on."""
    method = orders.check_method(method)
    async with write_transaction():
        await lock_partner((await orders.get_own(account, order_id)).partner)
        order = await orders.get_own(account, order_id)  # read afresh under the lock (a 代付 request may be decided)
        await order_kinds.precheck(order, now)
        payer, main = None, None
        if method == PaymentMethod.CONTRACT and order.kind == OrderKind.UPGRADE:
            raise DomainError(
                N_("升级费用按小时折算，会随时间变化，不能申请线上合同请款后支付。请选择其他支付方式。"), field="method"
            )
        if method == PaymentMethod.PARTNER:
            if coupon_id:
                raise DomainError(N_("合作伙伴代付的订单不可使用优惠券。"), field="coupon")
            if account.is_main:
                raise DomainError(N_("您是合作伙伴主帐号，请直接支付该订单。"), field="method")
            main = await main_account_of(account.partner)
            if main is None:
                raise NotFound(N_("帐号不存在。"))
            payer = main.id
            if order.method == PaymentMethod.PARTNER and order.payer == main.id and coupon_id is None:
                return order  # the same request sent again: it already waits for the main account
        priced = await price(account, order, coupon_id, now)
        coupon, due_fen, discount_fen = priced.coupon, priced.due_fen, priced.discount_fen
        if method == PaymentMethod.BALANCE and account.balance_fen < due_fen:
            raise ledger.InsufficientBalance(due_fen - account.balance_fen)
        await SupportOrder.update(
            {
                SupportOrder.method: method,
                SupportOrder.coupon: coupon,
                SupportOrder.discount_fen: discount_fen,
                SupportOrder.due_fen: due_fen,
                SupportOrder.payer: payer,
            }
        ).where(SupportOrder.id == order_id)
        # 合作伙伴代付 is a request the main account pays or rejects (SPEC.md §13); another method withdraws one
        if payer and main is not None:
            await partner_requests.submit(account, await orders.get(order_id), main, now)
        else:
            await partner_requests.withdraw(order_id, now)
    return await orders.get(order_id)


async def settle(order_id: str, now: datetime, *, payer_id: int | None, payment_ref: str | None = None) -> Order:
    """Marks a pending order paid and does what paying it means, all or nothing. `payer_id` is the
    account whose balance pays (None when the money came from outside: online or offline)."""
    async with write_transaction():
        await lock_partner((await orders.get(order_id)).partner)
        order = await orders.get(order_id)  # read afresh under the lock
        if order.status == OrderStatus.PAID:
            return order
        await order_kinds.precheck(order, now)
        changes: dict[object, object] = {SupportOrder.payment_ref: payment_ref}
        asked = order.method == PaymentMethod.PARTNER and order.payer is not None
        by_main = asked and payer_id is not None and payer_id == order.payer  # the 代付 request is paid
        if asked and not by_main:
            changes[SupportOrder.payer] = None  # paid another way (an earlier online link): refunds go to the placer
        if not await orders.transition(order, OrderStatus.PAID, now, changes):
            again = await orders.get(order_id)
            if again.status == OrderStatus.PAID:
                return again
            raise Conflict(orders.NOT_PENDING)
        if by_main and payer_id is not None:
            await partner_requests.mark_paid(order_id, payer_id, now)
        else:
            await partner_requests.withdraw(order_id, now)
        if payer_id is not None:
            await ledger.debit(payer_id, order.due_fen, now, order_id=order_id, note=order.kind)
        if order.coupon:
            await coupons.mark_used(order.coupon, order_id)
        await order_kinds.fulfil(await orders.get(order_id), now)
        paid = f"订单 {order_id} 已支付 {format_money(order.due_fen, 'zh_CN')}。"
        if by_main and payer_id is not None:
            payer = await _login_of(payer_id)
            paid = f"主帐号 {payer} 已代付订单 {order_id}，金额 {format_money(order.due_fen, 'zh_CN')}。"
        await notify(order.account, "订单已支付", paid, now, kind=NotificationKind.PAYMENT_RESULT, order_id=order.id)
    return await orders.get(order_id)


async def _login_of(account_id: int) -> str:
    payer = await find_account(account_id)
    return payer.login if payer else ""


async def pay_verified(account: Account, order_id: str, code: str, now: datetime) -> Order:
    """身份验证 then pay from the balance: the placer's own (余额支付) or the main account's (合作伙伴代付).
    The company is locked before the code is tried (as sending a code does), so confirmations of one order
    take turns: the first right code pays, the others find the order paid."""
    async with write_transaction():
        await lock_partner((await orders.get_for(account, order_id)).partner)
        order = await orders.get_for(account, order_id)  # read afresh under the lock
        if order.status == OrderStatus.PAID:
            return order  # a replayed or double-clicked confirmation shows the first result
        by_partner = order.method == PaymentMethod.PARTNER and order.payer == account.id
        if order.account != account.id and not by_partner:  # a 代付 request rejected or withdrawn meanwhile
            request = await partner_requests.get_for_payer(account, order_id)
            raise partner_requests.decided(request, order)
        if not (order.method == PaymentMethod.BALANCE and order.account == account.id) and not by_partner:
            raise DomainError(N_("该订单未选择余额支付，请先选择支付方式。"))
        await order_kinds.precheck(order, now)
        balance = await ledger.balance(account.id)
        if balance < order.due_fen:
            raise ledger.InsufficientBalance(order.due_fen - balance)
        problem = await verification.check_code(account, order_id, code, now)
        if problem is None:
            return await settle(order_id, now, payer_id=account.id)
    raise DomainError(problem, field="code")


async def confirm_offline(order_id: str, now: datetime) -> Order:
    """The operator saw the contract payment arrive (partner-console orders confirm-offline)."""
    order = await orders.get(order_id)
    if order.method != PaymentMethod.CONTRACT:
        raise DomainError(N_("订单 %(order)s 不是等待合同付款的订单。"), order=order_id)
    return await settle(order_id, now, payer_id=None, payment_ref="offline")
