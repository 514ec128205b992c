"""E-mail delivery of the outbox (CONSOLE_SMTP_URL): each message once, retried after a failure."""

from __future__ import annotations

import smtplib

from models.services import notifications, verification
from models.services.accounts import account_by_login
from models.services.purchase import place
from models.tables import Outbox


class FakeSMTP:
    sent: list = []
    fail = False

    def __init__(self, host, port, timeout):
        self.address = (host, port)

    def __enter__(self):
        if FakeSMTP.fail:
            raise smtplib.SMTPConnectError(421, "down")
        return self

    def __exit__(self, *exc):
        return False

    def login(self, user, password):
        self.user = user

    def send_message(self, message):
        FakeSMTP.sent.append(message)


async def test_codes_go_out_by_email_once_and_come_back_after_a_failure(demo, clock, monkeypatch):
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    FakeSMTP.sent = []
    account = await account_by_login("partner-b-buyer")
    order_id = await place(account, "standard", 1, None, clock.now())
    await verification.send_code(account, order_id, "email", clock.now())

    FakeSMTP.fail = True
    assert await notifications.deliver_email("smtp://mail.test:2525", clock.now()) == 0
    assert await Outbox.count().where(Outbox.sent_at.is_null() & (Outbox.channel == "email")) == 1

    FakeSMTP.fail = False
    assert await notifications.deliver_email("smtp://user:pw@mail.test:2525", clock.now()) == 1
    assert await notifications.deliver_email("smtp://user:pw@mail.test:2525", clock.now()) == 0
    [message] = FakeSMTP.sent
    assert message["To"] == "buyer@haichuan.example" and "验证码" in message.get_content()


async def test_without_smtp_the_outbox_keeps_everything(demo, clock):
    assert await notifications.deliver_email(None, clock.now()) == 0
