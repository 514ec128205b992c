"""What each level gives, as the purchase and change pages show it before a level is chosen (issue 12): a radio
card per paid level (its price for the chosen term, its key service items, the current level marked), the 规格对比
table of every service item by level, and the items a change makes better or worse (the downgrade's losses).
Everything here is translated text ready to format; the numbers come from the rules and the catalog."""

from __future__ import annotations

from dataclasses import dataclass

from models.enums import Level, Severity
from models.rules.pricing import Catalog, monthly_price
from models.rules.quota import monthly_quota
from models.rules.service_items import (
    COMPARED_LEVELS,
    CONSULTING_DAYS,
    IM_GROUP,
    KEY_EVENT_DAYS,
    RESPONSE_MINUTES,
    changed_items,
    compared_items,
)
from models.services.catalog import in_use
from web.i18n import _, ngettext
from web.template_globals import level_name, money

#: The levels a card is shown for, in this order (Basic is never chosen on these pages).
CARD_LEVELS: tuple[str, ...] = (Level.STANDARD, Level.PREMIUM)


@dataclass(frozen=True, slots=True)
class LevelCard:
    """One radio card (radio_cards in templates/macros/ui.html): the radio's accessible name is `label` alone; price,
    facts, badge and hint describe it. `unpreviewed`: the live preview was not computed for this level, so a
    page without JavaScript marks the preview out of date when this card is chosen."""

    value: str
    label: str
    price: str | None
    facts: tuple[str, ...]
    badge: str | None = None
    disabled: bool = False
    hint: str | None = None
    unpreviewed: bool = False


@dataclass(frozen=True, slots=True)
class ComparisonRow:
    item: str
    values: tuple[str, ...]  # one per Comparison.levels


@dataclass(frozen=True, slots=True)
class Comparison:
    """规格对比: every service item (rows) by level (columns); the current level's header says it is current."""

    levels: tuple[str, ...]
    headers: tuple[str, ...]
    current: str
    rows: tuple[ComparisonRow, ...]


@dataclass(frozen=True, slots=True)
class ItemChange:
    """A service item that a change of level alters: its content before and after."""

    item: str
    before: str
    after: str


def _content(message: str | None) -> str:
    return _(message) if message else _("不提供")


def key_facts(level: str) -> tuple[str, ...]:
    """The few facts that tell the levels apart: the response time when production is down, technical tickets a
    month, architecture consulting and key-event days a year, the IM group."""
    if level == Level.BASIC:
        return (_("仅业务类支持（7x24小时 工单、电话）"),)
    facts = [_("生产系统不可用：%(minutes)s分钟内响应", minutes=RESPONSE_MINUTES[level][Severity.DOWN])]
    tickets = monthly_quota(level, 0, in_use())
    if tickets is None:
        facts.append(_("技术类工单：不限数量"))
    else:
        facts.append(ngettext("技术类工单：每月%(num)s个", "技术类工单：每月%(num)s个", tickets))
    days = CONSULTING_DAYS[level]
    facts.append(ngettext("云产品架构咨询：每年%(num)s个工作日", "云产品架构咨询：每年%(num)s个工作日", days))
    days = KEY_EVENT_DAYS[level]
    facts.append(
        ngettext(
            "关键事件保障：每年%(num)s自然日（仅限包年购买）", "关键事件保障：每年%(num)s自然日（仅限包年购买）", days
        )
    )
    if IM_GROUP[level]:
        facts.append(_("IM企业群支持"))
    return tuple(facts)


def monthly_price_label(level: str, catalog: Catalog | None = None) -> str:
    """The list price of a month of `level`, as a card shows it for a level that is not being priced: in the
    catalog given, else the one the request's plan_state priced with (the catalog in force now)."""
    return _("%(amount)s/月", amount=money(monthly_price(level, catalog or in_use())))


def comparison(current: str) -> Comparison:
    headers = tuple(
        _("%(level)s（当前规格）", level=level_name(level)) if level == current else level_name(level)
        for level in COMPARED_LEVELS
    )
    rows = tuple(
        ComparisonRow(item=_(item), values=tuple(_content(by_level[level]) for level in COMPARED_LEVELS))
        for item, by_level in compared_items()
    )
    return Comparison(levels=COMPARED_LEVELS, headers=headers, current=current, rows=rows)


def item_changes(from_level: str, to_level: str) -> tuple[ItemChange, ...]:
    """What a change from `from_level` to `to_level` alters (for a downgrade: what is lost)."""
    return tuple(
        ItemChange(item=_(item), before=_content(before), after=_content(after))
        for item, before, after in changed_items(from_level, to_level)
    )
