"""优惠券 (/ops/coupons, SPEC.md §15): grant a 代金券 or 折扣券 to an account, the list of granted coupons (filtered
by account and state, newest first), and 作废 of an unused one. The same rules as `partner-console coupon grant`
(models.services.coupons.grant_by); each grant and revoke is one transaction with its audit row."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from models.enums import COUPON_KIND_NAMES, COUPON_STATE_NAMES, CouponKind, CouponState
from models.records import Coupon, Operator
from models.services import coupons
from models.services.coupons import CouponPage, GrantRequest
from models.services.errors import DomainError
from web.forms import check_text, error_dict, form_data
from web.i18n import _
from web.ops.guard import OpsController
from web.ops.pages import Pager, page_number
from web.rendering import page
from web.template_globals import money, when

PATH = "/ops/coupons"
#: The grant form's fields, shown again as typed when it is refused.
FIELDS = ("login", "kind", "amount", "minimum", "rate", "expires")


def coupon_value(coupon: Coupon) -> str:
    """代金券 ¥200.00（满 ¥1,000.00 可用）, or 折扣券 0.85."""
    if coupon.kind == CouponKind.VOUCHER:
        if coupon.min_amount_fen:
            return _(
                "%(amount)s（满 %(minimum)s 可用）",
                amount=money(coupon.amount_fen or 0),
                minimum=money(coupon.min_amount_fen),
            )
        return money(coupon.amount_fen or 0)
    rate = (coupon.rate_permille or 0) / 1000
    return _("折扣率 %(rate)s", rate=f"{rate:g}")


@dataclass(frozen=True, slots=True)
class Filters:
    login: str = ""
    state: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return bool(self.login or self.state)

    @property
    def wanted_state(self) -> CouponState | None:
        return CouponState(self.state) if self.state and "state" not in self.errors else None

    @classmethod
    def read(cls, params: Mapping[str, str]) -> Filters:
        login = check_text(params.get("login", ""), 200).strip()
        state = params.get("state", "").strip()
        errors = {}
        if state and state not in {s.value for s in CouponState}:
            errors["state"] = _("请选择列表中的状态。")
        return cls(login, state, errors)


def state_options() -> list[tuple[str, str]]:
    return [("", _("全部状态"))] + [(s.value, _(COUPON_STATE_NAMES[s])) for s in CouponState]


def kind_options() -> list[tuple[str, str, str | None, bool]]:
    return [
        (CouponKind.VOUCHER.value, _("代金券"), _("固定金额抵扣，可设最低订单金额"), False),
        (CouponKind.DISCOUNT.value, _("折扣券"), _("按折扣率计算应付金额，例如 0.9 即九折"), False),
    ]


@dataclass(frozen=True, slots=True)
class CouponsPage:
    filters: Filters
    found: CouponPage | None  # None when the filters are wrong
    form: dict[str, str]  # the grant form's values
    request_key: str
    pager: Pager

    @property
    def rows(self) -> list[dict[str, object]]:
        if self.found is None:
            return []
        return [
            {
                "id": c.coupon.id,
                "login": c.login,
                "kind": _(COUPON_KIND_NAMES[c.coupon.kind]),
                "value": coupon_value(c.coupon),
                "expires": when(c.coupon.expires_at) or _("长期有效"),
                "state": c.state,
                "state_name": _(COUPON_STATE_NAMES[c.state]),
                "order": c.coupon.used_order_id if c.state == CouponState.USED else None,
                "revocable": c.state in (CouponState.UNUSED, CouponState.EXPIRED),
                "created": when(c.coupon.created_at),
            }
            for c in self.found.coupons
        ]


async def coupons_page(
    params: Mapping[str, str], now: datetime, *, form: dict[str, str] | None = None, request_key: str | None = None
) -> CouponsPage:
    filters = Filters.read(params)
    number = page_number(params.get("page"))
    found = None
    if not filters.errors:
        found = await coupons.listing(now, login=filters.login, state=filters.wanted_state, page=number)
    pages = found.pages if found else 1
    return CouponsPage(
        filters=filters,
        found=found,
        form=form or {"kind": CouponKind.VOUCHER.value},
        request_key=request_key or secrets.token_hex(16),
        pager=Pager(PATH, found.page if found else 1, pages, {"login": filters.login, "state": filters.state}),
    )


def _render(request: Request, operator: Operator, model: CouponsPage, errors: dict[str, str], status: int) -> Template:
    context = {
        "operator": operator,
        "nav": "coupons",
        "page": model,
        "errors": errors,
        "state_options": state_options(),
        "kind_options": kind_options(),
    }
    return page(request, "ops/coupons.html", context, status_code=status)


def _back(login: str, state: str) -> str:
    """The list the form was on (its filters, as a query string of this path): never another site or area."""
    params = {"login": login[:64], "state": state if state in {s.value for s in CouponState} else ""}
    query = urlencode({k: v for k, v in params.items() if v})
    return f"{PATH}?{query}" if query else PATH


class OpsCouponsController(OpsController):
    path = PATH

    @get("/")
    async def index(self, request: Request, operator: Operator, now: datetime) -> Template:
        model = await coupons_page(request.query_params, now)
        errors = model.filters.errors
        return _render(request, operator, model, errors, 400 if errors else 200)

    @post("/")
    async def grant(self, request: Request, operator: Operator, now: datetime) -> Template | Redirect:
        """发放: one coupon per form (its request key), with its audit row; a refusal shows the form again."""
        data = await form_data(request)
        form = {name: data.get(name, "") for name in FIELDS}
        wanted = GrantRequest(
            login=form["login"],
            kind=form["kind"],
            amount=form["amount"] if form["kind"] == CouponKind.VOUCHER else "",
            minimum=form["minimum"] if form["kind"] == CouponKind.VOUCHER else "",
            rate=form["rate"] if form["kind"] == CouponKind.DISCOUNT else "",
            expires=form["expires"],
            request_key=data.get("request_key") or None,
        )
        try:
            granted = await coupons.grant_by(operator, wanted, now)
        except DomainError as exc:
            model = await coupons_page({}, now, form=form, request_key=data.get("request_key") or None)
            return _render(request, operator, model, error_dict(exc, "login"), exc.status_code)
        flash(
            request,
            _(
                "已向 %(login)s 发放%(kind)s %(value)s（编号 %(id)s）。",
                login=granted.login,
                kind=_(COUPON_KIND_NAMES[granted.coupon.kind]),
                value=coupon_value(granted.coupon),
                id=granted.coupon.id,
            ),
            "success",
        )
        return Redirect(path=_back(granted.login, ""), status_code=303)

    @post("/{coupon_id:int}/revoke")
    async def revoke(self, request: Request, operator: Operator, coupon_id: int, now: datetime) -> Template | Redirect:
        """作废 an unused coupon; a used one (or one a waiting order has chosen) is a 409 page saying which order."""
        data = await form_data(request)
        back = _back(data.get("login", "").strip(), data.get("state", "").strip())
        try:
            coupon = await coupons.revoke(operator, coupon_id, now)
        except DomainError as exc:
            if exc.status_code != 409:
                raise
            context = {
                "operator": operator,
                "nav": "coupons",
                "message": _(exc.message, **exc.params),
                "back": back,
                "coupon_id": coupon_id,
            }
            return page(request, "ops/coupons_refused.html", context, status_code=409)
        flash(request, _("已作废优惠券（编号 %(id)s）。", id=coupon.id), "success")
        return Redirect(path=back, status_code=303)
