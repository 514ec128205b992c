"""消息中心 and 通知设置 (issue 15, SPEC.md §16): the top bar's link names the unread count; the list is newest first
with read / unread in words, each message's time and link; marking read (one, and 全部标为已读 up to what the page
showed) by plain forms with CSRF; verification codes never appear; e-mail copies only for the kinds chosen."""

from __future__ import annotations

import re
import smtplib

from models.db import write_transaction
from models.enums import Channel, NotificationKind
from models.services import inbox, notification_settings, notifications, verification
from models.services.accounts import account_by_login
from models.services.purchase import place
from models.tables import Outbox
from tests.helpers.http import csrf_token, post_form, sign_in
from tests.helpers.plans import buy_plan
from tests.unit.test_notifications import FakeSMTP

LINK_RE = re.compile(r'<li class="inbox-link"><a href="/messages"[^>]*?aria-label="([^"]*)"')


def inbox_link_name(html: str) -> str:
    """The top bar link's accessible name (its aria-label)."""
    return LINK_RE.search(html).group(1)


async def tell(login: str, subject: str, now, **kw) -> None:
    account = await account_by_login(login)
    async with write_transaction():
        await notifications.notify(account.id, subject, subject + "的正文", now, **kw)


async def test_the_top_bar_names_the_unread_count_and_a_payment_adds_one(client, demo, clock):
    await sign_in(client, "partner-a-ops")
    assert inbox_link_name((await client.get("/plan")).text) == "消息中心（0条未读）"
    await buy_plan("partner-a-ops", now=clock.now())  # 订单已支付 goes to the inbox
    page = await client.get("/plan")
    assert inbox_link_name(page.text) == "消息中心（1条未读）"
    assert '<span class="badge" aria-hidden="true">1</span>' in page.text


async def test_the_list_is_newest_first_with_its_state_time_and_link(client, demo, clock):
    await tell("partner-a", "第一条", clock.now())
    clock.advance(minutes=5)
    await tell("partner-a", "第二条", clock.now(), kind=NotificationKind.PAYMENT_RESULT, order_id="CS240101103012345")
    await sign_in(client, "partner-a")
    page = (await client.get("/messages")).text
    assert page.index("第二条") < page.index("第一条")
    assert page.count(">未读</span>") == 2 and "共 2 条消息，2 条未读" in page
    assert '<a href="/orders/CS240101103012345">查看订单 CS240101103012345</a>' in page
    assert '<a href="/plan">查看支持计划</a>' in page
    assert "2024/01/01 10:35:00" in page and "2024/01/01 10:30:00" in page
    assert 'aria-label="标为已读：第二条"' in page and ">全部标为已读</button>" in page


async def test_marking_one_read_then_all(client, demo, clock):
    for n in range(3):
        await tell("partner-a", f"消息{n}", clock.now())
    await sign_in(client, "partner-a")
    main = await account_by_login("partner-a")
    [newest, middle, oldest] = [m.id for m in (await inbox.messages(main.id))[0]]
    response = await post_form(client, f"/messages/{middle}/read", {}, token_from="/messages")
    assert response.status_code == 303 and response.headers["location"] == "/messages"
    page = (await client.get("/messages")).text
    assert page.count(">未读</span>") == 2 and page.count(">已读</span>") == 1
    assert inbox_link_name(page) == "消息中心（2条未读）"
    token = await csrf_token(client, "/messages")  # the page shows `newest`; one arrives after it
    await tell("partner-a", "新到的", clock.now())
    response = await client.post(
        "/messages/read-all", data={"up_to": str(newest), "_csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    page = (await client.get("/messages")).text
    assert "已将 2 条消息标为已读。" in page and inbox_link_name(page) == "消息中心（1条未读）"
    assert await inbox.unread_count(main.id) == 1 and oldest < newest


async def test_another_accounts_message_cannot_be_marked_and_a_form_needs_its_token(client, demo, clock):
    await tell("partner-b-buyer", "别人的", clock.now())
    other = await account_by_login("partner-b-buyer")
    [message], _ = await inbox.messages(other.id)
    await sign_in(client, "partner-a")
    response = await post_form(client, f"/messages/{message.id}/read", {}, token_from="/messages")
    assert response.status_code == 404
    assert (await client.post(f"/messages/{message.id}/read", follow_redirects=False)).status_code == 403
    assert (await client.post("/messages/read-all", follow_redirects=False)).status_code == 403
    assert await inbox.unread_count(other.id) == 1


async def test_verification_codes_never_appear_in_the_inbox(client, demo, clock):
    account = await account_by_login("partner-b-buyer")
    order_id = await place(account, "standard", 1, None, clock.now())
    for channel in ("phone", "email"):
        await verification.send_code(
            account, order_id, channel, clock.now().replace(hour=11 if channel == "email" else 10)
        )
    assert await Outbox.count().where((Outbox.account == account.id) & Outbox.body.like("%验证码%")) == 2
    assert await inbox.unread_count(account.id) == 0
    await sign_in(client, "partner-b-buyer")
    page = (await client.get("/messages")).text
    assert "验证码" not in page.split("<main")[1].split("</main>")[0].replace("验证码只通过", "")


async def test_settings_choose_email_per_kind_and_notify_respects_them(client, demo, clock, monkeypatch):
    await sign_in(client, "partner-a")
    page = (await client.get("/settings/notifications")).text
    for legend in ("到期与续费提醒", "支付结果", "退款", "合作伙伴代付申请"):
        assert f"<legend>{legend}</legend>" in page
    assert page.count('value="inbox" checked') == 4  # inbox only until chosen
    response = await post_form(
        client, "/settings/notifications", {"reminder": "email", "payment_result": "inbox", "refund": "email"}
    )
    assert response.status_code == 303
    page = (await client.get("/settings/notifications")).text
    assert "通知设置已保存。" in page and page.count('value="email" checked') == 2
    main = await account_by_login("partner-a")
    assert await notification_settings.email_kinds(main.id) == {NotificationKind.REMINDER, NotificationKind.REFUND}

    await tell("partner-a", "到期提醒", clock.now(), kind=NotificationKind.REMINDER)
    await tell("partner-a", "已支付", clock.now(), kind=NotificationKind.PAYMENT_RESULT)
    await tell("partner-a", "其他", clock.now())
    rows = await Outbox.select(Outbox.subject, Outbox.channel).where(Outbox.account == main.id).order_by(Outbox.id)
    assert [(r["subject"], r["channel"]) for r in rows] == [
        ("到期提醒", Channel.INBOX),
        ("到期提醒", Channel.EMAIL),
        ("已支付", Channel.INBOX),
        ("其他", Channel.INBOX),
    ]
    assert await inbox.unread_count(main.id) == 3  # the e-mail copy is not a second inbox message

    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    FakeSMTP.sent, FakeSMTP.fail = [], False
    assert await notifications.deliver_email("smtp://mail.test:2525", clock.now()) == 1
    assert FakeSMTP.sent[0]["Subject"] == "到期提醒"

    await post_form(client, "/settings/notifications", {"reminder": "inbox"})  # the others keep their choice
    assert await notification_settings.email_kinds(main.id) == {NotificationKind.REFUND}


async def test_the_pages_need_sign_in(client):
    for path in ("/messages", "/settings/notifications"):
        response = await client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
