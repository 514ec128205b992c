"""The browser's side of the unit tests' HTTP client: CSRF tokens, forms, signing in, placing an order."""

from __future__ import annotations

import re

CSRF_RE = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def csrf_token(client, path: str = "/login") -> str:
    response = await client.get(path)
    return CSRF_RE.search(response.text).group(1)


async def post_form(client, path: str, data: dict, *, token_from: str | None = None):
    """POSTs a form as a browser would: with the CSRF token of the page it came from."""
    token = await csrf_token(client, token_from or path)
    return await client.post(path, data={**data, "_csrf_token": token}, follow_redirects=False)


async def sign_in(client, login: str, password: str = "demo-pass-2026"):
    response = await post_form(client, "/login", {"login": login, "password": password})
    assert response.status_code == 303, response.text
    return response


async def place_order(client, level="standard", months=1) -> str:
    response = await post_form(
        client,
        "/plan/change/spec",
        {"level": level, "months": str(months), "agree": "yes", "request_key": "k-" + level + str(months)},
        token_from=f"/plan/change/spec?level={level}&months={months}",
    )
    assert response.status_code == 303, response.text
    return response.headers["location"].split("/")[2]
