"""通知 in the operator console (SPEC.md §15, §16): the outbox newest first with each message's delivery state (inbox
only, SMS kept, e-mail queued / sent / failed) and a failed e-mail's error; e-mail delivery keeps the error and
counts tries, stopping after MAX_ATTEMPTS; 重新发送 queues a failed e-mail again with one audit row; a partner
session gets 404."""

from __future__ import annotations

import smtplib

import pytest

from models.enums import AuditAction, Channel, DeliveryState
from models.services import notifications, outbox
from models.services.accounts import account_by_login
from models.services.errors import Conflict
from models.services.notifications import MAX_ATTEMPTS
from models.services.operators import find_operator
from models.tables import AuditEntry, Outbox
from tests.helpers.http import csrf_token, sign_in
from tests.helpers.ops import make_operator, ops_post, sign_in_operator

SMTP = "smtp://mail.test:2525"


class DownSMTP:
    """An SMTP server that refuses every connection (or, with `up`, takes every message)."""

    up = False
    sent: list = []

    def __init__(self, host, port, timeout):
        if not DownSMTP.up:
            raise smtplib.SMTPConnectError(421, "mail.test is down for maintenance")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send_message(self, message):
        DownSMTP.sent.append(message)


@pytest.fixture
def smtp(monkeypatch):
    DownSMTP.up, DownSMTP.sent = False, []
    monkeypatch.setattr(smtplib, "SMTP", DownSMTP)
    return DownSMTP


@pytest.fixture
async def operator(demo, clock):
    return await find_operator(await make_operator(clock.now()))


async def messages(clock) -> dict[str, int]:
    """One message of each channel for partner-a; returns their ids by channel."""
    account = await account_by_login("partner-a")
    ids = {}
    for channel in Channel:
        await notifications.notify(account.id, f"主题 {channel}", "正文", clock.now(), channel)
        ids[channel.value] = (await Outbox.select(Outbox.id).order_by(Outbox.id, ascending=False).first())["id"]
    return ids


async def test_failed_deliveries_keep_the_error_and_stop_after_three(operator, clock, smtp):
    ids = await messages(clock)
    email = ids["email"]
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert await notifications.deliver_email(SMTP, clock.now()) == 0
        entry = await outbox.get_entry(email)
        assert entry.attempts == attempt and entry.sent_at is None
        assert "SMTPConnectError" in entry.last_error and "down for maintenance" in entry.last_error
        assert outbox.state_of(entry) == (DeliveryState.FAILED if attempt == MAX_ATTEMPTS else DeliveryState.QUEUED)
    smtp.up = True
    assert await notifications.deliver_email(SMTP, clock.now()) == 0  # a failed one is not retried by itself
    assert smtp.sent == []


async def test_the_list_shows_each_delivery_state_newest_first(operator, clock, smtp):
    ids = await messages(clock)
    smtp.up = True
    await notifications.deliver_email(SMTP, clock.now())
    listed = await outbox.listing(login="partner-a")
    states = {m.entry.id: m.state for m in listed.messages}
    assert states[ids["inbox"]] == DeliveryState.INBOX
    assert states[ids["phone"]] == DeliveryState.SMS
    assert states[ids["email"]] == DeliveryState.SENT
    assert [m.entry.id for m in listed.messages] == sorted(states, reverse=True)
    assert (await outbox.listing(channel=Channel.EMAIL, login="partner-a")).total == 1
    assert (await outbox.listing(state=DeliveryState.SENT)).total == 1
    assert (await outbox.listing(state=DeliveryState.FAILED)).total == 0
    assert (await outbox.listing(login="nobody-here")).total == 0


async def test_resend_queues_a_failed_email_once_with_one_audit_row(operator, clock, smtp):
    ids = await messages(clock)
    for _ in range(MAX_ATTEMPTS):
        await notifications.deliver_email(SMTP, clock.now())
    resent = await outbox.resend(operator, ids["email"], clock.now())
    assert outbox.state_of(resent) == DeliveryState.QUEUED and resent.attempts == 0 and resent.last_error == ""
    again = await outbox.resend(operator, ids["email"], clock.now())  # a double submit changes nothing
    assert again == resent
    [row] = await AuditEntry.select().where(AuditEntry.action == AuditAction.RESEND_NOTIFICATION)
    assert row["operator"] == operator.id and row["account"] == resent.account
    assert f"#{ids['email']}" in row["detail"] and "SMTPConnectError" in row["detail"]
    smtp.up = True
    assert await notifications.deliver_email(SMTP, clock.now()) == 1
    assert outbox.state_of(await outbox.get_entry(ids["email"])) == DeliveryState.SENT
    with pytest.raises(Conflict):
        await outbox.resend(operator, ids["email"], clock.now())
    for channel in ("inbox", "phone"):
        with pytest.raises(Conflict):
            await outbox.resend(operator, ids[channel], clock.now())
    assert await AuditEntry.count().where(AuditEntry.action == AuditAction.RESEND_NOTIFICATION) == 1


# --- the screen ---


async def test_the_screen_lists_filters_and_resends(client, demo, clock, smtp):
    ids = await messages(clock)
    for _ in range(MAX_ATTEMPTS):
        await notifications.deliver_email(SMTP, clock.now())
    await make_operator(clock.now())
    await sign_in_operator(client)
    listed = await client.get("/ops/notifications?login=partner-a")
    assert listed.status_code == 200 and "no-store" in listed.headers["cache-control"]
    assert "邮件发送失败" in listed.text and "仅站内信" in listed.text and "down for maintenance" in listed.text
    assert "正文" not in listed.text  # bodies (a verification code is one) are not shown
    assert f"/ops/notifications/{ids['email']}/resend" in listed.text
    assert f"/ops/notifications/{ids['inbox']}/resend" not in listed.text
    failed = await client.get("/ops/notifications?state=failed&channel=email")
    assert f"主题 {Channel.EMAIL}" in failed.text and f"主题 {Channel.INBOX}" not in failed.text
    bad = await client.get("/ops/notifications?state=lost&channel=fax")
    assert bad.status_code == 400 and 'href="#state"' in bad.text and 'href="#channel"' in bad.text

    resent = await ops_post(
        client,
        f"/ops/notifications/{ids['email']}/resend",
        {"state": "failed", "login": "", "channel": ""},
        token_from="/ops/notifications",
    )
    assert resent.status_code == 303 and resent.headers["location"] == "/ops/notifications?state=failed"
    after = await client.get("/ops/notifications?login=partner-a&state=queued")
    assert 'role="status"' in after.text and "邮件待发送" in after.text
    refused = await ops_post(client, f"/ops/notifications/{ids['inbox']}/resend", {}, token_from="/ops/notifications")
    assert refused.status_code == 409 and 'role="alert"' in refused.text
    missing = await ops_post(client, "/ops/notifications/999999/resend", {}, token_from="/ops/notifications")
    assert missing.status_code == 404
    assert await AuditEntry.count().where(AuditEntry.action == AuditAction.RESEND_NOTIFICATION) == 1


async def test_a_partner_session_gets_404(client, demo, clock):
    await sign_in(client, "partner-a")
    assert (await client.get("/ops/notifications")).status_code == 404
    token = await csrf_token(client, "/plan")
    posted = await client.post("/ops/notifications/1/resend", data={"_csrf_token": token})
    assert posted.status_code == 404 and await AuditEntry.count() == 0


async def test_ids_no_row_can_have_are_not_found(client, demo, clock):
    await make_operator(clock.now())
    await sign_in_operator(client)
    for path in ("/ops/notifications/99999999999/resend", "/ops/coupons/99999999999/revoke"):
        assert (await ops_post(client, path, {}, token_from="/ops/coupons")).status_code == 404
    assert await AuditEntry.count() == 0
