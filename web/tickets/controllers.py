"""工单: the company's tickets, the form to submit one, and each ticket's own page (SPEC.md §6).

GET  /tickets        the list (each ticket linked to its page, with its status) and the form
POST /tickets        submit → the new ticket's page, or the form again with the errors
GET  /tickets/{id}   one ticket of the company: what was submitted, its status and response target
"""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from models.records import Account
from models.services import tickets
from models.services.errors import N_, DomainError, NotFound
from models.services.plans import plan_state
from web.auth import provide_account
from web.forms import error_dict, form_data
from web.i18n import _
from web.rendering import page
from web.tickets.pages import TicketPage, TicketsPage


async def tickets_page(
    account: Account, now: datetime, values: dict[str, str] | None = None, errors: dict[str, str] | None = None
) -> TicketsPage:
    return TicketsPage.of(
        await plan_state(account.partner, now),
        await tickets.list_for_partner(account.partner),
        await tickets.count_for_partner(account.partner),
        values,
        errors,
    )


def errors_of(exc: DomainError) -> dict[str, str]:
    if isinstance(exc, tickets.InvalidTicket):
        errors: dict[str, str] = {}
        for problem in exc.problems:
            errors.update(error_dict(problem))
        return errors
    return error_dict(exc, "kind")


class TicketsController(Controller):
    path = "/tickets"
    dependencies = {"account": Provide(provide_account)}

    @get("/")
    async def index(self, request: Request, account: Account, now: datetime) -> Template:
        model = await tickets_page(account, now)
        return page(request, "tickets/index.html", {"account": account, "page": model, "errors": model.errors})

    @post("/")
    async def submit(self, request: Request, account: Account, now: datetime) -> Template | Redirect:
        data = await form_data(request)
        try:
            ticket_id, created = await tickets.submit(
                account,
                kind=data.get("kind"),
                severity=data.get("severity"),
                title=data.get("title"),
                description=data.get("description"),
                now=now,
            )
        except DomainError as exc:
            model = await tickets_page(account, now, data, errors_of(exc))
            return page(
                request,
                "tickets/index.html",
                {"account": account, "page": model, "errors": model.errors},
                status_code=exc.status_code,
            )
        if created:
            flash(request, _("工单 #%(id)s 已提交。", id=ticket_id), "success")
        else:
            flash(request, _("相同的工单刚刚已提交（#%(id)s），未重复提交。", id=ticket_id), "info")
        return Redirect(path=f"/tickets/{ticket_id}", status_code=303)

    @get("/{ticket_id:str}")
    async def detail(self, request: Request, account: Account, ticket_id: str, now: datetime) -> Template:
        if not (ticket_id.isascii() and ticket_id.isdigit() and len(ticket_id) <= 10):
            raise NotFound(N_("工单不存在。"))
        listed = await tickets.get_for_partner(account.partner, int(ticket_id))
        model = TicketPage.of(listed, await plan_state(account.partner, now))
        return page(request, "tickets/detail.html", {"account": account, "page": model})
