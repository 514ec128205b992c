"""Formatting helpers for templates: they format what a controller gives, they compute nothing."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from jinja2 import Environment

from models.rules.money import format_datetime_cn, format_money
from models.rules.periods import TERMS
from models.services.errors import N_
from web.i18n import HTML_LANG, _, current_locale

LEVEL_NAMES = {"basic": N_("基础级"), "standard": N_("标准级"), "premium": N_("尊享级")}

ORDER_KINDS = {
    "purchase": N_("新购"),
    "upgrade": N_("升级"),
    "downgrade": N_("降级"),
    "renewal": N_("续费"),
    "pack": N_("工单增购包"),
}
ORDER_STATUSES = {"pending": N_("待支付"), "paid": N_("已支付"), "cancelled": N_("已取消"), "refunded": N_("已退订")}
PAYMENT_METHODS = {
    "balance": N_("余额支付"),
    "online": N_("在线支付"),
    "partner": N_("合作伙伴代付"),
    "contract": N_("申请线上合同请款后支付"),
}

LEDGER_KINDS = {"top_up": N_("充值"), "charge": N_("扣费"), "refund": N_("退款")}


def _named(names: dict[str, str]):
    return lambda key: _(names[key]) if key in names else key


def money(amount: int | Decimal) -> str:
    return format_money(amount, current_locale.get())


def when(moment: datetime | None) -> str:
    return format_datetime_cn(moment) if moment else ""


def level_name(level: str) -> str:
    return _(LEVEL_NAMES.get(level, level))


def term_label(months: int) -> str:
    if months and months % 12 == 0:
        return _("%(num)s年", num=months // 12)
    return _("%(num)s个月", num=months)


def flashes(request) -> list[dict]:
    """Flash messages, or none where the session never ran (an unknown URL)."""
    if not request.scope.get("session"):
        return []
    return request.session.pop("_messages", [])


def term_options() -> list[tuple[int, str]]:
    """The terms on offer for purchase and renewal (SPEC.md §3): 1–11 months, then 1–3 years."""
    return [(months, term_label(months)) for months in TERMS]


def install(env: Environment) -> None:
    env.globals.update(
        money=money,
        when=when,
        flashes=flashes,
        order_kind_name=_named(ORDER_KINDS),
        order_status_name=_named(ORDER_STATUSES),
        payment_method_name=_named(PAYMENT_METHODS),
        ledger_kind_name=_named(LEDGER_KINDS),
        level_name=level_name,
        term_label=term_label,
        term_options=term_options,
        locale=lambda: current_locale.get(),
        html_lang=lambda: HTML_LANG[current_locale.get()],
    )
