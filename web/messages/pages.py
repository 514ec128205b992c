"""消息中心's model: each message with its read state in words, its time and the link to what it is about (its
order, or the plan); the pages of the list. Decided here; templates/messages/ only format."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Request

from models.enums import NotificationKind
from models.records import Account, InboxMessage
from models.services import inbox
from web.i18n import _, ngettext
from web.rendering import is_htmx

#: request.state's key for the top bar's unread count (templates/base.html).
UNREAD_STATE = "unread_messages"


def shows_top_bar(request: Request) -> bool:
    """A whole page asked with GET shows the top bar and its unread figure; an htmx swap or a form post does not
    (a download does not either: it reads the figure for nothing)."""
    return request.method in ("GET", "HEAD") and not is_htmx(request)


@dataclass(frozen=True)
class Row:
    message: InboxMessage
    href: str
    link_label: str

    @property
    def unread(self) -> bool:
        return self.message.read_at is None


def link_of(message: InboxMessage) -> tuple[str, str]:
    """(href, label) of what the message is about: its order, the 代付 requests, or the plan."""
    if message.order_id:
        return f"/orders/{message.order_id}", _("查看订单 %(order)s", order=message.order_id)
    if message.kind == NotificationKind.PARTNER_REQUEST:
        return "/orders/partner-requests", _("查看待代付订单")
    return "/plan", _("查看支持计划")


@dataclass(frozen=True)
class InboxPage:
    rows: list[Row]
    total: int
    number: int
    pages: int
    unread: int

    @property
    def count_text(self) -> str:
        return ngettext(
            "共 %(num)s 条消息，%(unread)s 条未读",
            "共 %(num)s 条消息，%(unread)s 条未读",
            self.total,
            unread=self.unread,
        )

    @property
    def newest_id(self) -> int | None:
        """全部标为已读 marks up to the newest message this page showed (one that arrived since stays unread)."""
        return max((row.message.id for row in self.rows), default=None) if self.number == 1 else None

    @property
    def prev_href(self) -> str | None:
        return f"/messages?page={self.number - 1}" if self.number > 1 else None

    @property
    def next_href(self) -> str | None:
        return f"/messages?page={self.number + 1}" if self.number < self.pages else None

    @classmethod
    async def load(cls, account: Account, number: int) -> InboxPage:
        messages, total = await inbox.messages(account.id, number)
        pages = max(1, -(-total // inbox.PAGE_SIZE))
        rows = [Row(m, *link_of(m)) for m in messages]
        return cls(rows, total, min(number, pages), pages, await inbox.unread_count(account.id))
