"""The foundation through HTTP: sign-in, the detail page, errors, CSRF, headers, language."""

from __future__ import annotations

from tests.helpers.http import csrf_token, post_form, sign_in


async def test_sign_in_then_detail_page_shows_basic_level(client, demo):
    await sign_in(client, "partner-a-ops")
    page = await client.get("/plan")
    assert page.status_code == 200
    assert "合作伙伴支持计划" in page.text
    assert "基础级" in page.text
    assert "无（基础级长期有效）" in page.text
    assert 'href="/plan/change"' in page.text
    assert "时钟已固定为 2024/01/01 10:30:00" in page.text


async def test_wrong_password_is_401_with_message_next_to_form(client, demo):
    response = await post_form(client, "/login", {"login": "partner-a", "password": "wrong-password"})
    assert response.status_code == 401
    assert "帐号或密码错误。" in response.text
    assert 'id="login-error"' in response.text
    assert "<title>错误：" in response.text
    unknown = await post_form(client, "/login", {"login": "nobody", "password": "wrong-password"})
    assert "帐号或密码错误。" in unknown.text  # the same words: no hint which part was wrong


async def test_ten_failures_slow_down_the_login_then_let_the_owner_in(client, demo, clock):
    for _ in range(10):
        response = await post_form(client, "/login", {"login": "partner-a", "password": "nope-nope"})
        assert response.status_code == 401
    throttled = await post_form(client, "/login", {"login": "partner-a", "password": "demo-pass-2026"})
    assert throttled.status_code == 429
    assert "登录失败次数过多" in throttled.text
    clock.advance(seconds=31)
    await sign_in(client, "partner-a")


async def test_unsigned_visit_redirects_to_login(client, demo):
    response = await client.get("/plan", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/plan"


async def test_post_without_csrf_is_refused_with_a_page(client, demo):
    await csrf_token(client)
    response = await client.post("/login", data={"login": "partner-a", "password": "demo-pass-2026"})
    assert response.status_code == 403
    assert "表单已失效" in response.text


async def test_unknown_url_is_a_404_page(client):
    response = await client.get("/no/such/page")
    assert response.status_code == 404
    assert "页面不存在" in response.text
    assert "Traceback" not in response.text


async def test_an_unknown_url_speaks_the_chosen_language(client):
    """The locale is set before routing: a 404 (no route, so no route middleware) is English when asked."""
    client.cookies.set("lang", "en")
    response = await client.get("/no/such/page")
    assert response.status_code == 404
    assert '<html lang="en">' in response.text and "Page not found" in response.text
    assert "页面不存在" not in response.text


async def test_security_headers(client):
    response = await client.get("/login")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


async def test_language_switch_gives_english(client, demo):
    await sign_in(client, "partner-a-ops")
    response = await client.get("/lang/en?next=/plan", follow_redirects=True)
    assert '<html lang="en">' in response.text
    assert "Partner Support Plan" in response.text and "Basic" in response.text
    assert "中文" in response.text


async def test_open_redirect_is_not_followed(client, demo):
    response = await client.get("/lang/en?next=//evil.example/x", follow_redirects=False)
    assert response.headers["location"] == "/plan"


async def test_sign_out(client, demo):
    await sign_in(client, "partner-a")
    response = await post_form(client, "/logout", {}, token_from="/plan")
    assert response.status_code == 303
    assert (await client.get("/plan", follow_redirects=False)).status_code == 303


async def test_an_expired_session_asks_to_sign_in_again(client, demo, clock):
    await sign_in(client, "partner-a")
    clock.advance(hours=8, seconds=1)
    response = await client.get("/plan", follow_redirects=True)
    assert "请登录后继续" in response.text
