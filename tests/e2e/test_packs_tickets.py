"""As a new user would (issue 7): a Standard partner with the clock pinned buys 2 ticket add-on packs (JavaScript
off), sees 50 technical tickets for the month, submits tickets until the quota is reached, is refused and offered
购买工单增购包, and on the 1st of the next month sees 30 again. axe runs on the new screens in both locales."""

from __future__ import annotations

import re

from a11y import assert_no_axe_violations
from flows import buy_by_balance, pay_by_balance, sign_in
from playwright.sync_api import Page, expect

BUYER = "partner-a-ops"
JANUARY = "2024-01-15T10:00:00+08:00"
FEBRUARY_1ST = "2024-02-01T00:00:00+08:00"


def quota_row(page: Page):
    return page.locator(".summary-list .row", has_text="本月技术类工单")


def submit_ticket_form(page: Page, title: str, kind: str = "技术类"):
    """The form of the 工单 page (a submitted ticket opens on its own page: back to the list first)."""
    if not page.url.endswith("/tickets"):
        page.goto("/tickets")
    page.get_by_role("radio", name=kind, exact=True).check()
    page.get_by_role("radio", name="生产系统不可用（响应时间30分钟）").check()
    page.get_by_label("标题").fill(title)
    page.get_by_label("问题描述").fill(f"{title}：生产环境的云主机无法访问。")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/tickets")) as posted:
        page.get_by_role("button", name="提交工单").click()
    return posted.value


def test_two_packs_fifty_tickets_refused_then_thirty_next_month(make_server, new_context):
    srv = make_server(now=JANUARY)
    page = new_context(base_url=srv.url).new_page()
    sign_in(page, BUYER)
    buy_by_balance(page, srv, BUYER)
    page.goto("/plan")
    expect(quota_row(page)).to_contain_text("已用 0 / 共 30")

    # The pack purchase, JavaScript off: 计算费用 instead of the live preview, then 订单确认 → 去购买 → payment.
    no_js = new_context(base_url=srv.url, java_script_enabled=False).new_page()
    sign_in(no_js, BUYER)
    no_js.get_by_role("link", name="购买工单增购包").click()
    expect(no_js.get_by_role("heading", name="购买工单增购包")).to_be_visible()
    no_js.get_by_label("增购包个数").fill("0")
    no_js.get_by_role("button", name="计算费用").click()
    expect(no_js.locator("#count-error")).to_contain_text("1至99")
    no_js.get_by_label("增购包个数").fill("2")
    no_js.get_by_role("button", name="计算费用").click()
    expect(no_js.get_by_role("status")).to_contain_text("¥4,000.00")
    expect(no_js.get_by_role("status")).to_contain_text("由30个增加到50个")
    no_js.get_by_role("button", name="立即购买").click()
    expect(no_js.get_by_role("heading", name="订单确认")).to_be_visible()
    expect(no_js.locator(".summary-list")).to_contain_text("¥4,000.00")
    no_js.get_by_role("button", name="去购买").click()  # the agreement is not ticked yet
    expect(no_js.locator("#agree-error")).to_be_visible()
    no_js.get_by_role("checkbox", name="我已阅读并同意《合作伙伴支持计划服务协议》").check()
    no_js.get_by_role("button", name="去购买").click()
    expect(no_js).to_have_url(re.compile(r"/orders/CS\d+/pay$"))
    pay_by_balance(no_js, srv, BUYER)
    no_js.goto("/plan")
    expect(quota_row(no_js)).to_contain_text("已用 0 / 共 50")
    expect(quota_row(no_js)).to_contain_text("2024/01/31 23:59:59")

    # With JavaScript the price follows the number as it is typed (htmx, role=status).
    page.goto("/plan/packs")
    expect(page.get_by_role("status")).to_contain_text("由50个增加到60个")
    page.get_by_label("增购包个数").fill("3")
    expect(page.get_by_role("status")).to_contain_text("¥6,000.00")
    expect(page.get_by_role("status")).to_contain_text("由50个增加到80个")
    assert_no_axe_violations(page)
    page.get_by_label("增购包个数").fill("100")
    expect(page.get_by_role("status")).to_contain_text("1至99")
    page.get_by_label("增购包个数").fill("1")
    page.get_by_role("button", name="立即购买").click()
    expect(page.get_by_role("heading", name="订单确认")).to_be_visible()
    assert_no_axe_violations(page)

    # Tickets: most through the browser context's HTTP client (same session and CSRF token), the rest by the form.
    page.goto("/tickets")
    expect(quota_row(page)).to_contain_text("已用 0 / 共 50")
    assert_no_axe_violations(page)
    token = page.locator('input[name="_csrf_token"]').first.get_attribute("value")
    for n in range(1, 48):
        response = page.request.post(
            "/tickets",
            max_redirects=0,
            form={
                "_csrf_token": token,
                "kind": "technical",
                "severity": "general",
                "title": f"批量工单 {n}",
                "description": "通过表单提交的技术类工单。",
            },
        )
        assert response.status == 303, (n, response.status, response.text()[:500])
    page.goto("/tickets")
    expect(quota_row(page)).to_contain_text("已用 47 / 共 50")
    for n in range(48, 51):
        assert submit_ticket_form(page, f"表单工单 {n}").status == 303
        expect(page).to_have_url(re.compile(r"/tickets/\d+$"))  # the ticket's own page
        expect(page.get_by_role("status").filter(has_text="已提交")).to_be_visible()
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"表单工单 {n}")
    page.goto("/tickets")
    expect(quota_row(page)).to_contain_text("已用 50 / 共 50")
    expect(page.get_by_role("cell", name="表单工单 50")).to_be_visible()
    # 技术类 says on the radio itself that the month is used up (with the pack link), and stays enabled
    technical = page.get_by_role("radio", name="技术类", exact=True)
    expect(technical).to_be_enabled()
    expect(technical).to_have_accessible_description(re.compile("本月配额已用完"))

    refused = submit_ticket_form(page, "第51个技术类工单")
    assert refused.status == 409
    expect(page.get_by_role("alert")).to_contain_text("本月技术类工单配额（50个）已用完")
    expect(page.locator("#kind-error")).to_be_visible()
    expect(page.get_by_label("标题")).to_have_value("第51个技术类工单")
    assert_no_axe_violations(page)
    assert submit_ticket_form(page, "业务类工单不受限制", kind="业务类").status == 303
    page.goto("/tickets")
    expect(quota_row(page)).to_contain_text("已用 50 / 共 50")
    page.get_by_role("link", name="购买工单增购包").first.click()
    expect(page.get_by_role("heading", name="购买工单增购包")).to_be_visible()

    # The same screens in English.
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert_no_axe_violations(page)
    page.get_by_role("button", name=re.compile("立即购买|Buy now")).click()
    assert_no_axe_violations(page)
    page.goto("/tickets")
    assert_no_axe_violations(page)
    page.get_by_role("button", name=re.compile("提交工单|Submit")).click()  # nothing chosen: errors in English
    assert_no_axe_violations(page)
    page.get_by_role("link", name="中文").click()

    # 1 February 00:00 in Beijing: the packs have lapsed and the month starts again with 30.
    srv.restart(now=FEBRUARY_1ST)
    sign_in(page, BUYER)  # two weeks later the session has expired
    page.goto("/plan")
    expect(quota_row(page)).to_contain_text("已用 0 / 共 30")
    expect(quota_row(page)).not_to_contain_text("增购包")
    page.goto("/tickets")
    assert submit_ticket_form(page, "二月的第一个技术类工单").status == 303
    page.goto("/tickets")
    expect(quota_row(page)).to_contain_text("已用 1 / 共 30")


def test_basic_plans_are_told_why_there_are_no_packs(server, new_context):
    page = new_context().new_page()
    sign_in(page, "partner-b-buyer")
    response = page.goto("/plan/packs")
    assert response.status == 409
    expect(page.get_by_role("alert")).to_contain_text("工单增购包仅适用于标准级合作伙伴支持计划")
    expect(page.get_by_label("增购包个数")).to_have_count(0)
    assert_no_axe_violations(page)
    page.goto("/tickets")
    expect(page.get_by_role("radio", name="技术类")).to_be_disabled()
    assert_no_axe_violations(page)
    page.get_by_role("link", name="English").click()
    page.goto("/plan/packs")
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Back to your support plan").click()
    expect(page).to_have_url(re.compile(r"/plan$"))
