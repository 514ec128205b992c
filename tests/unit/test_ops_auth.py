"""The operator console's sign-in (SPEC.md §15): its own session kind, the partners' throttle, CSRF and headers.
A partner session gets 404 under /ops; an operator session is not signed in on the partner console."""

from __future__ import annotations

import pytest

from models.services import operators
from models.services.accounts import SignInRefused, SignInThrottled, create_partner
from models.services.errors import Conflict, DomainError
from models.tables import LoginAttempt, WebSession
from tests.helpers.http import post_form, sign_in
from tests.helpers.ops import OPS_LOGIN, OPS_PASSWORD, make_operator, sign_in_operator


async def test_create_operator_refuses_a_bad_login_a_short_password_and_a_taken_login(db, clock):
    with pytest.raises(DomainError, match="运营帐号"):
        await operators.create_operator("a b", "long-enough-1", clock.now())
    with pytest.raises(DomainError, match="密码至少8个字符"):
        await operators.create_operator("ops-x", "short", clock.now())
    await operators.create_operator("ops-x", "long-enough-1", clock.now())
    with pytest.raises(Conflict):
        await operators.create_operator("ops-x", "long-enough-2", clock.now())


async def test_authenticate_an_operator_and_refuse_a_partner_login(db, clock):
    operator_id = await make_operator(clock.now())
    assert await operators.authenticate(OPS_LOGIN, OPS_PASSWORD, clock.now()) == operator_id
    await create_partner("partner-z", "partner-pass-1", "某公司", clock.now())
    with pytest.raises(SignInRefused):
        await operators.authenticate("partner-z", "partner-pass-1", clock.now())
    with pytest.raises(SignInRefused):
        await operators.authenticate(OPS_LOGIN, "wrong-password", clock.now())


async def test_the_throttle_counts_operators_apart_from_partners(db, clock):
    await make_operator(clock.now())
    await create_partner(OPS_LOGIN, "partner-pass-1", "同名公司", clock.now())
    for _ in range(3):
        with pytest.raises(SignInRefused):
            await operators.authenticate(OPS_LOGIN, "wrong", clock.now(), max_failures=3)
    with pytest.raises(SignInThrottled):
        await operators.authenticate(OPS_LOGIN, OPS_PASSWORD, clock.now(), max_failures=3)
    keys = {row["login"] for row in await LoginAttempt.select(LoginAttempt.login)}
    assert keys == {"ops:" + OPS_LOGIN}  # the partner of the same login is not slowed


async def test_ops_login_page_signs_in_and_out(client, clock):
    await make_operator(clock.now())
    page = await client.get("/ops/login")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"
    for name in ("帐号", "密码", "登录", "运营控制台"):
        assert name in page.text
    response = await sign_in_operator(client)
    assert response.headers["location"] == "/ops/partners"
    out = await post_form(client, "/ops/logout", {}, token_from="/ops/login")
    assert out.status_code == 303 and out.headers["location"] == "/ops/login"
    assert await WebSession.count() == 0


async def test_a_wrong_password_is_a_401_with_the_error_summary(client, clock):
    await make_operator(clock.now())
    response = await post_form(client, "/ops/login", {"login": OPS_LOGIN, "password": "nope-nope"})
    assert response.status_code == 401
    assert "存在问题" in response.text and "帐号或密码错误" in response.text


async def test_the_web_throttle_answers_429(client, clock, settings):
    await make_operator(clock.now())
    for _ in range(settings.login_failures_before_throttle):
        await post_form(client, "/ops/login", {"login": OPS_LOGIN, "password": "nope-nope"})
    throttled = await post_form(client, "/ops/login", {"login": OPS_LOGIN, "password": OPS_PASSWORD})
    assert throttled.status_code == 429
    assert "登录失败次数过多" in throttled.text


async def test_no_session_is_sent_to_ops_login(client):
    response = await client.get("/ops/partners", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/ops/login?next=/ops/partners"


async def test_a_partner_session_gets_404_under_ops(client, demo):
    await sign_in(client, "partner-a")
    response = await client.get("/ops/partners", follow_redirects=False)
    assert response.status_code == 404
    assert "页面不存在" in response.text


async def test_an_operator_session_is_not_signed_in_on_the_partner_console(client, clock):
    await make_operator(clock.now())
    await sign_in_operator(client)
    for path in ("/plan", "/balance", "/orders"):
        response = await client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next="), path


async def test_signing_in_as_operator_ends_the_partner_session(client, demo, clock):
    await make_operator(clock.now())
    await sign_in(client, "partner-a")
    partner_cookie = client.cookies.get("console_session")
    await sign_in_operator(client)
    assert client.cookies.get("console_session") != partner_cookie
    assert not await WebSession.exists().where(WebSession.key == partner_cookie)
    sessions = await WebSession.select(WebSession.account, WebSession.data)
    assert len(sessions) == 1 and sessions[0]["account"] is None and "operator_id" in sessions[0]["data"]
    assert (await client.get("/plan", follow_redirects=False)).status_code == 303


async def test_signing_in_as_partner_ends_the_operator_session(client, demo, clock):
    await make_operator(clock.now())
    await sign_in_operator(client)
    await sign_in(client, "partner-a")
    sessions = await WebSession.select(WebSession.data)
    assert len(sessions) == 1 and "operator_id" not in sessions[0]["data"]
    assert (await client.get("/ops/partners", follow_redirects=False)).status_code == 404


async def test_a_post_without_csrf_token_is_refused(client, clock):
    await make_operator(clock.now())
    response = await client.post(
        "/ops/login", data={"login": OPS_LOGIN, "password": OPS_PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403
    assert "表单已失效" in response.text


async def test_next_is_only_an_ops_path(client, clock):
    await make_operator(clock.now())
    token_page = await client.get("/ops/login?next=/plan")
    assert 'name="next" value="/ops/partners"' in token_page.text
    response = await post_form(
        client, "/ops/login", {"login": OPS_LOGIN, "password": OPS_PASSWORD, "next": "//evil.example/ops/x"}
    )
    assert response.headers["location"] == "/ops/partners"


async def test_a_disabled_operator_is_refused_and_its_session_ends(client, clock):
    from models.tables import Operator as OperatorTable

    await make_operator(clock.now())
    await sign_in_operator(client)
    await OperatorTable.update({OperatorTable.disabled: True}).where(OperatorTable.login == OPS_LOGIN)
    response = await client.get("/ops/partners", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/ops/login")
    with pytest.raises(SignInRefused):
        await operators.authenticate(OPS_LOGIN, OPS_PASSWORD, clock.now())
