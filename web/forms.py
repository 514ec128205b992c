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
