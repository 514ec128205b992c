"""工单: the company's tickets and the form to submit one (SPEC.md §6)."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from models.enums import SEVERITY_NAMES, TICKET_TYPE_NAMES, Level, TicketType
from models.records import Account
from models.services import tickets
from models.services.errors import DomainError
from models.services.plans import PlanState, plan_state
from web.auth import provide_account
from web.forms import error_dict, form_data
from web.i18n import _
from web.rendering import page

FIELDS = ("kind", "severity", "title", "description")


def response_target(minutes: int) -> str:
    if minutes % 60 == 0:
        return _("%(num)s小时", num=minutes // 60)
    return _("%(num)s分钟", num=minutes)


def severity_options(level: str) -> list[tuple[str, str, None, bool]]:
    options: list[tuple[str, str, None, bool]] = []
    for choice in tickets.severity_choices(level):
        label = _(choice.name)
        if choice.response_minutes is not None:
            label = _(
                "%(severity)s（响应时间%(target)s）", severity=label, target=response_target(choice.response_minutes)
            )
        options.append((choice.key, label, None, False))
    return options


def kind_options(state: PlanState) -> list[tuple[str, str, str, bool]]:
    if state.level == Level.BASIC:
        technical = _("基础级仅支持业务类工单，不能提交技术类工单。")
    elif state.level == Level.PREMIUM:
        technical = _("不限数量")
    else:
        technical = _(
            "本月剩余 %(left)s 个（共 %(total)s 个），每提交一个使用1个配额", left=state.tickets_left, total=state.quota
        )
    return [
        (
            TicketType.TECHNICAL,
            _(TICKET_TYPE_NAMES[TicketType.TECHNICAL]),
            technical,
            state.level == Level.BASIC,
        ),
        (TicketType.BUSINESS, _(TICKET_TYPE_NAMES[TicketType.BUSINESS]), _("不限数量"), False),
    ]


async def tickets_context(
    account: Account,
    now: datetime,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, object]:
    state = await plan_state(account.partner, now)
    shown = {field: (values or {}).get(field, "") for field in FIELDS}
    if not shown["kind"] and state.level == Level.BASIC:
        shown["kind"] = TicketType.BUSINESS
    return {
        "account": account,
        "state": state,
        "is_basic": state.level == Level.BASIC,
        "values": shown,
        "errors": errors or {},
        "kind_options": kind_options(state),
        "severity_options": severity_options(state.level),
        "tickets": await tickets.list_for_partner(account.partner),
        "total": await tickets.count_for_partner(account.partner),
        "list_limit": tickets.LIST_LIMIT,
        "title_max": tickets.TITLE_MAX,
        "description_max": tickets.DESCRIPTION_MAX,
        "packs_offered": tickets.packs_offered(state.level),
        "kind_names": TICKET_TYPE_NAMES,
        "severity_names": SEVERITY_NAMES,
    }


def errors_of(exc: DomainError) -> dict[str, str]:
    if isinstance(exc, tickets.InvalidTicket):
        errors: dict[str, str] = {}
        for problem in exc.problems:
            errors.update(error_dict(problem))
        return errors
    return error_dict(exc, "kind")


class TicketsController(Controller):
    path = "/tickets"
    dependencies = {"account": Provide(provide_account)}

    @get("/")
    async def index(self, request: Request, account: Account, now: datetime) -> Template:
        return page(request, "tickets/index.html", await tickets_context(account, now))

    @post("/")
    async def submit(self, request: Request, account: Account, now: datetime) -> Template | Redirect:
        data = await form_data(request)
        try:
            ticket_id, created = await tickets.submit(
                account,
                kind=data.get("kind"),
                severity=data.get("severity"),
                title=data.get("title"),
                description=data.get("description"),
                now=now,
            )
        except DomainError as exc:
            context = await tickets_context(account, now, data, errors_of(exc))
            return page(request, "tickets/index.html", context, status_code=exc.status_code)
        if created:
            flash(request, _("工单 #%(id)s 已提交。", id=ticket_id), "success")
        else:
            flash(request, _("相同的工单刚刚已提交（#%(id)s），未重复提交。", id=ticket_id), "info")
        return Redirect(path="/tickets", status_code=303)
