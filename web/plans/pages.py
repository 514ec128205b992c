"""The detail page's model (支持计划详情页): what it offers and how each period reads, decided here from the plan's
state so that templates/plans/detail.html only loops and formats."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from models.enums import Level, PeriodStatus
from models.records import Account, Period
from models.rules.quota import can_buy_packs
from models.rules.service_items import SERVICE_ITEMS
from models.services.plans import PlanState
from web.i18n import _
from web.pending import PendingOrders


@dataclass(frozen=True, slots=True)
class Action:
    """A link the page offers: a button, or an entry of the 更多 menu."""

    label: str
    href: str
    secondary: bool = False


@dataclass(frozen=True, slots=True)
class PeriodRow:
    """One row of 周期记录: the period and what it is at the page's moment (已退订, 已结束, 当前, 未开始), with
    the colour of its tag (a .tag-* class of static/app.css; the tag always shows its text)."""

    period: Period
    status_label: str
    tag: str


@dataclass(frozen=True, slots=True)
class AutoRenewForm:
    """自动续费设置 as it is shown: the stored setting, or the submitted one sent back with its errors."""

    value: str  # "on" or "off" (or what was submitted)
    months: int
    errors: dict[str, str] = field(default_factory=dict)
    payer: str | None = None  # whose balance pays, as the page says it (None: auto-renew is off)
    takes_over: bool = False  # saving "on" makes the viewer the payer instead of another account


def auto_renew_payer(state: PlanState) -> str | None:
    """Whose balance auto-renew charges, in a sentence, while it is on (SPEC.md §12); None while it is off."""
    if not state.auto_renew:
        return None
    if state.auto_renew_payer_login is None:  # the payer left the company: the job charges nobody
        return _("开启自动续费的帐号已不属于贵公司，自动续费将不会扣款。请重新开启自动续费。")
    return _("自动续费将从 %(login)s 的余额扣款。", login=state.auto_renew_payer_login)


def period_status(period: Period, current: Period | None, now: datetime) -> tuple[str, str]:
    """The period's status at `now` and its tag colour."""
    if period.status == PeriodStatus.REFUNDED:
        return _("已退订"), "refunded"
    if period.end < now:
        return _("已结束"), "cancelled"
    if current is not None and period.id == current.id:
        return _("当前"), "paid"
    return _("未开始"), "current"


def period_row(period: Period, current: Period | None, now: datetime) -> PeriodRow:
    label, tag = period_status(period, current, now)
    return PeriodRow(period, label, tag)


def _actions(level: Level) -> tuple[tuple[Action, ...], tuple[Action, ...]]:
    """Basic buys a plan (更改); a running plan renews, buys packs when Standard, and changes or unsubscribes."""
    if level == Level.BASIC:
        return (Action(_("更改"), "/plan/change"),), ()
    buttons = [Action(_("续费"), "/plan/renew")]
    if can_buy_packs(level):
        buttons.append(Action(_("购买工单增购包"), "/plan/packs", secondary=True))
    return tuple(buttons), (Action(_("更改"), "/plan/change"), Action(_("退订"), "/plan/unsubscribe"))


@dataclass(frozen=True, slots=True)
class DetailPage:
    state: PlanState
    items: list[tuple[str, str]]  # the level's service items (message ids)
    actions: tuple[Action, ...]
    more: tuple[Action, ...]  # under 更多; empty for a Basic plan
    periods: tuple[PeriodRow, ...]  # newest first
    auto_renew: AutoRenewForm | None  # None: nothing to set (Basic, or no period running)
    pending: PendingOrders = field(
        default_factory=PendingOrders
    )  # the company's pending orders (the banner at the top)

    @classmethod
    def of(
        cls,
        state: PlanState,
        now: datetime,
        *,
        viewer: Account | None = None,
        may_pay: bool = False,
        submitted: tuple[str, int | None] | None = None,
        errors: dict[str, str] | None = None,
        pending: PendingOrders | None = None,
    ) -> DetailPage:
        """`viewer`: the signed-in account, and whether it may pay for renewals (then saving "on" makes it the
        payer); `submitted` (auto_renew, months) and `errors` when a 自动续费 setting comes back with an error."""
        auto_renew = None
        if state.current and state.level != Level.BASIC:
            value, months = submitted or ("", None)
            auto_renew = AutoRenewForm(
                value=value or ("on" if state.auto_renew else "off"),
                months=months or state.auto_renew_months,
                errors=errors or {},
                payer=auto_renew_payer(state),
                takes_over=state.auto_renew and may_pay and viewer is not None and viewer.id != state.auto_renew_payer,
            )
        actions, more = _actions(state.level)
        return cls(
            state=state,
            items=SERVICE_ITEMS[state.level],
            actions=actions,
            more=more,
            periods=tuple(period_row(p, state.current, now) for p in state.history),
            auto_renew=auto_renew,
            pending=pending or PendingOrders(),
        )
