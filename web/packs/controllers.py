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
from web.rendering import is_htmx, page


def offer_context(account: Account, offer: packs.PackOffer, raw_count: str, errors: dict | None = None) -> dict:
    errors = dict(errors or {})
    if offer.error is not None:
        errors.update(error_dict(offer.error, "count"))
    return {
        "account": account,
        "offer": offer,
        "state": offer.state,
        "count": raw_count,
        "errors": errors,
        "refusal": _(offer.refusal.message, **offer.refusal.params) if offer.refusal else None,
    }


def offer_status(offer: packs.PackOffer) -> int:
    if offer.refusal is not None:
        return offer.refusal.status_code
    return offer.error.status_code if offer.error is not None else 200


class PacksController(Controller):
    path = "/plan/packs"
    dependencies = {"account": Provide(provide_account)}

    async def _pack_page(self, request: Request, account: Account, raw_count: str, now: datetime) -> Template:
        offer = await packs.offer(account, raw_count, now)
        status = offer_status(offer)
        if status != 200 and offer.refusal is None and is_htmx(request):
            status = 200  # a live preview of a half-typed number: htmx swaps only 2xx, the block says what is wrong
        return page(
            request, "packs/index.html", offer_context(account, offer, raw_count), block="preview", status_code=status
        )

    @get("/")
    async def pack_page(self, request: Request, account: Account, now: datetime) -> Template:
        """购买工单增购包: 增购包个数 with the price previewed live (the whole page, or the preview block for htmx)."""
        return await self._pack_page(request, account, request.query_params.get("count", "1"), now)

    @get("/confirm")
    async def confirm_page(self, request: Request, account: Account, now: datetime) -> Template:
        """立即购买 → 订单确认: the amount and the agreement."""
        raw_count = request.query_params.get("count", "")
        offer = await packs.offer(account, raw_count, now)
        if offer.refusal is not None or offer.error is not None:
            return page(
                request, "packs/index.html", offer_context(account, offer, raw_count), status_code=offer_status(offer)
            )
        context = offer_context(account, offer, raw_count)
        context["request_key"] = secrets.token_hex(16)
        return page(request, "packs/confirm.html", context)

    @post("/confirm")
    async def place_order(self, request: Request, account: Account, now: datetime) -> Template | Redirect:
        """去购买: the pending order, then the shared payment page."""
        data = await form_data(request)
        raw_count = data.get("count", "")
        request_key = data.get("request_key") or secrets.token_hex(16)
        if data.get("agree") == "yes":
            try:
                order_id = await packs.place(account, raw_count, request_key, now)
                return Redirect(path=f"/orders/{order_id}/pay", status_code=303)
            except DomainError as exc:
                error = exc
        else:
            error = None
        offer = await packs.offer(account, raw_count, now)
        if offer.refusal is not None or offer.error is not None:  # nothing to confirm: back to the pack page
            return page(
                request, "packs/index.html", offer_context(account, offer, raw_count), status_code=offer_status(offer)
            )
        if error is None:
            errors, status = {"agree": _("请阅读并勾选同意《合作伙伴支持计划服务协议》。")}, 400
        else:
            errors, status = error_dict(error, "agree"), error.status_code
        context = offer_context(account, offer, raw_count, errors)
        context["request_key"] = request_key
        return page(request, "packs/confirm.html", context, status_code=status)
