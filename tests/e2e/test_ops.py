"""The operator console in the browser, zh-CN and English (issue 14, SPEC.md §15): the demo operator signs in at
/ops/login, creates a partner and a member, certifies the partner, tops its balance up by keyboard only, and
finds each action in 操作日志; axe-core on every screen at 1280 and 375 px; a partner's session gets 404 under
/ops. Screenshots land in tests/e2e/artifacts/ops/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from a11y import assert_no_axe_violations
from flows import EN, PASSWORD, PINNED, ZH, exact, expect_locale, set_locale, sign_in, tab_to, tr
from playwright.sync_api import Page, expect

OPERATOR = "ops-admin"
SHOTS = Path(__file__).resolve().parent / "artifacts" / "ops"
WIDTHS = (1280, 375)


@pytest.fixture(scope="module")
def ops_server(tmp_path_factory):
    from server import ConsoleServer

    srv = ConsoleServer(tmp_path_factory.mktemp("ops"), now=PINNED)
    srv.start()
    yield srv
    srv.stop()


def check_screen(page: Page, name: str, locale: str) -> None:
    """axe at both widths, with a screenshot of each."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert_no_axe_violations(page)
        page.screenshot(path=str(SHOTS / f"{name}-{locale}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def ops_sign_in(page: Page, locale: str) -> None:
    page.goto("/ops/login")
    expect_locale(page, locale)
    expect(page.get_by_role("heading", name=tr(locale, "运营登录"), exact=True)).to_be_visible()
    check_screen(page, "login", locale)
    page.get_by_label(tr(locale, "帐号"), exact=True).fill(OPERATOR)
    page.get_by_label(tr(locale, "密码"), exact=True).fill(PASSWORD)
    page.get_by_role("button", name=tr(locale, "登录"), exact=True).click()
    expect(page.get_by_role("button", name=tr(locale, "退出"), exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name=tr(locale, "合作伙伴"), exact=True)).to_be_visible()


def menu(page: Page, locale: str, item: str) -> None:
    nav = page.get_by_role("navigation", name=tr(locale, "运营菜单"))
    nav.get_by_role("link", name=tr(locale, item), exact=True).click()
    expect(nav.get_by_role("link", name=tr(locale, item), exact=True)).to_have_attribute("aria-current", "page")


@pytest.mark.parametrize("locale", [ZH, EN])
def test_an_operator_creates_certifies_tops_up_and_finds_it_in_the_log(new_context, ops_server, locale):
    context = new_context(base_url=ops_server.url)
    page = context.new_page()
    page.goto("/ops/login")
    set_locale(page, locale)
    ops_sign_in(page, locale)
    main, member = f"e2e-main-{locale}", f"e2e-member-{locale}"
    company = f"端到端测试公司 {locale}"

    check_screen(page, "partners", locale)
    page.get_by_role("searchbox", name=tr(locale, "帐号或公司名称")).or_(
        page.get_by_label(tr(locale, "帐号或公司名称"))
    ).first.fill("海川")
    page.get_by_role("button", name=tr(locale, "搜索"), exact=True).click()
    table = page.get_by_role("region", name=tr(locale, "合作伙伴列表"))
    expect(table.get_by_role("link", name="partner-b", exact=True)).to_be_visible()
    expect(table.get_by_role("link", name="partner-a", exact=True)).to_have_count(0)

    # 创建主帐号: a refusal first (the error summary, the field marked), then done.
    page.get_by_role("link", name=tr(locale, "创建主帐号"), exact=True).click()
    page.get_by_label(tr(locale, "帐号"), exact=True).fill(main)
    page.get_by_label(tr(locale, "初始密码"), exact=True).fill("short")
    page.get_by_label(tr(locale, "公司名称"), exact=True).fill(company)
    page.get_by_role("button", name=tr(locale, "创建主帐号"), exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text(tr(locale, "密码至少8个字符。"))
    expect(page.get_by_label(tr(locale, "初始密码"), exact=True)).to_have_attribute("aria-invalid", "true")
    check_screen(page, "partner-new-error", locale)
    page.get_by_label(tr(locale, "初始密码"), exact=True).fill("e2e-pass-2026")
    page.get_by_role("button", name=tr(locale, "创建主帐号"), exact=True).click()
    expect(
        page.get_by_role("status").filter(has_text=tr(locale, "已创建主帐号 %(login)s。", login=main))
    ).to_be_visible()
    expect(page.get_by_role("heading", name=company, exact=True)).to_be_visible()

    # 创建子帐号 from the partner's page (the main account filled in).
    page.get_by_role("link", name=tr(locale, "创建子帐号"), exact=True).click()
    expect(page.get_by_label(tr(locale, "主帐号"), exact=True)).to_have_value(main)
    page.get_by_label(tr(locale, "帐号"), exact=True).fill(member)
    page.get_by_label(tr(locale, "初始密码"), exact=True).fill("e2e-pass-2026")
    page.get_by_label(tr(locale, "公司名称"), exact=True).fill(company)
    page.get_by_label(tr(locale, "手机号码"), exact=True).fill("13600000000")
    page.get_by_label(tr(locale, "邮箱"), exact=True).fill("member@e2e.example")
    check_screen(page, "member-new", locale)
    page.get_by_role("button", name=tr(locale, "创建子帐号"), exact=True).click()
    expect(
        page.get_by_role("status").filter(has_text=tr(locale, "已创建子帐号 %(login)s。", login=member))
    ).to_be_visible()
    members = page.get_by_role("region", name=tr(locale, "主帐号与子帐号"))
    expect(members.get_by_role("cell", name=member, exact=True)).to_be_visible()

    # 认证
    page.get_by_label(tr(locale, "原因（选填）"), exact=True).fill("资质审核通过")
    page.get_by_role("button", name=tr(locale, "认证"), exact=True).click()
    expect(page.get_by_role("status").filter(has_text=tr(locale, "已认证该合作伙伴。"))).to_be_visible()
    expect(page.get_by_role("button", name=tr(locale, "取消认证"), exact=True)).to_be_visible()
    check_screen(page, "partner", locale)

    # 余额充值 by keyboard only: from the menu link to the result.
    nav = page.get_by_role("navigation", name=tr(locale, "运营菜单"))
    tab_to(page, nav.get_by_role("link", name=tr(locale, "余额充值"), exact=True))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=tr(locale, "余额充值"), exact=True)).to_be_visible()
    tab_to(page, page.get_by_label(tr(locale, "帐号"), exact=True))
    page.keyboard.type(main)
    page.keyboard.press("Tab")
    page.keyboard.type("1,234.56")
    page.keyboard.press("Tab")
    page.keyboard.type("线下汇款到账")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name=tr(locale, "确认充值"), exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    done = page.get_by_role("status").filter(has_text="¥1,234.56")
    expect(done).to_be_visible()
    check_screen(page, "top-up-done", locale)
    # A refused top-up: the reason is required.
    page.get_by_label(tr(locale, "帐号"), exact=True).fill(main)
    page.get_by_label(tr(locale, "充值金额（元）"), exact=True).fill("10")
    page.get_by_role("button", name=tr(locale, "确认充值"), exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text(tr(locale, "请填写原因。"))
    check_screen(page, "top-up-error", locale)

    # 操作日志: each action, newest first, filtered to the new partner.
    menu(page, locale, "操作日志")
    page.get_by_label(tr(locale, "帐号"), exact=True).fill(main)
    page.get_by_role("button", name=tr(locale, "筛选"), exact=True).click()
    log = page.get_by_role("region", name=tr(locale, "操作记录"))
    rows = log.get_by_role("row")
    expect(rows).to_have_count(4)  # the header, 余额充值, 认证, 创建主帐号 (the member's row names the member)
    expect(rows.nth(1)).to_contain_text(tr(locale, "余额充值"))
    expect(rows.nth(1)).to_contain_text("线下汇款到账")
    expect(rows.nth(2)).to_contain_text(tr(locale, "认证"))
    expect(rows.nth(3)).to_contain_text(tr(locale, "创建主帐号"))
    check_screen(page, "audit", locale)
    page.get_by_label(tr(locale, "帐号"), exact=True).fill(member)
    page.get_by_role("button", name=tr(locale, "筛选"), exact=True).click()
    expect(log.get_by_role("row").nth(1)).to_contain_text(tr(locale, "创建子帐号"))
    for entry in (OPERATOR,):
        expect(log.get_by_role("cell", name=exact(entry)).first).to_be_visible()

    # The partner's page shows the credited balance and the ledger row naming the operator.
    menu(page, locale, "合作伙伴")
    page.get_by_label(tr(locale, "帐号或公司名称")).fill(main)
    page.get_by_role("button", name=tr(locale, "搜索"), exact=True).click()
    page.get_by_role("link", name=main, exact=True).click()
    ledger = page.get_by_role("region", name=tr(locale, "收支明细"))
    expect(ledger).to_contain_text(re.compile(r"运营充值（ops-admin）：线下汇款到账"))
    page.get_by_role("button", name=tr(locale, "退出"), exact=True).click()
    expect(page.get_by_role("heading", name=tr(locale, "运营登录"), exact=True)).to_be_visible()
    context.close()


def test_a_partner_session_gets_404_under_ops(new_context, ops_server):
    context = new_context(base_url=ops_server.url)
    page = context.new_page()
    sign_in(page, "partner-a")
    response = page.goto("/ops/partners")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name=tr(ZH, "页面不存在"))).to_be_visible()
    context.close()
