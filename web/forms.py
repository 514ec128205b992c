"""The input layer (SPEC.md §12): every form field and query value a controller reads passes through here.
A value nobody could have typed (a NUL or other control character, a field longer than any form allows, a
malformed request key) is refused with a 400 page before any service sees it; numbers are ASCII digits only
(`isdigit()` also accepts "²", which `int()` refuses). The `before_request` guard checks paths and query
strings the same way. Values a person can get wrong (a level, a count) are checked by the services, which say
what is wrong next to the field."""

from __future__ import annotations

import re
from datetime import datetime

from litestar import Request
from litestar.exceptions import ClientException

from models.rules.periods import BEIJING
from models.services.errors import DomainError
from web.i18n import _

#: Longer than any field of any form (a ticket's description is the longest).
MAX_FIELD_LENGTH = 20_000
MAX_QUERY_LENGTH = 4_096
MAX_PATH_LENGTH = 1_024
MAX_INT_DIGITS = 9
# Idempotency keys the pages generate (secrets.token_hex(16)); a stored key is at most 64 characters.
REQUEST_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Control characters no form field may carry (tab, line feed and carriage return are text).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class BadInput(ClientException):
    """A value that cannot have come from the console's own pages: 400, nothing done."""


def check_text(value: str, limit: int = MAX_FIELD_LENGTH) -> str:
    if len(value) > limit or _CONTROL.search(value):
        raise BadInput("invalid characters or length")
    return value


async def form_data(request: Request) -> dict[str, str]:
    """The posted fields (the first of a repeated field), each checked; a bad request key is refused."""
    form = await request.form()
    data: dict[str, str] = {}
    for key, value in form.multi_items():
        if key not in data:
            check_text(key, 100)
            data[key] = check_text(value if isinstance(value, str) else "")
    request_key = data.get("request_key")
    if request_key and not REQUEST_KEY.fullmatch(request_key):
        raise BadInput("invalid request key")
    return data


def error_dict(exc: DomainError, default_field: str = "") -> dict[str, str]:
    """{field: message} for the error summary and the message next to the field."""
    return {exc.field or default_field: _(exc.message, **exc.params)}


def parse_int(value: str | None, max_digits: int = MAX_INT_DIGITS) -> int | None:
    """An integer from a form or query string, or None when it is not one (the page then says so)."""
    if value is None:
        return None
    value = value.strip()
    digits = value[1:] if value.startswith("-") else value
    if not digits or len(digits) > max_digits or not (digits.isascii() and digits.isdigit()):
        return None
    return int(value)


def parse_moment(value: str | None) -> datetime | None:
    """An ISO 8601 moment with its offset (a page's hidden computation time), in Beijing time; None when it is
    unreadable, has no offset, or lies beyond the calendar's range."""
    try:
        moment = datetime.fromisoformat((value or "").strip()[:40])
        if moment.tzinfo is None or moment.utcoffset() is None:
            return None
        return moment.astimezone(BEIJING)
    except (ValueError, OverflowError):
        return None


async def guard_request(request: Request) -> None:
    """before_request, for every route: a path or query string that no page of the console links to."""
    path = request.scope.get("path", "")
    query = request.scope.get("query_string", b"")
    if len(path) > MAX_PATH_LENGTH or len(query) > MAX_QUERY_LENGTH or _CONTROL.search(path):
        raise BadInput("invalid path or query")
    for _key, value in request.query_params.multi_items():
        check_text(value, MAX_QUERY_LENGTH)
