"""The outbox: notifications are rows written in the same transaction as their cause.
Delivery by e-mail (CONSOLE_SMTP_URL) happens afterwards and marks rows sent."""

from __future__ import annotations

import smtplib
from datetime import datetime
from email.message import EmailMessage
from urllib.parse import urlparse

from models.tables import Account, Outbox


async def notify(account_id: int, subject: str, body: str, now: datetime, channel: str = "inbox") -> None:
    await Outbox.insert(Outbox(account=account_id, channel=channel, subject=subject, body=body, created_at=now))


async def messages_for(account_id: int, limit: int = 100) -> list[dict]:
    return await Outbox.select().where(Outbox.account == account_id).order_by(Outbox.id, ascending=False).limit(limit)


async def deliver_email(smtp_url: str | None, now: datetime) -> int:
    """Sends unsent e-mail rows through SMTP (smtp://user:pass@host:port); returns how many were sent."""
    if not smtp_url:
        return 0
    rows = await Outbox.select(Outbox.all_columns(), Outbox.account.email).where(
        (Outbox.channel == "email") & Outbox.sent_at.is_null()
    )
    if not rows:
        return 0
    url = urlparse(smtp_url)
    with smtplib.SMTP(url.hostname or "localhost", url.port or 25, timeout=10) as smtp:
        if url.username:
            smtp.login(url.username, url.password or "")
        for row in rows:
            message = EmailMessage()
            message["From"] = "console@localhost"
            message["To"] = row["account.email"]
            message["Subject"] = row["subject"]
            message.set_content(row["body"])
            smtp.send_message(message)
            await Outbox.update({Outbox.sent_at: now}).where(Outbox.id == row["id"])
    return len(rows)
