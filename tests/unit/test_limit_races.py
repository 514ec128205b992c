"""Limits that hold under races (SPEC.md §12), 50 requests at once, on SQLite and on PostgreSQL: at most 5 wrong
codes checked against one code, one code per 60 seconds and at most 5 an hour for one order, the sign-in throttle
counting concurrent failures, one payment confirmed 50 times charging once. Never a 5xx."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import argon2
import pytest

from models.services import accounts, verification
from models.services.accounts import SignInRefused, account_by_login
from models.tables import Account, LedgerEntry, LoginAttempt, Outbox, SupportOrder, VerificationCode
from tests.helpers.http import csrf_token, place_order, post_form, sign_in
from tests.helpers.queries import latest_code

RACE = 50
BUYER = "partner-b-buyer"


class CountingHasher(argon2.PasswordHasher):
    """Counts the hashes actually checked (right or wrong)."""

    checked = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        type(self).checked += 1
        return super().verify(hash, password)


@pytest.fixture
def counting(monkeypatch):
    """Every argon2 check of a verification code or a password goes through one counter."""
    CountingHasher.checked = 0
    hasher = CountingHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(verification, "_hasher", hasher)
    monkeypatch.setattr(accounts, "_hasher", hasher)
    return CountingHasher


async def posts(client, path: str, data: dict, *, token_from: str, times: int = RACE):
    """`times` POSTs of one form at once, with one CSRF token, as a script would send them."""
    token = await csrf_token(client, token_from)
    return await asyncio.gather(
        *[client.post(path, data={**data, "_csrf_token": token}, follow_redirects=False) for _ in range(times)]
    )


def statuses(responses) -> list[int]:
    return sorted(response.status_code for response in responses)


async def ledger_holds() -> None:
    """Every balance is the sum of its ledger; every paid order has exactly one charge."""
    for account in await Account.select(Account.id, Account.balance_fen):
        entries = await LedgerEntry.select(LedgerEntry.amount_fen).where(LedgerEntry.account == account["id"])
        assert account["balance_fen"] == sum(entry["amount_fen"] for entry in entries)
    for order in await SupportOrder.select(SupportOrder.id).where(SupportOrder.status == "paid"):
        charges = await LedgerEntry.count().where(
            (LedgerEntry.order_id == order["id"]) & (LedgerEntry.kind == "charge")
        )
        assert charges == 1, order


async def order_waiting_for_a_code(client) -> str:
    await sign_in(client, BUYER)
    order_id = await place_order(client)
    chosen = await post_form(client, f"/orders/{order_id}/pay", {"method": "balance", "coupon": ""})
    assert chosen.headers["location"] == f"/orders/{order_id}/verify"
    return order_id


async def send_code(client, order_id: str):
    return await post_form(
        client, f"/orders/{order_id}/verify/send", {"channel": "phone"}, token_from=f"/orders/{order_id}/verify"
    )


async def test_fifty_wrong_codes_at_once_check_five_and_void_the_code(racer, demo, counting):
    order_id = await order_waiting_for_a_code(racer)
    assert (await send_code(racer, order_id)).status_code == 303
    code = await latest_code(BUYER)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    balance_before = (await account_by_login(BUYER)).balance_fen
    counting.checked = 0

    answers = await posts(racer, f"/orders/{order_id}/verify", {"code": wrong}, token_from=f"/orders/{order_id}/verify")

    assert all(status < 500 for status in statuses(answers)), statuses(answers)
    assert all(answer.status_code == 400 for answer in answers)
    assert counting.checked == verification.MAX_TRIES  # 5 checked, 45 refused unchecked
    assert sum("验证码错误" in answer.text for answer in answers) == verification.MAX_TRIES - 1
    assert sum("已输错5次" in answer.text for answer in answers) == 1
    stored = await VerificationCode.select().where(VerificationCode.order_id == order_id).first()
    assert stored["attempts"] == verification.MAX_TRIES and stored["void"] and not stored["used"]

    right = await post_form(
        racer, f"/orders/{order_id}/verify", {"code": code}, token_from=f"/orders/{order_id}/verify"
    )
    assert right.status_code == 400 and "该验证码已失效" in right.text
    assert counting.checked == verification.MAX_TRIES  # the void code is not even checked
    order = await SupportOrder.select(SupportOrder.status).where(SupportOrder.id == order_id).first()
    assert order["status"] == "pending"
    assert (await account_by_login(BUYER)).balance_fen == balance_before
    await ledger_holds()


async def test_fifty_wrong_codes_at_once_through_the_service(demo, clock, counting):
    """The same race without HTTP: each try in its own transaction, as pay_verified makes it."""
    buyer = await account_by_login(BUYER)
    from models.services import payments, purchase

    order_id = await purchase.place(buyer, "standard", 1, None, clock.now())
    await payments.choose(buyer, order_id, "balance", None, clock.now())
    await verification.send_code(buyer, order_id, "phone", clock.now())
    code = await latest_code(BUYER)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    counting.checked = 0
    results = await asyncio.gather(
        *[payments.pay_verified(buyer, order_id, wrong, clock.now()) for _ in range(RACE)], return_exceptions=True
    )
    assert all(getattr(result, "status_code", 500) == 400 for result in results), results
    assert counting.checked == verification.MAX_TRIES
    refused = await asyncio.gather(payments.pay_verified(buyer, order_id, code, clock.now()), return_exceptions=True)
    assert getattr(refused[0], "message", "") == "该验证码已失效，请重新获取。"
    assert counting.checked == verification.MAX_TRIES


async def test_fifty_code_requests_send_one_and_five_an_hour_at_most(racer, demo, clock):
    order_id = await order_waiting_for_a_code(racer)

    answers = await posts(
        racer, f"/orders/{order_id}/verify/send", {"channel": "phone"}, token_from=f"/orders/{order_id}/verify"
    )

    assert statuses(answers) == [303] + [429] * (RACE - 1)  # the 60-second rule holds under the burst
    assert sum("秒后可重新获取" in answer.text for answer in answers) == RACE - 1
    assert await VerificationCode.count().where(VerificationCode.order_id == order_id) == 1
    assert await Outbox.count().where(Outbox.subject == "身份验证码") == 1

    # An hour of the clock, a burst every 6 minutes (each after the 60 seconds): 5 codes in all, then refusals.
    start = clock.now()
    sent = 1
    for _ in range(9):
        clock.advance(minutes=6)
        burst = await posts(
            racer,
            f"/orders/{order_id}/verify/send",
            {"channel": "phone"},
            token_from=f"/orders/{order_id}/verify",
            times=10,
        )
        assert all(answer.status_code in (303, 429) for answer in burst), statuses(burst)
        assert sum(answer.status_code == 303 for answer in burst) == (1 if sent < verification.CODES_PER_WINDOW else 0)
        sent += sum(answer.status_code == 303 for answer in burst)
    assert clock.now() - start < timedelta(hours=1)
    assert await VerificationCode.count().where(VerificationCode.order_id == order_id) == verification.CODES_PER_WINDOW
    assert await Outbox.count().where(Outbox.subject == "身份验证码") == verification.CODES_PER_WINDOW

    refused = await send_code(racer, order_id)
    assert refused.status_code == 429 and "1小时内已获取5次验证码" in refused.text and "分钟后重新获取" in refused.text

    clock.moment = start + timedelta(hours=1)  # the first code of the hour leaves the window
    assert (await send_code(racer, order_id)).status_code == 303
    assert (
        await VerificationCode.count().where(VerificationCode.order_id == order_id) == verification.CODES_PER_WINDOW + 1
    )


async def test_fifty_wrong_passwords_at_once(racer, demo, clock, settings, counting):
    limit = settings.login_failures_before_throttle

    answers = await posts(racer, "/login", {"login": "partner-a", "password": "wrong-wrong"}, token_from="/login")

    assert all(status < 500 for status in statuses(answers)), statuses(answers)
    assert statuses(answers) == [401] * limit + [429] * (RACE - limit)
    assert counting.checked == limit  # the rest were told to wait, their passwords never checked
    assert sum("登录失败次数过多" in answer.text for answer in answers) == RACE - limit
    attempt = await LoginAttempt.select().where(LoginAttempt.login == "partner-a").first()
    assert attempt["failures"] == limit

    owner = await post_form(racer, "/login", {"login": "partner-a", "password": "demo-pass-2026"})
    assert owner.status_code == 429  # the owner waits too, a short while
    clock.advance(seconds=settings.login_throttle_seconds + 1)
    await sign_in(racer, "partner-a")
    assert await LoginAttempt.count().where(LoginAttempt.login == "partner-a") == 0  # a right password resets


async def test_fifty_wrong_passwords_for_an_unknown_login_at_once(racer, demo, settings, counting):
    answers = await posts(racer, "/login", {"login": "nobody-here", "password": "wrong-wrong"}, token_from="/login")
    limit = settings.login_failures_before_throttle
    assert statuses(answers) == [401] * limit + [429] * (RACE - limit)
    assert counting.checked == limit


@pytest.mark.parametrize("login", ["a" * 65, "partner-a\x00", "bad login", "\x00", "partner-a\nx"])
async def test_impossible_logins_are_wrong_without_a_look_at_the_database(racer, demo, counting, login, clock):
    for _ in range(2):  # the second sign-in with a 65-character login was a 500 on PostgreSQL
        with pytest.raises(SignInRefused) as refused:
            await accounts.authenticate(login, "wrong-wrong", clock.now())
        assert refused.value.message == "帐号或密码错误。"
        # Through HTTP the form layer may refuse a NUL first (400); never a 5xx, never a row.
        response = await post_form(racer, "/login", {"login": login, "password": "wrong-wrong"})
        assert response.status_code in (400, 401), response.status_code
    assert await LoginAttempt.count() == 0
    assert counting.checked == 0


async def test_one_payment_confirmed_fifty_times_charges_once(racer, demo):
    order_id = await order_waiting_for_a_code(racer)
    assert (await send_code(racer, order_id)).status_code == 303
    code = await latest_code(BUYER)
    balance_before = (await account_by_login(BUYER)).balance_fen

    answers = await posts(racer, f"/orders/{order_id}/verify", {"code": code}, token_from=f"/orders/{order_id}/verify")

    assert all(status < 500 for status in statuses(answers)), statuses(answers)
    # The first pays; the others find the order paid and show its result.
    assert all(answer.headers.get("location") == f"/orders/{order_id}/result" for answer in answers), statuses(answers)
    order = await SupportOrder.select(SupportOrder.status, SupportOrder.due_fen).where(SupportOrder.id == order_id)
    assert order[0]["status"] == "paid"
    charges = await LedgerEntry.select().where((LedgerEntry.order_id == order_id) & (LedgerEntry.kind == "charge"))
    assert len(charges) == 1 and charges[0]["amount_fen"] == -order[0]["due_fen"]
    assert (await account_by_login(BUYER)).balance_fen == balance_before - order[0]["due_fen"]
    await ledger_holds()
