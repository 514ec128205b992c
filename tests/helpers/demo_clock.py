"""The per-browser test clock of demo mode (/demo/clock) from the unit tests' HTTP client."""

from __future__ import annotations

from datetime import datetime

from models.rules.periods import to_beijing
from tests.helpers.http import post_form


def clock_value(moment: datetime) -> str:
    """The form's 时间 (datetime-local, Beijing time, to the second)."""
    return to_beijing(moment).strftime("%Y-%m-%dT%H:%M:%S")


async def set_test_clock(client, moment: datetime):
    """This client's (browser's) time becomes `moment` and runs on with the server's clock."""
    response = await post_form(client, "/demo/clock", {"moment": clock_value(moment)})
    assert response.status_code == 303, response.text
    return response


async def reset_test_clock(client):
    response = await post_form(client, "/demo/clock/reset", {}, token_from="/demo/clock")
    assert response.status_code == 303, response.text
    return response
