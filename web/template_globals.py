"""What templates may call and compare with: formatting helpers (they format what a controller gives, they compute
nothing), the display names of each value set (from models.enums, translated here) and the value sets themselves,
so a template compares `order.status == OrderStatus.PAID`, never a literal."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from jinja2 import Environment
from litestar import Request

from models.enums import (
    LEDGER_KIND_NAMES,
    LEVEL_NAMES,
    ORDER_KIND_CONTEXT,
    ORDER_KIND_NAMES,
    ORDER_STATUS_NAMES,
    PAYMENT_METHOD_NAMES,
    REFUND_KINDS,
    Channel,
    CouponKind,
    LedgerKind,
    Level,
    OrderKind,
    OrderStatus,
    PaymentMethod,
    PeriodStatus,
)
from models.rules.money import format_datetime_cn, format_money
from models.rules.periods import TERMS
from models.services.receipts import has_receipt
from web.i18n import HTML_LANG, _, current_locale, ngettext, pgettext
from web.security import static_url

#: One radio of the `radios` macro (templates/macros/forms.html): (value, label, hint or None, disabled).
RadioOption = tuple[str, str, str | None, bool]

#: The value sets templates compare with, under their own names.
VALUE_SETS = (Level, OrderKind, OrderStatus, PaymentMethod, LedgerKind, CouponKind, PeriodStatus, Channel)


def _named(names: Mapping[str, str]) -> Callable[[str], str]:
    """The translated display name of a value, or the value itself when the set has no name for it."""

    def name(key: str) -> str:
        return _(names[key]) if key in names else key

    return name


def order_kind_name(kind: str) -> str:
    """The order type as a noun (Purchase, Renewal…), not the verb of the button with the same Chinese word."""
    return pgettext(ORDER_KIND_CONTEXT, ORDER_KIND_NAMES[kind]) if kind in ORDER_KIND_NAMES else kind


def money(amount: int | Decimal) -> str:
    return format_money(amount, current_locale.get())


def when(moment: datetime | None) -> str:
    return format_datetime_cn(moment) if moment else ""


def level_name(level: str) -> str:
    return _(LEVEL_NAMES.get(level, level))


def term_label(months: int) -> str:
    """A term as people say it: whole years in years ("1 year", "2 years"), else months ("1 month", "11 months")."""
    if months and months % 12 == 0:
        return ngettext("%(num)s年", "%(num)s年", months // 12)
    return ngettext("%(num)s个月", "%(num)s个月", months)


def flashes(request: Request[Any, Any, Any]) -> list[dict[str, Any]]:
    """Flash messages, or none where the session never ran (an unknown URL)."""
    if not request.scope.get("session"):
        return []
    messages: list[dict[str, Any]] = request.session.pop("_messages", [])
    return messages


def term_options() -> list[tuple[int, str]]:
    """The terms on offer for purchase and renewal (SPEC.md §3): 1–11 months, then 1–3 years."""
    return [(months, term_label(months)) for months in TERMS]


def locale() -> str:
    return current_locale.get()


def html_lang() -> str:
    return HTML_LANG[current_locale.get()]


def is_refund_order(order: Any) -> bool:
    """A refund order (降级, 退订, 退订续费周期): it shows 退款金额, never 应付金额 (SPEC.md §13)."""
    return getattr(order, "kind", None) in REFUND_KINDS


def install(env: Environment) -> None:
    env.globals.update(
        money=money,
        when=when,
        flashes=flashes,
        order_kind_name=order_kind_name,
        is_refund_order=is_refund_order,
        order_status_name=_named(ORDER_STATUS_NAMES),
        payment_method_name=_named(PAYMENT_METHOD_NAMES),
        ledger_kind_name=_named(LEDGER_KIND_NAMES),
        level_name=level_name,
        term_label=term_label,
        term_options=term_options,
        locale=locale,
        html_lang=html_lang,
        static_url=static_url,
        has_receipt=has_receipt,  # orders/_receipt_links.html: does the order have a receipt (凭证)
        **{value_set.__name__: value_set for value_set in VALUE_SETS},
    )
