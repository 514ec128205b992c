"""消息中心 (issue 15, SPEC.md §16): an account's inbox messages (the outbox's inbox rows; verification codes go
by SMS or e-mail only and are never here), newest first, read or unread, and marking them read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.enums import Channel
from models.prepared import Param, Prepared
from models.records import InboxMessage
from models.tables import Outbox

PAGE_SIZE = 50


def _inbox_of(account_id: int | Param) -> Any:  # a Piccolo where clause
    return (Outbox.account == account_id) & (Outbox.channel == Channel.INBOX)


_UNREAD = Prepared(lambda: Outbox.count().where(_inbox_of(Param("account")) & Outbox.read_at.is_null()))


async def unread_count(account_id: int) -> int:
    """One COUNT on the (account, channel, read_at) index: the top bar's figure on every signed-in page."""
    return await _UNREAD.count(account=account_id)


async def messages(account_id: int, page: int = 1, size: int = PAGE_SIZE) -> tuple[list[InboxMessage], int]:
    """One page of the inbox, newest first, and the number of messages in it all."""
    page = max(1, page)
    rows = (
        await Outbox.select(*(getattr(Outbox, name) for name in InboxMessage.columns()))
        .where(_inbox_of(account_id))
        .order_by(Outbox.id, ascending=False)
        .limit(size)
        .offset((page - 1) * size)
    )
    total = await Outbox.count().where(_inbox_of(account_id))
    return [InboxMessage.from_row(row) for row in rows], total


async def mark_read(account_id: int, message_id: int, now: datetime) -> bool:
    """Marks one of the account's messages read (a message already read keeps its time); False when the account
    has no such message. One conditional UPDATE, so a repeat or a race changes nothing more."""
    if not await Outbox.exists().where(_inbox_of(account_id) & (Outbox.id == message_id)):
        return False
    await Outbox.update({Outbox.read_at: now}).where(
        _inbox_of(account_id) & (Outbox.id == message_id) & Outbox.read_at.is_null()
    )
    return True


async def mark_all_read(account_id: int, now: datetime, up_to: int | None = None) -> int:
    """全部标为已读: the account's unread messages (up to the newest the page showed, so one that arrived since
    stays unread); returns how many."""
    where = _inbox_of(account_id) & Outbox.read_at.is_null()
    if up_to is not None:
        where = where & (Outbox.id <= up_to)
    rows = await Outbox.update({Outbox.read_at: now}).where(where).returning(Outbox.id)
    return len(rows)
