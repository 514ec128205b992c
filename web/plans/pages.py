"""The detail page's model (支持计划详情页): what it offers and how each period reads, decided here from the plan's
state so that templates/plans/detail.html only loops and formats."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from models.enums import Level, PeriodStatus
from models.records import Account, Period
from models.rules.money import format_datetime_cn
from models.rules.quota import can_buy_packs
from models.rules.refunds import FIVE_DAY_WINDOW, five_day_eligible, quota_year_end
from models.rules.service_items import SERVICE_ITEMS
from models.services.plans import PlanState
from models.services.unsubscribe import five_day_used
from web.i18n import _, ngettext
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
class FiveDayWindow:
    """五天无理由退订 while the current period (a new purchase, not changed since) is within 5 x 24 h of payment:
    when the window ends, how long it still runs (to the minute) and how many remain this Beijing year."""

    ends_at: datetime
    minutes_left: int
    remaining: int  # five-day unsubscribes this account may still make this year (this one included)
    year_end: date

    @property
    def left_text(self) -> str:
        days, rest = divmod(self.minutes_left, 24 * 60)
        hours, minutes = divmod(rest, 60)
        return _("%(days)s天%(hours)s小时%(minutes)s分钟", days=days, hours=hours, minutes=minutes)

    @property
    def text(self) -> str:
        return _(
            "五天无理由退订期还剩%(left)s，至%(end)s结束。",
            left=self.left_text,
            end=format_datetime_cn(self.ends_at),
        )

    @property
    def quota_text(self) -> str:
        if self.remaining <= 0:
            return _("本年度五天无理由退订次数已用完，退订将收取手续费和已消费金额。")
        return ngettext(
            "%(year_end)s前您还可以进行%(num)s次五天无理由退订。",
            "%(year_end)s前您还可以进行%(num)s次五天无理由退订。",
            self.remaining,
            year_end=_("%(y)s年%(m)s月%(d)s日", y=self.year_end.year, m=self.year_end.month, d=self.year_end.day),
        )


def five_day_window(state: PlanState, now: datetime, used_this_year: int, quota: int) -> FiveDayWindow | None:
    """The window of the current period at `now`, or None: no plan, a renewal, a period changed since it was
    bought (an upgrade or downgrade added a charge), or more than 5 x 24 h since payment (SPEC.md §5)."""
    current = state.current
    if current is None or state.level == Level.BASIC or current.is_renewal or current.paid_at is None:
        return None
    view = state.views[0] if state.views else None
    if view is not None and len(view.charges) > 1:  # changed since bought: no longer a new purchase
        return None
    if not five_day_eligible(True, current.paid_at, now, used_this_year=0, yearly_quota=1):  # the window alone
        return None
    ends_at = current.paid_at + FIVE_DAY_WINDOW
    return FiveDayWindow(
        ends_at=ends_at,
        minutes_left=int((ends_at - now).total_seconds() // 60),
        remaining=max(0, quota - used_this_year),
        year_end=quota_year_end(now),
    )


async def five_day_for(account: Account, state: PlanState, now: datetime, quota: int) -> FiveDayWindow | None:
    """`five_day_window` with the account's five-day unsubscribes this year (`quota`: Settings.five_day_quota)."""
    if state.current is None or state.current.is_renewal:
        return None
    return five_day_window(state, now, await five_day_used(account.id, now), quota)


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
    five_day: FiveDayWindow | None = None  # the five-day no-reason window, while it runs

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
        five_day: FiveDayWindow | None = None,
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
            five_day=five_day,
        )
