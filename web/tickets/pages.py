"""The ticket pages' models (工单, SPEC.md §6): the company's list with the form to submit one, and one ticket's own
page (its status and the response target of the plan's service items), decided here so the templates only format."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup

from models.enums import (
    LEVEL_NAMES,
    SEVERITY_NAMES,
    TICKET_STATUS_NAMES,
    TICKET_TYPE_NAMES,
    Level,
    TicketStatus,
    TicketType,
)
from models.services import tickets
from models.services.plans import PlanState
from web.i18n import _

FIELDS = ("kind", "severity", "title", "description")
#: The colour of each status's tag (a .tag-* class of static/app.css); the tag always shows its text.
STATUS_TAGS = {TicketStatus.OPEN: "pending", TicketStatus.IN_PROGRESS: "current", TicketStatus.RESOLVED: "paid"}
PACKS_HREF = "/plan/packs"


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


def quota_used_up(state: PlanState) -> bool:
    """A Standard plan whose technical tickets of this month are all used."""
    return state.quota is not None and state.quota > 0 and state.tickets_left == 0


def technical_hint(state: PlanState) -> str:
    """What the 技术类 radio says of this month's quota. Used up, it says so and links to the packs (Standard);
    the radio stays enabled so that choosing it anyway is answered with the reason next to the field."""
    if state.level == Level.BASIC:
        return _("基础级仅支持业务类工单，不能提交技术类工单。")
    if state.level == Level.PREMIUM:
        return _("不限数量")
    if quota_used_up(state):
        used_up = _("本月配额已用完（共 %(total)s 个），不能再提交技术类工单。", total=state.quota)
        if tickets.packs_offered(state.level):
            return Markup('{} <a href="{}">{}</a>').format(used_up, PACKS_HREF, _("购买工单增购包"))
        return used_up
    return _(
        "本月剩余 %(left)s 个（共 %(total)s 个），每提交一个使用1个配额", left=state.tickets_left, total=state.quota
    )


def kind_options(state: PlanState) -> list[tuple[str, str, str, bool]]:
    """技术类 and 业务类 as radios: (value, label, hint, disabled). Only Basic disables 技术类 (its hint says why)."""
    return [
        (
            TicketType.TECHNICAL,
            _(TICKET_TYPE_NAMES[TicketType.TECHNICAL]),
            technical_hint(state),
            state.level == Level.BASIC,
        ),
        (TicketType.BUSINESS, _(TICKET_TYPE_NAMES[TicketType.BUSINESS]), _("不限数量"), False),
    ]


@dataclass(frozen=True, slots=True)
class TicketRow:
    """A ticket as the list shows it."""

    id: int
    href: str
    title: str
    kind: str  # translated
    severity: str  # translated
    status: str  # translated
    status_tag: str
    login: str
    created_at: datetime


def ticket_row(listed: tickets.ListedTicket) -> TicketRow:
    t = listed.ticket
    return TicketRow(
        id=t.id,
        href=f"/tickets/{t.id}",
        title=t.title,
        kind=_(TICKET_TYPE_NAMES[t.kind]),
        severity=_(SEVERITY_NAMES[t.severity]),
        status=_(TICKET_STATUS_NAMES[t.status]),
        status_tag=STATUS_TAGS[t.status],
        login=listed.login,
        created_at=t.created_at,
    )


@dataclass(frozen=True, slots=True)
class TicketsPage:
    """工单: the quota of this month, the form (as submitted, with its errors) and the company's tickets."""

    state: PlanState
    values: dict[str, str]
    errors: dict[str, str]
    kind_options: list[tuple[str, str, str, bool]]
    severity_options: list[tuple[str, str, None, bool]]
    rows: tuple[TicketRow, ...]
    total: int
    used_up: bool
    packs_offered: bool
    title_max: int = tickets.TITLE_MAX
    description_max: int = tickets.DESCRIPTION_MAX

    @property
    def is_basic(self) -> bool:
        return self.state.level == Level.BASIC

    @classmethod
    def of(
        cls,
        state: PlanState,
        listed: list[tickets.ListedTicket],
        total: int,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
    ) -> TicketsPage:
        shown = {name: str((values or {}).get(name, "")) for name in FIELDS}
        if not shown["kind"] and state.level == Level.BASIC:
            shown["kind"] = TicketType.BUSINESS
        return cls(
            state=state,
            values=shown,
            errors=errors or {},
            kind_options=kind_options(state),
            severity_options=severity_options(state.level),
            rows=tuple(ticket_row(t) for t in listed),
            total=total,
            used_up=quota_used_up(state),
            packs_offered=tickets.packs_offered(state.level),
        )


@dataclass(frozen=True, slots=True)
class TicketPage:
    """One ticket: what was submitted, by whom and when, its status, and the response target the plan's service
    items give its severity (at the plan's level now)."""

    row: TicketRow
    description: str
    level: str
    response: str  # the response target as a sentence

    @classmethod
    def of(cls, listed: tickets.ListedTicket, state: PlanState) -> TicketPage:
        t = listed.ticket
        minutes = tickets.response_minutes(state.level, t.severity)
        if minutes is None:
            response = _("基础级合作伙伴支持计划不承诺响应时间。")
        else:
            response = _(
                "%(target)s（%(level)s服务项）", target=response_target(minutes), level=_(LEVEL_NAMES[state.level])
            )
        return cls(row=ticket_row(listed), description=t.description, level=state.level, response=response)
