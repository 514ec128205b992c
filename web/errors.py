"""Every failure is a page a person can read, with a 4xx (or, never expected, a 500) and no stack trace."""

from __future__ import annotations

import logging
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from models.services.errors import DomainError
from web.i18n import _
from web.rendering import is_htmx

log = logging.getLogger("console")


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
    return _error_page(
        status if 400 <= status < 600 else 400, _("无法处理该请求"), _("请求中有无效内容，未做任何更改。")
    )


def domain_error(request: Request, exc: DomainError) -> Template:
    return _error_page(exc.status_code, _("操作被拒绝"), _(exc.message, **exc.params))


def server_error(request: Request, exc: Exception) -> Template:
    log.exception("unhandled error on %s", request.url.path)
    return _error_page(HTTP_500_INTERNAL_SERVER_ERROR, _("出错了"), _("控制台未能完成此请求，未做任何更改，请重试。"))


HANDLERS = {
    NotAuthorizedException: not_signed_in,
    HTTPException: http_error,
    DomainError: domain_error,
    Exception: server_error,
}
