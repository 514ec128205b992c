"""优惠券, 线下合同订单 and 通知 of the operator console in the browser, zh-CN and English (issue 14, SPEC.md §15):
an operator grants a 代金券 (refused first without an amount) that a member then ticks on the payment page and pays
with; an operator confirms a member's 申请线上合同请款后支付 order with its payment reference (refused first without
one) and the member's order shows 已支付; the e-mail of a verification code that could not be delivered is listed
failed with its error and sent again (重新发送). axe-core on each screen at 1280 and 375 px; screenshots in
tests/e2e/artifacts/ops/."""

from __future__ import annotations

import re

import pytest
from flows import EN, PASSWORD, PINNED, ZH, place_order, set_locale, sign_in, summary_value, tr
from ops_flows import check_screen, menu, ops_sign_in
from playwright.sync_api import Page, expect
from server import free_port, latest_code

VOUCHER = "¥200.00"


@pytest.fixture(scope="module")
def ops_server(tmp_path_factory):
    """A console whose e-mail server refuses every connection (a closed port), so deliveries fail."""
    from server import ConsoleServer

    smtp = f"smtp://127.0.0.1:{free_port()}"
    srv = ConsoleServer(tmp_path_factory.mktemp("ops-coupons"), now=PINNED, extra_env={"CONSOLE_SMTP_URL": smtp})
    srv.start()
    yield srv
    srv.stop()


def new_partner(srv, login: str) -> None:
    srv.cli(
        "account",
        "create-partner",
        login,
        "--password",
        PASSWORD,
        "--company",
        f"端到端 {login}",
        "--certified",
        "--phone",
        "13800000001",
        "--email",
        f"{login}@e2e.example",
    )


def pay_by_balance_with_an_email_code(page: Page, srv, login: str, locale: str) -> None:
    """余额支付, 确认付款, 身份验证 by 邮箱 (its e-mail cannot be delivered: the code is read from the outbox)."""
    page.get_by_role("radio", name=tr(locale, "余额支付"), exact=True).check()
    page.get_by_role("button", name=tr(locale, "确认付款"), exact=True).click()
    expect(page.get_by_role("heading", name=tr(locale, "身份验证"), exact=True)).to_be_visible()
    page.get_by_role("radio", name=tr(locale, "邮箱"), exact=True).check()
    page.get_by_role("button", name=tr(locale, "获取验证码"), exact=True).click()
    expect(page.get_by_role("status").filter(has_text=re.compile(r"\*{2}"))).to_be_visible()
    page.get_by_label(tr(locale, "验证码"), exact=True).fill(latest_code(srv, login))
    page.get_by_role("button", name=tr(locale, "确定"), exact=True).click()
    expect(page.get_by_role("heading", name=tr(locale, "支付成功"), exact=True)).to_be_visible()


@pytest.mark.parametrize("locale", [ZH, EN])
def test_a_coupon_granted_is_used_and_a_failed_email_is_sent_again(new_context, ops_server, locale):
    srv = ops_server
    buyer = f"e2e-coupon-{locale.lower()}"
    new_partner(srv, buyer)
    srv.cli("balance", "top-up", buyer, "20000")

    ops = new_context(base_url=srv.url).new_page()
    ops.goto("/ops/login")
    set_locale(ops, locale)
    ops_sign_in(ops, locale)
    menu(ops, locale, "优惠券")
    check_screen(ops, "coupons", locale)

    # 发放 a 代金券: refused without its amount (the summary, the field marked), then granted.
    grant = ops.get_by_role("form", name=tr(locale, "发放优惠券"))
    grant.get_by_label(tr(locale, "帐号"), exact=True).fill(buyer)
    grant.get_by_role("radio", name=tr(locale, "代金券"), exact=True).check()
    grant.get_by_role("button", name=tr(locale, "发放"), exact=True).click()
    expect(ops.get_by_role("alert")).to_contain_text(
        tr(locale, "请输入代金券金额：大于0，最多两位小数，例如 100 或 1,000.00。")
    )
    amount = ops.get_by_label(tr(locale, "代金券金额（元）"), exact=True)
    expect(amount).to_have_attribute("aria-invalid", "true")
    check_screen(ops, "coupons-error", locale)
    amount.fill("200")
    ops.get_by_role("button", name=tr(locale, "发放"), exact=True).click()
    expect(ops.get_by_role("status").filter(has_text=buyer)).to_contain_text(VOUCHER)
    coupons = ops.get_by_role("region", name=tr(locale, "优惠券列表"))
    expect(coupons.get_by_role("row").filter(has_text=buyer)).to_contain_text(tr(locale, "未使用"))
    check_screen(ops, "coupons-granted", locale)

    # The member ticks it on the payment page and pays ¥8,300.00 by balance.
    member = new_context(base_url=srv.url).new_page()
    sign_in(member, buyer)
    place_order(member)
    set_locale(member, locale)
    member.reload()
    member.get_by_role("radio", name=tr(locale, "代金券 %(amount)s", amount=VOUCHER)).check()
    expect(summary_value(member, tr(locale, "应付金额"))).to_contain_text("¥8,300.00")
    pay_by_balance_with_an_email_code(member, srv, buyer, locale)
    expect(member.get_by_role("main")).to_contain_text("¥8,300.00")

    # The coupon is now 已使用 and cannot be revoked.
    ops.goto(f"/ops/coupons?login={buyer}")
    row = coupons.get_by_role("row").filter(has_text=buyer)
    expect(row).to_contain_text(tr(locale, "已使用"))
    expect(row.get_by_role("button", name=re.compile(re.escape(tr(locale, "作废"))))).to_have_count(0)

    # The code's e-mail failed (the server refuses connections); after three tries it is 邮件发送失败.
    srv.cli("tick")
    srv.cli("tick")
    menu(ops, locale, "通知")
    ops.get_by_label(tr(locale, "帐号"), exact=True).fill(buyer)
    ops.get_by_label(tr(locale, "投递状态"), exact=True).select_option("failed")
    ops.get_by_role("button", name=tr(locale, "筛选"), exact=True).click()
    outbox = ops.get_by_role("region", name=tr(locale, "通知列表"))
    failed = outbox.get_by_role("row").filter(has_text=buyer)
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text(tr(locale, "邮件发送失败"))
    expect(failed).to_contain_text("ConnectionRefusedError")
    check_screen(ops, "notifications", locale)
    failed.get_by_role("button", name=re.compile("^" + re.escape(tr(locale, "重新发送")))).click()
    expect(ops.get_by_role("status").filter(has_text=buyer)).to_be_visible()
    expect(outbox.get_by_role("row").filter(has_text=buyer)).to_have_count(0)  # no longer failed
    ops.get_by_label(tr(locale, "投递状态"), exact=True).select_option("queued")
    ops.get_by_role("button", name=tr(locale, "筛选"), exact=True).click()
    expect(outbox.get_by_role("row").filter(has_text=buyer)).to_contain_text(tr(locale, "邮件待发送"))


@pytest.mark.parametrize("locale", [ZH, EN])
def test_an_offline_contract_order_confirmed_shows_paid(new_context, ops_server, locale):
    srv = ops_server
    buyer = f"e2e-contract-{locale.lower()}"
    new_partner(srv, buyer)

    member = new_context(base_url=srv.url).new_page()
    sign_in(member, buyer)
    order_id = place_order(member)
    set_locale(member, locale)
    member.reload()
    member.get_by_role("radio", name=tr(locale, "申请线上合同请款后支付"), exact=True).check()
    member.get_by_role("button", name=tr(locale, "确认付款"), exact=True).click()
    expect(member.get_by_role("heading", name=tr(locale, "等待线下付款"), exact=True)).to_be_visible()

    ops = new_context(base_url=srv.url).new_page()
    ops.goto("/ops/login")
    set_locale(ops, locale)
    ops_sign_in(ops, locale)
    menu(ops, locale, "线下合同订单")
    waiting = ops.get_by_role("region", name=tr(locale, "线下合同订单列表"))
    row = waiting.get_by_role("row").filter(has_text=order_id)
    expect(row).to_contain_text(buyer)
    expect(row).to_contain_text("¥8,500.00")
    check_screen(ops, "offline", locale)
    row.get_by_role("link", name=tr(locale, "处理订单 %(order)s", order=order_id)).click()
    expect(ops.get_by_role("heading", name=tr(locale, "处理线下合同订单"), level=1)).to_be_visible()

    # 确认到账 without a reference is refused at the field; with one the order is paid.
    ops.get_by_role("button", name=tr(locale, "确认到账"), exact=True).click()
    expect(ops.get_by_role("alert")).to_contain_text(tr(locale, "请填写付款参考号（银行流水号等）。"))
    reference = ops.get_by_label(tr(locale, "付款参考号"), exact=True)
    expect(reference).to_have_attribute("aria-invalid", "true")
    check_screen(ops, "offline-order-error", locale)
    reference.fill(f"BANK-{locale}-0001")
    ops.get_by_role("button", name=tr(locale, "确认到账"), exact=True).click()
    expect(ops.get_by_role("status").filter(has_text=order_id)).to_contain_text(f"BANK-{locale}-0001")
    expect(ops.get_by_role("link", name=tr(locale, "处理订单 %(order)s", order=order_id))).to_have_count(0)

    member.goto(f"/orders/{order_id}")
    expect(member.get_by_role("main").locator(".tag-paid").first).to_have_text(tr(locale, "已支付"))
