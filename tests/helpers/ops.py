"""The operator console's side of the unit tests: an operator account and its sign-in at /ops/login."""

from __future__ import annotations

from models.services.operators import create_operator
from tests.helpers.http import post_form

OPS_LOGIN = "ops-test"
OPS_PASSWORD = "ops-pass-2026"


async def make_operator(now, login: str = OPS_LOGIN, password: str = OPS_PASSWORD) -> int:
    return await create_operator(login, password, now)


async def sign_in_operator(client, login: str = OPS_LOGIN, password: str = OPS_PASSWORD):
    response = await post_form(client, "/ops/login", {"login": login, "password": password})
    assert response.status_code == 303, response.text
    return response


async def ops_post(client, path: str, data: dict, *, token_from: str | None = None):
    """POSTs an /ops form with the CSRF token of the page it came from (the form's own page by default)."""
    return await post_form(client, path, data, token_from=token_from or path)
