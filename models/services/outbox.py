"""The operator console's 通知 (SPEC.md §15): the outbox with each notification's delivery, and 重新发送.

A notification's delivery state follows from its row: an inbox message is only in the inbox (消息中心); an SMS is kept
in the outbox (no SMS gateway is configured); an e-mail is queued until models.services.notifications.deliver_email
sends it (sent_at), retried after a failed try, and failed once MAX_ATTEMPTS tries failed, with the last error kept.
重新发送 queues a failed e-mail again (its tries back to 0), in one transaction with its audit row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from piccolo.columns.combination import Combinable
from piccolo.query import Select

from models.db import MAX_SERIAL, write_transaction
from models.enums import AuditAction, Channel, DeliveryState
from models.records import Operator, OutboxEntry
from models.rules.money import format_datetime_cn
from models.services import audit
from models.services.errors import N_, Conflict, NotFound
from models.services.notifications import MAX_ATTEMPTS
from models.tables import Outbox

PAGE_SIZE = 20

NOT_FAILED = N_("只有发送失败的邮件可以重新发送。")
ALREADY_SENT = N_("该邮件已于 %(when)s 发送，无需重新发送。")


def state_of(entry: OutboxEntry) -> DeliveryState:
    if entry.channel == Channel.INBOX:
        return DeliveryState.INBOX
    if entry.channel == Channel.PHONE:
        return DeliveryState.SMS
    if entry.sent_at is not None:
        return DeliveryState.SENT
    return DeliveryState.FAILED if entry.attempts >= MAX_ATTEMPTS else DeliveryState.QUEUED


def _in_state(state: DeliveryState) -> Combinable:
    """The SQL condition of `state_of(...) == state`."""
    email = (Outbox.channel == Channel.EMAIL) & Outbox.sent_at.is_null()
    conditions: dict[DeliveryState, Combinable] = {
        DeliveryState.INBOX: Outbox.channel == Channel.INBOX,
        DeliveryState.SMS: Outbox.channel == Channel.PHONE,
        DeliveryState.SENT: (Outbox.channel == Channel.EMAIL) & Outbox.sent_at.is_not_null(),
        DeliveryState.QUEUED: email & (Outbox.attempts < MAX_ATTEMPTS),
        DeliveryState.FAILED: email & (Outbox.attempts >= MAX_ATTEMPTS),
    }
    return conditions[state]


@dataclass(frozen=True, slots=True)
class ListedMessage:
    entry: OutboxEntry
    state: DeliveryState


@dataclass(frozen=True, slots=True)
class OutboxPage:
    messages: list[ListedMessage]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _select() -> Select:
    return Outbox.select(
        Outbox.id,
        Outbox.account,
        Outbox.account.login.as_alias("account_login"),
        Outbox.channel,
        Outbox.subject,
        Outbox.created_at,
        Outbox.sent_at,
        Outbox.last_error,
        Outbox.attempts,
    )


async def listing(
    *, login: str = "", channel: Channel | None = None, state: DeliveryState | None = None, page: int = 1
) -> OutboxPage:
    """The outbox newest first, filtered by the addressee's exact login, the channel and the delivery state. The
    bodies are not listed: a verification code's body is the code."""
    where: list[Combinable] = []
    if login:
        where.append(Outbox.account.login == login)
    if channel is not None:
        where.append(Outbox.channel == channel)
    if state is not None:
        where.append(_in_state(state))
    count = Outbox.count()
    query = _select()
    for condition in where:
        count = count.where(condition)
        query = query.where(condition)
    total = await count
    page = max(1, page)
    rows = await query.order_by(Outbox.id, ascending=False).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    entries = [OutboxEntry.from_row(row) for row in rows]
    return OutboxPage([ListedMessage(entry, state_of(entry)) for entry in entries], total, page, PAGE_SIZE)


async def get_entry(message_id: int) -> OutboxEntry:
    if not 0 < message_id <= MAX_SERIAL:  # an id no row can have (PostgreSQL's integer would refuse it)
        raise NotFound(N_("通知不存在。"))
    row = await _select().where(Outbox.id == message_id).first()
    if row is None:
        raise NotFound(N_("通知不存在。"))
    return OutboxEntry.from_row(row)


async def resend(operator: Operator, message_id: int, now: datetime) -> OutboxEntry:
    """重新发送: a failed e-mail is queued again (tries back to 0, the error cleared), with its audit row; the next
    delivery run sends it. One already queued again (a double submit) is left as it is; any other is a 409."""
    async with write_transaction():
        entry = await get_entry(message_id)
        state = state_of(entry)
        if state == DeliveryState.QUEUED:
            return entry
        if state == DeliveryState.SENT:
            raise Conflict(ALREADY_SENT, when=format_datetime_cn(entry.sent_at) if entry.sent_at else "")
        if state != DeliveryState.FAILED:
            raise Conflict(NOT_FAILED)
        await Outbox.update({Outbox.attempts: 0, Outbox.last_error: ""}).where(
            (Outbox.id == message_id) & _in_state(DeliveryState.FAILED)
        )
        await audit.record(
            operator,
            AuditAction.RESEND_NOTIFICATION,
            now,
            account_id=entry.account,
            detail=f"通知 #{entry.id}「{entry.subject}」；上次错误：{entry.last_error}",
        )
    return await get_entry(message_id)
