"""Form handling shared by controllers: read the posted fields, collect translated errors."""

from __future__ import annotations

from litestar import Request

from models.services.errors import DomainError
from web.i18n import _


async def form_data(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: str(value) for key, value in form.items()}


def error_dict(exc: DomainError, default_field: str = "") -> dict[str, str]:
    """{field: message} for the error summary and the message next to the field."""
    return {exc.field or default_field: _(exc.message, **exc.params)}


def parse_int(value: str | None) -> int | None:
    """An integer from a form or query string, or None when it is not one (the page then says so)."""
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > 9 or not value.lstrip("-").isdigit():
        return None
    return int(value)
