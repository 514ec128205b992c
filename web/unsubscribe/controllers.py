"""退订管理 (guide chapter 6): the fee table and reasons, the rules page, the refund and its result.

A form sent for a plan that was unsubscribed meanwhile (another tab, or the same form twice) is a 409 page that
says so and links to that unsubscribe's result; nothing is refunded twice. A form whose amounts are no longer
the ones that would be refunded (the plan changed, the hour turned) is a 409 page with the fresh amounts.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.response import Redirect, Template

from models.records import Account
from models.services import unsubscribe
from models.services.errors import Conflict
from web.auth import provide_account
from web.forms import error_dict, form_data, parse_int, parse_moment
from web.i18n import _
from web.rendering import page
from web.unsubscribe.pages import (
    SCOPE_RENEWALS,
    FormValues,
    UnsubscribePage,
    already_done,
    nothing_to_unsubscribe,
    renewals_only,
    result_rows,
)

#: A refund in fen has at most this many digits (a hidden field: anything longer was not made by the page).
MAX_FEN_DIGITS = 15


def quota_of(request: Request) -> int:
    quota: int = request.app.state.settings.five_day_quota
    return quota


def parse_shown(refund_fen: str | None, digest: str | None) -> unsubscribe.Shown | None:
    """The amounts the page showed, from its hidden fields; None when either is missing or unreadable (the
    service then refuses and shows the amounts again)."""
    fen, digest = parse_int(refund_fen, MAX_FEN_DIGITS), (digest or "").strip()
    if fen is None or fen < 0 or len(digest) != 32 or any(c not in "0123456789abcdef" for c in digest):
        return None
    return unsubscribe.Shown(refund_fen=fen, digest=digest)


def form_page(request: Request, account: Account, model: UnsubscribePage, *, status_code: int = 200) -> Template:
    return page(
        request,
        "unsubscribe/form.html",
        {"account": account, "errors": model.errors, "page": model},
        status_code=status_code,
    )


def refused_page(request: Request, account: Account, exc: unsubscribe.AlreadyBasic) -> Template:
    model = UnsubscribePage.of(None, refusal=nothing_to_unsubscribe(_(exc.message)))
    return form_page(request, account, model, status_code=exc.status_code)


async def done_page(request: Request, account: Account, unsubscription_id: int) -> Template:
    """The plan this form showed was unsubscribed already: say when, by whom and for how much (409)."""
    done = await unsubscribe.result(account, unsubscription_id)
    return form_page(request, account, UnsubscribePage.of(None, refusal=already_done(done)), status_code=409)


async def scoped_quote(
    account: Account, now: datetime, quota: int, scope: str | None
) -> tuple[unsubscribe.UnsubscribeQuote, str | None]:
    """The quote for the chosen scope; for 仅退订未生效的续费周期 when no renewal is left to come (it started, another
    tab unsubscribed it), the whole plan's quote and why (the page says so). AlreadyBasic passes through."""
    if renewals_only(scope):
        try:
            return await unsubscribe.quote(account, now, quota, renewals_only=True), None
        except unsubscribe.AlreadyBasic:
            raise
        except Conflict as exc:
            return await unsubscribe.quote(account, now, quota), _(exc.message, **exc.params)
    return await unsubscribe.quote(account, now, quota), None


class UnsubscribeController(Controller):
    path = "/plan/unsubscribe"
    dependencies = {"account": Provide(provide_account)}

    @get("/")
    async def show(self, request: Request, account: Account, now: datetime) -> Template:
        try:
            quote, why = await scoped_quote(account, now, quota_of(request), request.query_params.get("scope"))
        except unsubscribe.AlreadyBasic as exc:
            return refused_page(request, account, exc)
        return form_page(request, account, UnsubscribePage.of(quote, notice=why, now=now))

    @post("/")
    async def submit(self, request: Request, account: Account, now: datetime) -> Template | Redirect:
        data = await form_data(request)
        values = FormValues(
            reason=data.get("reason", ""),
            comment=data.get("comment", ""),
            confirmed=data.get("confirm") == "yes",
            scope=SCOPE_RENEWALS if renewals_only(data.get("scope")) else "all",
        )
        computed_at = parse_moment(data.get("computed_at"))
        problems = unsubscribe.check_form(values.reason, values.comment, values.confirmed)
        if not problems:
            try:
                outcome = await unsubscribe.submit(
                    account,
                    reason=values.reason,
                    comment=values.comment,
                    confirmed=True,
                    period_key=data.get("periods"),
                    computed_at=computed_at,
                    shown=parse_shown(data.get("refund_fen"), data.get("amounts")),
                    now=now,
                    quota=quota_of(request),
                    renewals_only=renewals_only(values.scope),
                )
            except unsubscribe.QuoteStale as exc:
                fresh = replace(values, confirmed=False)  # the new amounts must be confirmed again
                model = UnsubscribePage.of(exc.fresh, fresh, notice=_(exc.message, **exc.params), now=now)
                return form_page(request, account, model, status_code=exc.status_code)
            except unsubscribe.AlreadyBasic as exc:
                done = await unsubscribe.done_since(account, computed_at)
                return await done_page(request, account, done) if done else refused_page(request, account, exc)
            except Conflict as exc:  # 仅退订未生效的续费周期, and none is left to come: nothing was refunded
                quote = await unsubscribe.quote(account, now, quota_of(request))
                model = UnsubscribePage.of(
                    quote, replace(values, confirmed=False), notice=_(exc.message, **exc.params), now=now
                )
                return form_page(request, account, model, status_code=exc.status_code)
            if outcome.replayed:  # these periods were refunded before: by another tab, or this form sent twice
                return await done_page(request, account, outcome.unsubscription_id)
            return Redirect(path=f"/plan/unsubscribe/result/{outcome.unsubscription_id}", status_code=303)
        errors: dict[str, str] = {}
        for problem in problems:
            errors.update(error_dict(problem))
        try:
            quote, _why = await scoped_quote(account, now, quota_of(request), values.scope)
        except unsubscribe.AlreadyBasic as exc:
            done = await unsubscribe.done_since(account, computed_at)
            return await done_page(request, account, done) if done else refused_page(request, account, exc)
        return form_page(request, account, UnsubscribePage.of(quote, values, errors=errors, now=now), status_code=400)

    @get("/rules")
    async def rules(self, request: Request, account: Account) -> Template:
        return page(request, "unsubscribe/rules.html", {"account": account, "quota": quota_of(request)})

    @get("/result/{unsubscription_id:int}")
    async def result(self, request: Request, account: Account, unsubscription_id: int) -> Template:
        done = await unsubscribe.result(account, unsubscription_id)
        return page(request, "unsubscribe/result.html", {"account": account, "page": done, "rows": result_rows(done)})
