"""One URL, two renderings: the whole page, or only its block when htmx asks (SPEC/DESIGN)."""

from __future__ import annotations

from typing import Any

from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import Request
from litestar.response import Template


def is_htmx(request: Request) -> bool:
    headers = request.headers
    return headers.get("hx-request") == "true" and headers.get("hx-history-restore-request") != "true"


def page(
    request: Request, template: str, context: dict[str, Any], *, block: str | None = None, status_code: int = 200
) -> Template:
    headers = {"Vary": "HX-Request"}
    if block and is_htmx(request):
        return HTMXBlockTemplate(
            template_name=template, block_name=block, context=context, status_code=status_code, headers=headers
        )
    return Template(template_name=template, context=context, status_code=status_code, headers=headers)
