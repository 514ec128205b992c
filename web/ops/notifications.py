"""通知 (/ops/notifications, SPEC.md §15): the outbox newest first, filtered by account, channel and delivery state,
with the error of a failed e-mail, and 重新发送 (models.services.outbox.resend, with its audit row)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from models.enums import CHANNEL_NAMES, DELIVERY_STATE_NAMES, Channel, DeliveryState
from models.records import Operator
from models.services import outbox
from models.services.errors import DomainError
from models.services.notifications import MAX_ATTEMPTS
from models.services.outbox import OutboxPage
from web.forms import check_text, form_data
from web.i18n import _
from web.ops.guard import OpsController
from web.ops.pages import Pager, page_number
from web.rendering import page
from web.template_globals import when

PATH = "/ops/notifications"


@dataclass(frozen=True, slots=True)
class Filters:
    login: str = ""
    channel: str = ""
    state: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return bool(self.login or self.channel or self.state)

    @property
    def params(self) -> dict[str, str]:
        return {"login": self.login, "channel": self.channel, "state": self.state}

    @classmethod
    def read(cls, params: Mapping[str, str]) -> Filters:
        login = check_text(params.get("login", ""), 200).strip()[:64]
        channel = params.get("channel", "").strip()
        state = params.get("state", "").strip()
        errors = {}
        if channel and channel not in {c.value for c in Channel}:
            errors["channel"] = _("请选择列表中的渠道。")
        if state and state not in {s.value for s in DeliveryState}:
            errors["state"] = _("请选择列表中的投递状态。")
        return cls(login, channel, state, errors)


def channel_options() -> list[tuple[str, str]]:
    return [("", _("全部渠道"))] + [(c.value, _(CHANNEL_NAMES[c])) for c in Channel]


def state_options() -> list[tuple[str, str]]:
    return [("", _("全部状态"))] + [(s.value, _(DELIVERY_STATE_NAMES[s])) for s in DeliveryState]


@dataclass(frozen=True, slots=True)
class Row:
    id: int
    created: str
    login: str
    channel: str
    subject: str
    state: DeliveryState
    state_name: str
    sent: str
    error: str
    attempts: int
    resendable: bool


def rows(found: OutboxPage) -> list[Row]:
    return [
        Row(
            id=m.entry.id,
            created=when(m.entry.created_at),
            login=m.entry.account_login,
            channel=_(CHANNEL_NAMES[m.entry.channel]),
            subject=m.entry.subject,
            state=m.state,
            state_name=_(DELIVERY_STATE_NAMES[m.state]),
            sent=when(m.entry.sent_at) if m.state == DeliveryState.SENT else "",
            error=m.entry.last_error if m.state in (DeliveryState.QUEUED, DeliveryState.FAILED) else "",
            attempts=m.entry.attempts,
            resendable=m.state == DeliveryState.FAILED,
        )
        for m in found.messages
    ]


def _back(params: Mapping[str, str]) -> str:
    filters = Filters.read(params)
    wanted = {k: v for k, v in filters.params.items() if v and k not in filters.errors}
    return f"{PATH}?{urlencode(wanted)}" if wanted else PATH


class OpsNotificationsController(OpsController):
    path = PATH

    @get("/")
    async def index(self, request: Request, operator: Operator) -> Template:
        filters = Filters.read(request.query_params)
        found = None
        if not filters.errors:
            found = await outbox.listing(
                login=filters.login,
                channel=Channel(filters.channel) if filters.channel else None,
                state=DeliveryState(filters.state) if filters.state else None,
                page=page_number(request.query_params.get("page")),
            )
        context = {
            "operator": operator,
            "nav": "notifications",
            "filters": filters,
            "errors": filters.errors,
            "found": found,
            "rows": rows(found) if found else [],
            "pager": Pager(PATH, found.page, found.pages, filters.params) if found else None,
            "channel_options": channel_options(),
            "state_options": state_options(),
            "max_attempts": MAX_ATTEMPTS,
        }
        return page(request, "ops/notifications.html", context, status_code=400 if filters.errors else 200)

    @post("/{message_id:int}/resend")
    async def resend(self, request: Request, operator: Operator, message_id: int, now: datetime) -> Template | Redirect:
        """重新发送 a failed e-mail: queued again for the next delivery run."""
        data = await form_data(request)
        back = _back(data)
        try:
            entry = await outbox.resend(operator, message_id, now)
        except DomainError as exc:
            if exc.status_code != 409:
                raise
            context = {
                "operator": operator,
                "nav": "notifications",
                "message": _(exc.message, **exc.params),
                "message_id": message_id,
                "back": back,
            }
            return page(request, "ops/notifications_refused.html", context, status_code=409)
        flash(
            request,
            _("通知 %(id)s（%(login)s）已重新排队，将在下次投递时发送。", id=entry.id, login=entry.account_login),
            "success",
        )
        return Redirect(path=back, status_code=303)
