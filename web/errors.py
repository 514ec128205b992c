"""Every failure is a page a person can read, with a 4xx (or, never expected, a 500) and no stack trace."""

from __future__ import annotations

import logging
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from models.db import is_bad_data, is_conflict
from models.services.errors import DomainError
from web.i18n import _
from web.rendering import is_htmx

log = logging.getLogger("console")
#: Set on a 409 answered for a database conflict: web.retry replays the request once before it is sent.
RETRY_HEADER = "x-console-conflict"


def _error_page(status: int, title: str, message: str) -> Template:
    return Template(
        template_name="error.html", context={"title": title, "message": message, "status": status}, status_code=status
    )


def not_signed_in(request: Request, exc: NotAuthorizedException) -> Response:
    target = "/login?next=" + quote(request.url.path, safe="/")
    if is_htmx(request):
        return Response(content="", status_code=401, headers={"HX-Redirect": target})
    return Redirect(path=target, status_code=303)


def http_error(request: Request, exc: HTTPException) -> Template:
    status = exc.status_code
    if status == 404:
        return _error_page(404, _("页面不存在"), _("此地址没有页面。请检查链接，或返回支持计划。"))
    if isinstance(exc, PermissionDeniedException) and "csrf" in str(exc.detail).lower():
        return _error_page(403, _("表单已失效"), _("表单缺少有效的安全令牌，未做任何更改。请返回并刷新页面后重试。"))
    if status == 405:
        return _error_page(405, _("此处不支持该操作"), _("此地址不接受这种请求，未做任何更改。"))
    if status == 403:
        return _error_page(403, _("无权操作"), _("您无权执行此操作，未做任何更改。"))
    if status == 413:
        return _error_page(413, _("提交的内容过大"), _("提交的内容超过了允许的大小，未做任何更改。"))
    if 400 <= status < 500:
        page = bad_input_page()
        page.status_code = status
        return page
    return bad_input_page()


def domain_error(request: Request, exc: DomainError) -> Template:
    return _error_page(exc.status_code, _("操作被拒绝"), _(exc.message, **exc.params))


def conflict_page() -> Template:
    page = _error_page(
        409,
        _("数据已被同时修改"),
        _("另一个请求同时修改了相同的数据，本次请求未做任何更改。请刷新页面查看最新状态后再试。"),
    )
    page.headers[RETRY_HEADER] = "1"
    return page


def bad_input_page() -> Template:
    return _error_page(400, _("无法处理该请求"), _("请求中有无效内容，未做任何更改。"))


def server_error(request: Request, exc: Exception) -> Template:
    """The net under every handler: a database conflict is a 409 (after one retry), a value the database or
    a parser refused is a 400; anything else is logged and a 500 page (never expected: every case is a test)."""
    if is_conflict(exc):
        log.info("database conflict on %s %s: %s", request.method, request.url.path, exc)
        return conflict_page()
    if is_bad_data(exc):
        log.warning("refused bad input on %s %s: %r", request.method, request.url.path, exc)
        return bad_input_page()
    log.exception("unhandled error on %s", request.url.path)
    return _error_page(HTTP_500_INTERNAL_SERVER_ERROR, _("出错了"), _("控制台未能完成此请求，未做任何更改，请重试。"))


HANDLERS = {
    NotAuthorizedException: not_signed_in,
    HTTPException: http_error,
    DomainError: domain_error,
    Exception: server_error,
}
