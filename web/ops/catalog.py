"""价格目录 (/ops/catalog, SPEC.md §2, §15): the catalog version in force, the versions that take effect later, and
the form for a new version (prices in yuan, the yearly discount in %, an effective time in Beijing time that is
not in the past). Orders and quotes made before a version takes effect keep their prices
(models.services.catalog); adding a version is one transaction with its audit row."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from litestar import Request, get, post
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from models.records import Operator
from models.rules.money import to_decimal
from models.rules.periods import to_beijing
from models.services import catalog
from models.services.catalog import Version
from models.services.errors import DomainError
from web.forms import error_dict, form_data
from web.i18n import _
from web.ops.guard import OpsController
from web.rendering import page
from web.template_globals import money, when

PATH = "/ops/catalog"
#: The form's fields, shown again as typed when it is refused.
FIELDS = ("standard_monthly", "premium_monthly", "pack_price", "yearly_discount", "effective_at")
#: datetime-local's value format (minutes).
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def discount_label(version: Version) -> str:
    """包年折扣 as the screen shows it: 无 or 5% / 7.5%."""
    discount = version.catalog.yearly_discount
    if not discount:
        return _("无")
    return f"{(discount * 100).normalize():f}%"


def effective_label(version: Version) -> str:
    return _("最初版本（始终有效）") if version.since_beginning else when(version.effective_at)


@dataclass(frozen=True, slots=True)
class VersionRow:
    """One version as the screen's tables show it (text ready to format)."""

    id: int
    standard: str
    premium: str
    pack: str
    discount: str
    effective: str
    created_by: str

    @classmethod
    def of(cls, version: Version) -> VersionRow:
        c = version.catalog
        return cls(
            id=version.id,
            standard=_("%(amount)s/月", amount=money(c.standard_monthly_fen)),
            premium=_("%(amount)s/月", amount=money(c.premium_monthly_fen)),
            pack=_("%(amount)s/个", amount=money(c.pack_price_fen)),
            discount=discount_label(version),
            effective=effective_label(version),
            created_by=version.created_by or _("系统（初始价格）"),
        )


@dataclass(frozen=True, slots=True)
class CatalogPage:
    current: VersionRow
    upcoming: list[VersionRow]
    form: dict[str, str]
    request_key: str
    now_local: str  # the form's min and default effective time: the current minute, Beijing time
    errors: dict[str, str] = field(default_factory=dict)


def _yuan(fen: int) -> str:
    return f"{to_decimal(fen):f}"


def _percent(discount: Decimal) -> str:
    return f"{(discount * 100).normalize():f}" if discount else "0"


async def catalog_page(
    now: datetime, *, form: dict[str, str] | None = None, errors: dict[str, str] | None = None, request_key: str = ""
) -> CatalogPage:
    """The screen at `now`; the form starts from the current prices, effective now (the current minute)."""
    current, upcoming = await catalog.current_and_upcoming(now)
    now_local = to_beijing(now).strftime(LOCAL_FORMAT)
    c = current.catalog
    defaults = {
        "standard_monthly": _yuan(c.standard_monthly_fen),
        "premium_monthly": _yuan(c.premium_monthly_fen),
        "pack_price": _yuan(c.pack_price_fen),
        "yearly_discount": _percent(c.yearly_discount),
        "effective_at": now_local,
    }
    return CatalogPage(
        current=VersionRow.of(current),
        upcoming=[VersionRow.of(v) for v in upcoming],
        form=form or defaults,
        request_key=request_key or secrets.token_hex(16),
        now_local=now_local,
        errors=errors or {},
    )


def _render(request: Request, operator: Operator, model: CatalogPage, status: int = 200) -> Template:
    context = {"operator": operator, "nav": "catalog", "page": model, "errors": model.errors}
    return page(request, "ops/catalog.html", context, status_code=status)


class OpsCatalogController(OpsController):
    path = PATH

    @get("/")
    async def index(self, request: Request, operator: Operator, now: datetime) -> Template:
        return _render(request, operator, await catalog_page(now))

    @post("/")
    async def add(self, request: Request, operator: Operator, now: datetime) -> Template | Redirect:
        """新建版本: checked, then one transaction with its audit row; the same form sent twice (its request key)
        adds one version. A refusal shows the form again as typed, with the error summary."""
        data = await form_data(request)
        form = {name: data.get(name, "")[:40] for name in FIELDS}
        request_key = data.get("request_key") or None
        try:
            new = catalog.parse_form(**form, now=now)
            added = await catalog.add_version(operator, new, now, request_key=request_key)
        except DomainError as exc:
            model = await catalog_page(
                now, form=form, errors=error_dict(exc, "effective_at"), request_key=request_key or ""
            )
            return _render(request, operator, model, exc.status_code)
        if added.effective_at <= now:
            message = _("已创建价格目录版本 %(id)s，立即生效：此后的新订单按新价格计价。", id=added.id)
        else:
            message = _(
                "已创建价格目录版本 %(id)s，将于 %(moment)s 生效；在此之前创建的订单和报价保持原价格。",
                id=added.id,
                moment=when(added.effective_at),
            )
        flash(request, message, "success")
        return Redirect(path=PATH, status_code=303)
