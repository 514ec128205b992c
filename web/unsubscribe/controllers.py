"""退订管理 (guide chapter 6): the fee table and reasons, the rules page, the refund and its result."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.response import Redirect, Template

from models.records import Account
from models.services import unsubscribe
from web.auth import provide_account
from web.forms import error_dict, form_data
from web.i18n import _
from web.rendering import page


def quota_of(request: Request) -> int:
    return request.app.state.settings.five_day_quota


def parse_moment(value: str | None) -> datetime | None:
    """The page's hidden computation time; anything unreadable counts as 'not this hour'."""
    try:
        moment = datetime.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def form_page(
    request: Request,
    account: Account,
    quote: unsubscribe.UnsubscribeQuote | None,
    *,
    values: dict | None = None,
    errors: dict | None = None,
    notice: str | None = None,
    refusal: str | None = None,
    status_code: int = 200,
) -> Template:
    values = values or {}
    return page(
        request,
        "unsubscribe/form.html",
        {
            "account": account,
            "quote": quote,
            "errors": errors or {},
            "notice": notice,
            "refusal": refusal,
            "reason": values.get("reason", ""),
            "comment": values.get("comment", ""),
            "confirmed": values.get("confirm") == "yes",
            "reason_options": [(code, _(label), None, False) for code, label in unsubscribe.REASONS.items()],
            "comment_max": unsubscribe.COMMENT_MAX,
        },
        status_code=status_code,
    )


class UnsubscribeController(Controller):
    path = "/plan/unsubscribe"
    dependencies = {"account": Provide(provide_account)}

    @get("/")
    async def show(self, request: Request, account: Account, now: datetime) -> Template:
        try:
            quote = await unsubscribe.quote(account, now, quota_of(request))
        except unsubscribe.AlreadyBasic as exc:
            return form_page(request, account, None, refusal=_(exc.message), status_code=exc.status_code)
        return form_page(request, account, quote)

    @post("/")
    async def submit(self, request: Request, account: Account, now: datetime) -> Template | Redirect:
        data = await form_data(request)
        values = {"reason": data.get("reason", ""), "comment": data.get("comment", ""), "confirm": data.get("confirm")}
        problems = unsubscribe.check_form(values["reason"], values["comment"], values["confirm"] == "yes")
        if not problems:
            try:
                outcome = await unsubscribe.submit(
                    account,
                    reason=values["reason"],
                    comment=values["comment"],
                    confirmed=True,
                    period_key=data.get("periods"),
                    computed_at=parse_moment(data.get("computed_at")),
                    now=now,
                    quota=quota_of(request),
                )
                return Redirect(path=f"/plan/unsubscribe/result/{outcome.unsubscription_id}", status_code=303)
            except unsubscribe.QuoteStale as exc:
                values["confirm"] = None  # the new amounts must be confirmed again
                return form_page(
                    request,
                    account,
                    exc.fresh,
                    values=values,
                    notice=_(exc.message, **exc.params),
                    status_code=exc.status_code,
                )
            except unsubscribe.AlreadyBasic as exc:
                return form_page(request, account, None, refusal=_(exc.message), status_code=exc.status_code)
        errors: dict[str, str] = {}
        for problem in problems:
            errors.update(error_dict(problem))
        try:
            quote = await unsubscribe.quote(account, now, quota_of(request))
        except unsubscribe.AlreadyBasic as exc:
            return form_page(request, account, None, refusal=_(exc.message), status_code=exc.status_code)
        return form_page(request, account, quote, values=values, errors=errors, status_code=400)

    @get("/rules")
    async def rules(self, request: Request, account: Account) -> Template:
        return page(request, "unsubscribe/rules.html", {"account": account, "quota": quota_of(request)})

    @get("/result/{unsubscription_id:int}")
    async def result(self, request: Request, account: Account, unsubscription_id: int) -> Template:
        done = await unsubscribe.result(account, unsubscription_id)
        context = {
            "unsubscription": done.unsubscription,
            "reason_text": done.reason_text,
            "orders": done.orders,
            "credits": done.credits,
            "balance_fen": done.balance_fen,
        }
        return page(request, "unsubscribe/result.html", {"account": account, **context})
