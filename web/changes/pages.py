"""The change pages' model (更改 of a running plan, guide chapter 4): the change on offer with its live quote,
then 购买确认 and 规格确认 with the stored quote."""

from __future__ import annotations

from dataclasses import dataclass

from models.enums import OrderKind
from models.records import Order
from models.services import changes
from models.services.plans import PlanState
from web.changes.levels import (
    CARD_LEVELS,
    Comparison,
    ItemChange,
    LevelCard,
    comparison,
    item_changes,
    key_facts,
    monthly_price_label,
)
from web.i18n import _
from web.template_globals import level_name, money


def _quoted(quote: changes.ChangeQuote) -> str:
    """The amount of a change under its one name: 补交的费用 for an upgrade, 退费金额 for a downgrade."""
    if quote.kind == OrderKind.UPGRADE:
        return _("补交的费用：%(amount)s", amount=money(quote.amount))
    return _("退费金额：%(amount)s", amount=money(quote.amount))


def _what_changes(quote: changes.ChangeQuote) -> str:
    """When the change takes effect and where the money goes, on the card of the level on offer."""
    name = level_name(quote.new_level)
    if quote.kind == OrderKind.UPGRADE:
        return _("升级为%(level)s：支付后当前及以后各周期均为%(level)s，到期时间不变。", level=name)
    return _("降级为%(level)s：确认后立即生效，退费金额退还至帐户余额，无手续费，到期时间不变。", level=name)


def _cards(offer: changes.ChangeOptions) -> tuple[LevelCard, ...]:
    """Both paid levels: the current one marked 当前规格 and not selectable, with its monthly price; the level on
    offer with the fee or refund of the change (its monthly price while the choice has an error)."""
    cards = []
    for level in CARD_LEVELS:
        current = level == offer.current_level
        price, hint = monthly_price_label(level), None
        if not current and offer.quote is not None and level == offer.quote.new_level:
            price, hint = _quoted(offer.quote), _what_changes(offer.quote)
        cards.append(
            LevelCard(
                value=level,
                label=level_name(level),
                price=price,
                facts=key_facts(level),
                badge=_("当前规格") if current else None,
                disabled=current,
                hint=hint,
                unpreviewed=offer.quote is not None and level != offer.quote.new_level,
            )
        )
    return tuple(cards)


@dataclass(frozen=True, slots=True)
class ChangePage:
    """更改合作伙伴支持计划 for a Standard or Premium plan (and its 购买确认 without JavaScript)."""

    state: PlanState
    current_level: str
    kind: str | None  # the change on offer (upgrade or downgrade), or None
    target: str | None
    quote: changes.ChangeQuote | None  # None while the choice has an error
    errors: dict[str, str]
    cards: tuple[LevelCard, ...]
    comparison: Comparison  # 规格对比, the current level marked
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
            cards=_cards(offer),
            comparison=comparison(offer.current_level),
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

    @property
    def item_changes(self) -> tuple[ItemChange, ...]:
        """The service items the change alters; for a downgrade, what is lost."""
        return item_changes(self.quote.current_level, self.quote.new_level)


@dataclass(frozen=True, slots=True)
class ChangeRefusedPage:
    """规格确认 refused at confirmation (409, or 403 when the account may no longer buy): the plan changed since the
    page was shown (another tab unsubscribed, changed or bought it), so nothing was ordered, changed or refunded.
    Shows why and the plan as it is now."""

    state: PlanState
    kind: str  # what was confirmed: purchase, upgrade or downgrade
    errors: dict[str, str]  # the one message, for the error summary
