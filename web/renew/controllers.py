"""Renewing the plan (续费管理, guide chapter 5). The 自动续费 setting is the detail page's (web/plans).

GET /plan/renew?months=N  the page, its preview block alone for htmx (the term select asks on change)
POST /plan/renew          去支付 → the renewal order → /orders/{id}/pay; without JavaScript, 计算费用 posts
                          the same form with action=preview and gets the page back with the new amount.
                          去支付 for a term other than the one the amount was computed for (no JavaScript, the
                          term changed) shows the page again with the amount for that term: no order is placed
                          at an amount nobody saw. A form whose plan changed since it was shown (unsubscribed,
                          renewed or changed in another tab) is a 409 page saying so, with the fresh amount.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.response import Redirect, Template

from models.records import Account
from models.services import renewal
from models.services.errors import DomainError
from web.auth import provide_account
from web.forms import error_dict, form_data, parse_int
from web.i18n import _
from web.rendering import page
from web.renew.pages import RenewalPage, basis_of, status_of
from web.template_globals import term_label


def _months(values: Mapping[str, str]) -> tuple[int | None, dict[str, str]]:
    months = parse_int(values.get("months") or "1")
    try:
        renewal.check_term(months)
    except DomainError as exc:
        return months, error_dict(exc)
    return months, {}


def _context(account: Account, model: RenewalPage) -> dict[str, object]:
    return {"account": account, "errors": model.errors, "page": model}


class RenewController(Controller):
    path = "/plan/renew"
    dependencies = {"account": Provide(provide_account)}

    @get("/")
    async def renew_page(self, request: Request, account: Account, now: datetime) -> Template:
        months, errors = _months(request.query_params)
        info = await renewal.renew_page(account, now)
        model = RenewalPage.of(info, months, errors, secrets.token_hex(16))
        return page(
            request, "renew/renew.html", _context(account, model), block="preview", status_code=status_of(info, errors)
        )

    @post("/")
    async def place_order(self, request: Request, account: Account, now: datetime) -> Template | Redirect:
        data = await form_data(request)
        months, errors = _months(data)
        request_key = data.get("request_key") or secrets.token_hex(16)
        previewed = parse_int(data.get("previewed"))
        if not errors and data.get("action") != "preview":
            if previewed is not None and previewed != months:
                info = await renewal.renew_page(account, now)
                recomputed = _(
                    "应付金额已按续费时长%(term)s重新计算，尚未创建订单。请核对后再点击“去支付”。",
                    term=term_label(months or 1),
                )
                model = RenewalPage.of(info, months, errors, request_key, recomputed=recomputed)
                return page(request, "renew/renew.html", _context(account, model), status_code=status_of(info, errors))
            try:
                basis = basis_of(data.get("renews"), data.get("renews_level"))
                order_id = await renewal.place(account, months, request_key, now, basis=basis)
                return Redirect(path=f"/orders/{order_id}/pay", status_code=303)
            except renewal.RenewStale as exc:
                info = await renewal.renew_page(account, now)
                model = RenewalPage.of(info, months, {}, request_key, stale=_(exc.message, **exc.params))
                return page(request, "renew/renew.html", _context(account, model), status_code=exc.status_code)
            except DomainError as exc:
                info = await renewal.renew_page(account, now)
                model = RenewalPage.of(info, months, errors, request_key, refused=exc)
                return page(request, "renew/renew.html", _context(account, model), status_code=exc.status_code)
        info = await renewal.renew_page(account, now)
        model = RenewalPage.of(info, months, errors, request_key)
        return page(request, "renew/renew.html", _context(account, model), status_code=status_of(info, errors))
