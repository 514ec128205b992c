"""消息中心 and 通知设置 (issue 15, SPEC.md §16).

GET  /messages                      the inbox, newest first (?page=N), read / unread in words, each with its link
POST /messages/{id}/read            标为已读 (one message) → back to the list
POST /messages/read-all             全部标为已读 (up to the newest message the page showed) → back to the list
GET  /settings/notifications        通知设置: per kind, inbox only or also by e-mail
POST /settings/notifications        保存 → back to the page with 已保存

Plain forms with CSRF: they work without JavaScript."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.params import Parameter
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from models.enums import NOTIFICATION_KIND_NAMES, NOTIFICATION_SETTING_KINDS
from models.records import Account
from models.services import inbox, notification_settings
from web.auth import provide_account
from web.forms import form_data, parse_int
from web.i18n import _
from web.messages.pages import InboxPage
from web.rendering import page

#: The values of 通知设置's radios.
INBOX_ONLY, WITH_EMAIL = "inbox", "email"


class MessagesController(Controller):
    path = "/messages"
    dependencies = {"account": Provide(provide_account)}

    @get("/")
    async def inbox(
        self, request: Request, account: Account, page_: str | None = Parameter(query="page", default=None)
    ) -> Template:
        number = parse_int(page_, 4) or 1
        model = await InboxPage.load(account, number)
        return page(request, "messages/list.html", {"account": account, "page": model})

    @post("/{message_id:int}/read")
    async def mark_read(self, account: Account, message_id: int, now: datetime) -> Redirect:
        if not await inbox.mark_read(account.id, message_id, now):
            raise NotFoundException()
        return Redirect(path="/messages", status_code=303)

    @post("/read-all")
    async def mark_all_read(self, request: Request, account: Account, now: datetime) -> Redirect:
        data = await form_data(request)
        done = await inbox.mark_all_read(account.id, now, up_to=parse_int(data.get("up_to")))
        flash(request, _("已将 %(num)s 条消息标为已读。", num=done), "success")
        return Redirect(path="/messages", status_code=303)


class NotificationSettingsController(Controller):
    path = "/settings/notifications"
    dependencies = {"account": Provide(provide_account)}

    @get("/")
    async def form(self, request: Request, account: Account) -> Template:
        chosen = await notification_settings.email_kinds(account.id)
        return self._page(request, account, chosen)

    @post("/")
    async def save(self, request: Request, account: Account) -> Redirect:
        data = await form_data(request)
        choices = {
            kind: data.get(kind.value) == WITH_EMAIL for kind in NOTIFICATION_SETTING_KINDS if kind.value in data
        }
        await notification_settings.save(account.id, choices)
        flash(request, _("通知设置已保存。"), "success")
        return Redirect(path="/settings/notifications", status_code=303)

    def _page(self, request: Request, account: Account, chosen: frozenset) -> Template:
        rows = [
            (kind.value, _(NOTIFICATION_KIND_NAMES[kind]), WITH_EMAIL if kind in chosen else INBOX_ONLY)
            for kind in NOTIFICATION_SETTING_KINDS
        ]
        return page(
            request,
            "settings/notifications.html",
            {
                "account": account,
                "rows": rows,
                "options": [(INBOX_ONLY, _("仅消息中心"), None, False), (WITH_EMAIL, _("消息中心和邮件"), None, False)],
                "smtp": bool(request.app.state.settings.smtp_url),
            },
        )
