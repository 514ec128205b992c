"""The change pages' model (更改 of a running plan, guide chapter 4): the change on offer with its live quote,
then 购买确认 and 规格确认 with the stored quote."""

from __future__ import annotations

from dataclasses import dataclass

from models.enums import Level
from models.records import Order
from models.services import changes
from models.services.plans import PlanState
from web.i18n import _
from web.template_globals import RadioOption, level_name


def _level_options(current: str) -> list[RadioOption]:
    """Both paid levels as radios; the current one is shown, marked and not selectable."""
    return [
        (level, level_name(level), _("当前规格") if level == current else None, level == current)
        for level in (Level.STANDARD, Level.PREMIUM)
    ]


@dataclass(frozen=True, slots=True)
class ChangePage:
    """更改合作伙伴支持计划 for a Standard or Premium plan (and its 购买确认 without JavaScript)."""

    state: PlanState
    current_level: str
    kind: str | None  # the change on offer (upgrade or downgrade), or None
    target: str | None
    quote: changes.ChangeQuote | None  # None while the choice has an error
    errors: dict[str, str]
    level_options: list[RadioOption]
    refusal: str | None  # why the change is not possible now, translated
    pending: Order | None  # the company's pending change order, shown with the refusal
    pending_is_own: bool  # … placed by this account, which may cancel it

    @classmethod
    def of(cls, offer: changes.ChangeOptions) -> ChangePage:
        refusal = offer.refusal
        return cls(
            state=offer.state,
            current_level=offer.current_level,
            kind=offer.kind,
            target=offer.target,
            quote=offer.quote,
            errors={name: _(message) for name, message in offer.errors.items()},
            level_options=_level_options(offer.current_level),
            refusal=_(refusal.message, **refusal.params) if refusal else None,
            pending=offer.pending,
            pending_is_own=offer.pending_is_own,
        )


def change_status(offer: changes.ChangeOptions) -> int:
    if offer.refusal:
        return offer.refusal.status_code
    return 400 if offer.errors else 200


@dataclass(frozen=True, slots=True)
class ChangeSpecPage:
    """规格确认 of an upgrade or downgrade: the stored quote, and 确认变更."""

    state: PlanState
    quote: changes.ChangeQuote
    errors: dict[str, str]
    request_key: str
    agree: bool = False

    @property
    def kind(self) -> str:
        return self.quote.kind


@dataclass(frozen=True, slots=True)
class ChangeRefusedPage:
    """规格确认 refused at confirmation (409): the plan changed since the page was shown (another tab unsubscribed
    or changed it), so nothing was changed or refunded. Shows why and the plan as it is now."""

    state: PlanState
    kind: str  # the change that was confirmed: upgrade or downgrade
    errors: dict[str, str]  # the one message, for the error summary
