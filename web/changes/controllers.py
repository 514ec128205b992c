"""更改 (/plan/change): buying a plan from Basic, or changing the level of a running plan. One controller owns
the prefix; GET /plan/change shows whichever the plan's level calls for.

Basic (guide chapter 1, page models in web/purchase/pages.py):
    GET /plan/change → 立即购买 → 购买确认 (dialog, or GET /plan/change/confirm without JavaScript)
    → 规格确认 GET /plan/change/spec → 去购买 POST /plan/change/spec → /orders/{id}/pay.
Standard or Premium (guide chapter 4, page models in web/changes/pages.py):
    upgrade: 立即变更 → 购买确认 (dialog, or /plan/change/upgrade/confirm) → 规格确认 /plan/change/upgrade/spec
             → 确认变更 → /orders/{id}/pay;
    downgrade: 规格确认 /plan/change/downgrade/spec → 确认变更 → /plan/change/downgrade/{id}/result (refund on
               the balance).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from models.enums import Level, OrderKind
from models.records import Account
from models.rules import eligibility as purchase_rules
from models.services import changes, purchase
from models.services.errors import N_, DomainError
from models.services.plans import PlanState, plan_state
from models.services.purchase import REFUSALS
from web.auth import provide_account
from web.changes.pages import ChangePage, ChangeRefusedPage, ChangeSpecPage, change_status
from web.forms import error_dict, form_data, parse_int
from web.i18n import _
from web.pending import pending_orders
from web.purchase.pages import PurchasePage, choice_from
from web.rendering import is_htmx, page
from web.template_globals import level_name

BACK = "/plan/change"
AGREE_FIRST = N_("请阅读并勾选同意《合作伙伴支持计划服务协议》。")
ALREADY_HAS_PLAN = REFUSALS[purchase_rules.ALREADY_HAS_PLAN]
NOT_NOW = N_("该支持计划当前为%(level)s，不能办理此变更。")


def _context(
    account: Account,
    model: PurchasePage | ChangePage | ChangeSpecPage | ChangeRefusedPage,
    request: Request | None = None,
) -> dict[str, object]:
    """`request`: the change page's, whose htmx preview also brings the cards' prices (out of band)."""
    return {"account": account, "errors": model.errors, "page": model, "htmx": bool(request and is_htmx(request))}


class ChangeController(Controller):
    path = "/plan/change"
    dependencies = {"account": Provide(provide_account)}

    @get("/")
    async def change_page(self, request: Request, account: Account, now: datetime) -> Template:
        """更改合作伙伴支持计划: the purchase on offer to a Basic plan, or the change on offer to a running one;
        each with its live preview (the preview block alone for htmx), or why not."""
        state = await plan_state(account.partner, now)
        if state.level == Level.BASIC:
            return await self._purchase_page(request, account, state, now)
        return await self._running_change_page(request, account, state, now)

    # --- buying a plan from Basic -------------------------------------------------------------------------------

    async def _purchase_page(self, request: Request, account: Account, state: PlanState, now: datetime) -> Template:
        level, months, errors = choice_from(request.query_params)
        refused = await purchase.refusal(account, now, state)
        model = PurchasePage.of(
            level, months, errors, now, refusal=_(refused.message, **refused.params) if refused else None
        )
        status = 403 if refused else (400 if errors else 200)
        context = _context(account, model, request)
        # A pending 新购 order of the company (at most one, SPEC.md §13): the page shows it (继续支付 / 取消订单)
        # instead of the form that would make a second one.
        context["pending"] = await pending_orders(account)
        return page(request, "purchase/change.html", context, block="preview", status_code=status)

    @get("/confirm")
    async def purchase_confirm(self, request: Request, account: Account, now: datetime) -> Template | Redirect:
        """购买确认 without JavaScript (with it, the same question is a dialog on the change page)."""
        level, months, errors = choice_from(request.query_params)
        if errors or await purchase.refusal(account, now):
            return Redirect(path=BACK, status_code=303)
        return page(request, "purchase/confirm.html", _context(account, PurchasePage.of(level, months, errors, now)))

    @get("/spec")
    async def purchase_spec(self, request: Request, account: Account, now: datetime) -> Template | Redirect:
        level, months, errors = choice_from(request.query_params)
        if errors or await purchase.refusal(account, now):
            return Redirect(path=BACK, status_code=303)
        model = PurchasePage.of(level, months, {}, now, request_key=secrets.token_hex(16))
        return page(request, "purchase/spec.html", _context(account, model))

    @post("/spec")
    async def place_purchase(self, request: Request, account: Account, now: datetime) -> Template | Redirect:
        data = await form_data(request)
        level, months, errors = choice_from(data)
        if errors or months is None:  # the hidden choice was tampered with: start again from the change page
            return Redirect(path=BACK, status_code=303)
        try:
            refused = await purchase.refusal(account, now)
            if refused:  # the company bought a plan in another tab, or the account may no longer buy
                raise refused
            if data.get("agree") != "yes":
                model = PurchasePage.of(
                    level,
                    months,
                    {"agree": _(AGREE_FIRST)},
                    now,
                    request_key=data.get("request_key") or secrets.token_hex(16),
                )
                return page(request, "purchase/spec.html", _context(account, model), status_code=400)
            order_id = await purchase.place(account, level, months, data.get("request_key") or None, now)
            return Redirect(path=f"/orders/{order_id}/pay", status_code=303)
        except DomainError as exc:  # nothing was ordered: say why, with the plan as it is now
            return await self._refused_page(request, account, OrderKind.PURCHASE, exc, now)

    # --- changing the level of a running plan --------------------------------------------------------------------

    async def _running_change_page(
        self, request: Request, account: Account, state: PlanState, now: datetime
    ) -> Template:
        offer = await changes.options(account, state, request.query_params.get("level"), now)
        context = _context(account, ChangePage.of(offer))
        context["pending"] = await pending_orders(account)  # the company's pending orders, shown above the form
        return page(request, "changes/change.html", context, block="preview", status_code=change_status(offer))

    @get("/upgrade/confirm")
    async def upgrade_confirm(self, request: Request, account: Account, now: datetime) -> Template | Redirect:
        """购买确认 without JavaScript (with it, the same question is a dialog on the change page)."""
        state = await plan_state(account.partner, now)
        offer = await changes.options(account, state, request.query_params.get("level"), now)
        if offer.kind != OrderKind.UPGRADE or offer.refusal or offer.errors:
            return self._back(request, state, OrderKind.UPGRADE)
        return page(request, "changes/confirm.html", {"account": account, "page": ChangePage.of(offer)})

    @staticmethod
    def _back(request: Request, state: PlanState, kind: str) -> Redirect:
        """To the change page, which shows what is possible now; when the plan no longer offers `kind` (a tab left
        open while the plan was unsubscribed, ended or changed) it first says so."""
        if state.current is None:
            flash(request, _(changes.NO_RUNNING_PLAN), "info")
        elif changes.TARGETS.get(state.level, (None, None))[0] != kind:
            flash(request, _(NOT_NOW, level=level_name(state.level)), "info")
        return Redirect(path=BACK, status_code=303)

    async def _spec_page(
        self, request: Request, account: Account, kind: OrderKind, now: datetime
    ) -> Template | Redirect:
        state = await plan_state(account.partner, now)
        offered, target = changes.TARGETS.get(state.level, (None, None))
        if offered != kind or request.query_params.get("level", target) != target:
            return self._back(request, state, kind)
        try:
            quote = await changes.quote(account, kind, now)
        except DomainError:
            return Redirect(path=BACK, status_code=303)  # the change page says why
        model = ChangeSpecPage(state=state, quote=quote, errors={}, request_key=secrets.token_hex(16))
        return page(request, "changes/spec.html", _context(account, model))

    async def _confirm(self, request: Request, account: Account, kind: OrderKind, now: datetime) -> Template | Redirect:
        """确认变更: on to the payment page (upgrade) or the result (downgrade); or the spec page again when
        something must be fixed, or back to the change page when the change is no longer possible."""
        data = await form_data(request)
        quote_id, request_key = parse_int(data.get("quote_id")), data.get("request_key") or None
        agreed = data.get("agree") == "yes"
        try:
            if agreed:
                try:
                    if kind == OrderKind.UPGRADE:
                        order_id = await changes.place_upgrade(account, quote_id, request_key, now)
                        return Redirect(path=f"/orders/{order_id}/pay", status_code=303)
                    order_id = (await changes.downgrade(account, quote_id, request_key, now)).id
                    return Redirect(path=f"/plan/change/downgrade/{order_id}/result", status_code=303)
                except changes.QuoteChanged:
                    quote, changed = await changes.requote(account, kind, quote_id, now)
            else:
                quote, changed = await changes.requote(account, kind, quote_id, now)
        except changes.PlanChanged as exc:  # unsubscribed or changed in another tab: say so, nothing was done
            return await self._refused_page(request, account, exc.kind, exc, now)
        except DomainError as exc:  # no longer possible (a pending change, may no longer buy): say why
            return await self._refused_page(request, account, kind, exc, now)
        errors: dict[str, str] = {}
        if changed:
            errors.update(error_dict(changed, "quote"))
        if not agreed:
            errors["agree"] = _(AGREE_FIRST)
        model = ChangeSpecPage(
            state=await plan_state(account.partner, now),
            quote=quote,
            errors=errors,
            request_key=request_key or secrets.token_hex(16),
            agree=agreed,
        )
        return page(request, "changes/spec.html", _context(account, model), status_code=409 if changed else 400)

    async def _refused_page(
        self, request: Request, account: Account, kind: str, exc: DomainError, now: datetime
    ) -> Template:
        """A confirmation from a page that no longer holds (the plan was unsubscribed, changed or bought in
        another tab, or the account may no longer buy): why, the plan as it is now, and the ways on. Nothing was
        done. A plan bought in the meantime is a conflict with what the page showed (409)."""
        model = ChangeRefusedPage(state=await plan_state(account.partner, now), kind=kind, errors=error_dict(exc))
        status = 409 if exc.message == ALREADY_HAS_PLAN else exc.status_code
        context = _context(account, model)
        context["pending"] = await pending_orders(account)  # e.g. the pending 新购 that refused a second one
        return page(request, "changes/refused.html", context, status_code=status)

    @get("/upgrade/spec")
    async def upgrade_spec(self, request: Request, account: Account, now: datetime) -> Template | Redirect:
        return await self._spec_page(request, account, OrderKind.UPGRADE, now)

    @post("/upgrade/spec")
    async def place_upgrade(self, request: Request, account: Account, now: datetime) -> Template | Redirect:
        return await self._confirm(request, account, OrderKind.UPGRADE, now)

    @get("/downgrade/spec")
    async def downgrade_spec(self, request: Request, account: Account, now: datetime) -> Template | Redirect:
        return await self._spec_page(request, account, OrderKind.DOWNGRADE, now)

    @post("/downgrade/spec")
    async def downgrade(self, request: Request, account: Account, now: datetime) -> Template | Redirect:
        return await self._confirm(request, account, OrderKind.DOWNGRADE, now)

    @get("/downgrade/{order_id:str}/result")
    async def downgrade_result(self, request: Request, account: Account, order_id: str) -> Template:
        order, fresh = await changes.downgrade_result(account, order_id)
        return page(request, "changes/result.html", {"account": fresh, "order": order})
