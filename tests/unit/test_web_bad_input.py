"""Bad input anywhere gets a page with a 4xx (or a redirect), never a 500: every route, junk parameters."""

from __future__ import annotations

import pytest

from models.tables import LedgerEntry, SupportOrder, Ticket
from tests.helpers.http import csrf_token, sign_in

JUNK_GETS = [
    "/plan/change?level=gold&months=999",
    "/plan/change?months=-1",
    "/plan/change/confirm?level=premium&months=x",
    "/plan/change/spec?level=&months=",
    "/plan/change/upgrade/confirm?level=x",
    "/plan/change/upgrade/spec?quote_id=x",
    "/plan/change/downgrade/spec",
    "/plan/change/downgrade/CSNOPE/result",
    "/plan/renew?months=abc",
    "/plan/packs?count=1e9",
    "/plan/packs?count=%00",
    "/plan/unsubscribe/result/abc",
    "/plan/unsubscribe/result/999",
    "/orders/CSNOPE",
    "/orders/CSNOPE/pay",
    "/orders/CSNOPE/verify",
    "/orders/CSNOPE/result",
    "/orders/CSNOPE/contract",
    "/payments/sandbox/CSNOPE?amount_fen=x&token=y",
    "/payments/sandbox/CSNOPE",
    "/tickets?page=-1",
    "/lang/xx?next=http://evil.example",
    "/static/../pyproject.toml",
]
JUNK_POSTS = [
    "/plan/change/spec",
    "/plan/change/upgrade/spec",
    "/plan/change/downgrade/spec",
    "/orders/CSNOPE/pay",
    "/orders/CSNOPE/verify",
    "/orders/CSNOPE/verify/send",
    "/orders/CSNOPE/cancel",
    "/plan/renew",
    "/plan/auto-renew",
    "/plan/packs",
    "/plan/packs/confirm",
    "/tickets",
    "/plan/unsubscribe",
    "/payments/sandbox/CSNOPE",
    "/payments/sandbox/notify",
    "/login",
]
JUNK = {
    "level": "x" * 300,
    "months": "1.5",
    "count": "-1",
    "code": "🙂" * 10,
    "method": "cash",
    "coupon": "abc",
    "channel": "fax",
    "kind": "x",
    "severity": "x",
    "title": "",
    "description": "\x00",
    "reason": "?",
    "quote_id": "NaN",
    "agree": "maybe",
    "auto_renew": "sometimes",
    "auto_renew_months": "13",
}


@pytest.mark.parametrize("path", JUNK_GETS)
async def test_junk_get_never_500(client, demo, path):
    await sign_in(client, "partner-b-buyer")
    response = await client.get(path, follow_redirects=False)
    assert response.status_code < 500, (path, response.status_code)
    assert "Traceback" not in response.text


@pytest.mark.parametrize("path", JUNK_POSTS)
async def test_junk_post_never_500_and_writes_nothing(client, demo, path):
    await sign_in(client, "partner-b-buyer")
    token = await csrf_token(client, "/plan")
    before = (await SupportOrder.count(), await Ticket.count(), await LedgerEntry.count())
    for data in ({}, JUNK):
        response = await client.post(path, data={**data, "_csrf_token": token}, follow_redirects=False)
        assert response.status_code < 500, (path, data, response.status_code)
        assert "Traceback" not in response.text
    assert (await SupportOrder.count(), await Ticket.count(), await LedgerEntry.count()) == before
