"""Changing the level of a running plan (upgrade / downgrade, guide chapter 4)."""

from __future__ import annotations

from datetime import datetime

from litestar import Request
from litestar.response import Template

from web.rendering import page


async def change_page(request: Request, account: dict, state, now: datetime) -> Template:
    return page(request, "pages/not_available.html", {"account": account})
