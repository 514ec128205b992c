"""The test clock of this browser, in demo mode only (SPEC.md §16 issue 15):

GET  /demo/clock          the page: this browser's time, the server's, a form 时间 + 设置, and 恢复真实时间
POST /demo/clock          设置: this browser's time becomes 时间 (Beijing time) and runs on from it
POST /demo/clock/reset    恢复真实时间: this browser follows the server's clock again (CONSOLE_NOW when pinned)
POST /demo/clock/run-jobs 立即执行定时任务: the scheduled jobs (auto-renew, reminders, lapsed orders) for the signed-in
                          account's company only, at this browser's time (the server's scheduler keeps its own clock)

The clock lives in this browser's server-side session (web.clock.BrowserClock), so two browsers on one server may
live at different times; an anonymous visitor gets a session for it (and keeps the clock when signing in).
Outside demo mode every address here is 404 and web.auth.provide_now ignores a stored clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.handlers.base import BaseRouteHandler
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from models.records import Account
from models.rules.periods import BEIJING, whole_second
from models.services.jobs import run_due
from web.auth import provide_account, server_now
from web.clock import TEST_CLOCK_KEY, BrowserClock
from web.forms import form_data
from web.i18n import _
from web.rendering import page
from web.template_globals import when

#: The calendar the form accepts: far enough for any demo, near enough that nothing overflows.
FIRST_YEAR, LAST_YEAR = 2000, 2099
#: datetime-local's value without seconds (the form's step is a minute); seconds are accepted too.
INPUT_FORMAT = "%Y-%m-%dT%H:%M"


def demo_only(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """A guard: outside demo mode these pages do not exist."""
    if not connection.app.state.settings.demo:
        raise NotFoundException()


async def signed_in_account(request: Request) -> Account | None:
    """The signed-in account, if any: the clock works for visitors too."""
    try:
        return await provide_account(request)
    except NotAuthorizedException:
        return None


def parse_local_moment(value: str) -> datetime | None:
    """A datetime-local value (2024-01-25T09:00, seconds optional) read as Beijing time; None when unreadable,
    when it carries an offset of its own, or outside FIRST_YEAR–LAST_YEAR."""
    value = value.strip()
    if len(value) > 26:  # 2024-01-25T09:00:00.000000 at most
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is not None or "T" not in value or not FIRST_YEAR <= moment.year <= LAST_YEAR:
        return None
    return whole_second(moment.replace(tzinfo=BEIJING))


def browser_clock(request: Request) -> BrowserClock | None:
    return BrowserClock.of(request.scope.get("session"))


class DemoController(Controller):
    path = "/demo"
    guards = [demo_only]

    async def _page(
        self,
        request: Request,
        now: datetime,
        *,
        value: str = "",
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        context: dict[str, Any] = {
            "account": await signed_in_account(request),
            "browser_now": now,
            "server_now": server_now(request),
            "test_clock": browser_clock(request) is not None,
            "value": value or now.strftime(INPUT_FORMAT),
            "errors": errors or {},
        }
        return page(request, "demo/clock.html", context, status_code=status_code)

    @get("/clock")
    async def clock(self, request: Request, now: datetime) -> Template:
        return await self._page(request, now)

    @post("/clock")
    async def set_clock(self, request: Request, now: datetime) -> Template | Redirect:
        data = await form_data(request)
        value = data.get("moment", "")
        moment = parse_local_moment(value)
        if moment is None:
            error = _(
                "请输入 %(first)s 至 %(last)s 年间的北京时间，例如 2024-01-25T09:00。", first=FIRST_YEAR, last=LAST_YEAR
            )
            return await self._page(request, now, value=value, errors={"moment": error}, status_code=400)
        request.session[TEST_CLOCK_KEY] = BrowserClock(to=moment, at=server_now(request)).stored()
        flash(request, _("本浏览器的测试时间已设为 %(moment)s。", moment=when(moment)), "success")
        return Redirect(path="/demo/clock", status_code=303)

    @post("/clock/reset")
    async def reset_clock(self, request: Request) -> Redirect:
        session = request.scope.get("session")
        if isinstance(session, dict):
            session.pop(TEST_CLOCK_KEY, None)
        flash(request, _("本浏览器已恢复真实时间。"), "success")
        return Redirect(path="/demo/clock", status_code=303)

    @post("/clock/run-jobs")
    async def run_jobs(self, request: Request, now: datetime) -> Redirect:
        account = await signed_in_account(request)
        if account is None:
            flash(request, _("请先登录：定时任务只为当前帐号所在的公司执行。"), "info")
            return Redirect(path="/demo/clock", status_code=303)
        settings = request.app.state.settings
        done = await run_due(
            now, order_lapse_days=settings.order_lapse_days, smtp_url=settings.smtp_url, partner_id=account.partner
        )
        flash(
            request,
            _(
                "已按 %(moment)s 为本公司执行定时任务：自动续费成功 %(renewed)s 次、失败 %(failed)s 次，"
                "发送提醒 %(reminders)s 条，取消超时订单 %(lapsed)s 个。",
                moment=when(now),
                renewed=done["auto_renewed"],
                failed=done["auto_renew_failed"],
                reminders=done["reminders_sent"],
                lapsed=done["lapsed_orders"],
            ),
            "success",
        )
        return Redirect(path="/demo/clock", status_code=303)
