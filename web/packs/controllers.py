"""Buying ticket add-on packs (guide chapter 2): pack page with a live price → 订单确认 → order → payment."""

from __future__ import annotations

import secrets
from datetime import datetime

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.response import Redirect, Template

from models.records import Account
from models.services import packs
from models.services.errors import DomainError
from web.auth import provide_account
from web.forms import error_dict, form_data
from web.i18n import _
from web.packs.pages import PackPage, offer_status
from web.rendering import is_htmx, page


def _context(account: Account, model: PackPage) -> dict[str, object]:
    return {"account": account, "errors": model.errors, "page": model}


class PacksController(Controller):
    path = "/plan/packs"
    dependencies = {"account": Provide(provide_account)}

    @get("/")
    async def pack_page(self, request: Request, account: Account, now: datetime) -> Template:
        """购买工单增购包: 增购包个数 with the price previewed live (the whole page, or the preview block for htmx)."""
        raw_count = request.query_params.get("count", "1")
        offer = await packs.offer(account, raw_count, now)
        status = offer_status(offer)
        if status != 200 and is_htmx(request):
            # htmx swaps only 2xx: the live preview of a half-typed number, or of a plan that is no longer Standard
            # (a tab left open), says what is wrong in the block instead of leaving the old amount in place
            status = 200
        model = PackPage.of(offer, raw_count, now=now)
        return page(request, "packs/index.html", _context(account, model), block="preview", status_code=status)

    @get("/confirm")
    async def confirm_page(self, request: Request, account: Account, now: datetime) -> Template:
        """立即购买 → 订单确认: the amount and the agreement."""
        raw_count = request.query_params.get("count", "")
        offer = await packs.offer(account, raw_count, now)
        if offer.refusal is not None or offer.error is not None:
            model = PackPage.of(offer, raw_count, now=now)
            return page(request, "packs/index.html", _context(account, model), status_code=offer_status(offer))
        model = PackPage.of(offer, raw_count, request_key=secrets.token_hex(16), now=now)
        return page(request, "packs/confirm.html", _context(account, model))

    @post("/confirm")
    async def place_order(self, request: Request, account: Account, now: datetime) -> Template | Redirect:
        """去购买: the pending order, then the shared payment page."""
        data = await form_data(request)
        raw_count = data.get("count", "")
        request_key = data.get("request_key") or secrets.token_hex(16)
        error: DomainError | None = None
        if data.get("agree") == "yes":
            try:
                order_id = await packs.place(account, raw_count, request_key, now)
                return Redirect(path=f"/orders/{order_id}/pay", status_code=303)
            except DomainError as exc:
                error = exc
        offer = await packs.offer(account, raw_count, now)
        if offer.refusal is not None or offer.error is not None:  # nothing to confirm: back to the pack page
            model = PackPage.of(offer, raw_count, now=now)
            return page(request, "packs/index.html", _context(account, model), status_code=offer_status(offer))
        if error is None:
            errors, status = {"agree": _("请阅读并勾选同意《合作伙伴支持计划服务协议》。")}, 400
        else:
            errors, status = error_dict(error, "agree"), error.status_code
        model = PackPage.of(offer, raw_count, errors, request_key=request_key, now=now)
        return page(request, "packs/confirm.html", _context(account, model), status_code=status)
