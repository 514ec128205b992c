"""The outbox: notifications are rows written in the same transaction as their cause.
Delivery by e-mail (CONSOLE_SMTP_URL) happens afterwards and marks rows sent."""

from __future__ import annotations

import asyncio
import logging
import smtplib
from datetime import datetime
from email.message import EmailMessage
from urllib.parse import urlparse

from models.enums import Channel, NotificationKind
from models.records import Message
from models.services.notification_settings import wants_email
from models.tables import Outbox

log = logging.getLogger("console.mail")


async def notify(
    account_id: int,
    subject: str,
    body: str,
    now: datetime,
    channel: Channel = Channel.INBOX,
    *,
    kind: NotificationKind = NotificationKind.OTHER,
    order_id: str | None = None,
) -> None:
    """An outbox row in the caller's transaction. An inbox message (消息中心) of a kind the account chose e-mail for
    (通知设置) is also queued as an e-mail; verification codes go to their own channel only, never the inbox."""
    channels = [channel]
    if channel == Channel.INBOX and await wants_email(account_id, kind):
        channels.append(Channel.EMAIL)
    for to in channels:
        await Outbox.insert(
            Outbox(
                account=account_id,
                channel=to,
                subject=subject,
                body=body,
                created_at=now,
                kind=kind,
                order_id=order_id,
            )
        )


async def messages_for(account_id: int, limit: int = 100) -> list[Message]:
    rows = await Outbox.select().where(Outbox.account == account_id).order_by(Outbox.id, ascending=False).limit(limit)
    return [Message.from_row(row) for row in rows]


def _send(smtp_url: str, messages: list[EmailMessage]) -> None:
    url = urlparse(smtp_url)
    with smtplib.SMTP(url.hostname or "localhost", url.port or 25, timeout=10) as smtp:
        if url.username:
            smtp.login(url.username, url.password or "")
        for message in messages:
            smtp.send_message(message)


async def deliver_email(smtp_url: str | None, now: datetime) -> int:
    """Sends the unsent e-mail rows (smtp://user:pass@host:port); returns how many went out.
    Each row is claimed (sent_at set) before sending, so two workers never send one twice; a failed
    delivery gives its rows back for the next run."""
    if not smtp_url:
        return 0
    claimed = (
        await Outbox.update({Outbox.sent_at: now})
        .where((Outbox.channel == Channel.EMAIL) & Outbox.sent_at.is_null() & (Outbox.attempts < MAX_ATTEMPTS))
        .returning(Outbox.id)
    )
    if not claimed:
        return 0
    ids = [row["id"] for row in claimed]
    rows = await Outbox.select(*Outbox.all_columns(), Outbox.account.email.as_alias("to")).where(Outbox.id.is_in(ids))
    messages = []
    for row in rows:
        outgoing = Message.from_row(row)
        message = EmailMessage()
        message["From"] = "console@localhost"
        message["To"] = row["to"]
        message["Subject"] = outgoing.subject
        message.set_content(outgoing.body)
        messages.append(message)
    try:
        await asyncio.to_thread(_send, smtp_url, messages)
    except (OSError, smtplib.SMTPException) as exc:
        log.exception("e-mail delivery failed; %s message(s) will be retried", len(ids))
        await record_failure(ids, exc)
        return 0
    return len(messages)


#: Failed deliveries of one e-mail before it is left failed (通知's 重新发送 queues it again).
MAX_ATTEMPTS = 3
#: The longest delivery error kept (the SMTP server's reply can be long).
ERROR_MAX = 500


async def record_failure(ids: list[int], exc: BaseException) -> None:
    """Gives claimed rows back unsent, keeping why (for the operator console's 通知) and counting the try; after
    MAX_ATTEMPTS failed tries a row stays failed until an operator sends it again."""
    error = (" ".join(str(exc).split()) or type(exc).__name__)[:ERROR_MAX]
    await Outbox.update(
        {
            Outbox.sent_at: None,
            Outbox.last_error: f"{type(exc).__name__}: {error}",
            Outbox.attempts: Outbox.attempts + 1,
        }
    ).where(Outbox.id.is_in(ids))
