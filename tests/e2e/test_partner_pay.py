"""合作伙伴代付 as a request in the browser (issue 13, SPEC.md §13), zh-CN and English: the member asks the main
account to pay, the main account's 待代付订单 lists the request (requester, order, level, term, amount) and rejects
it (驳回) with a reason (an empty reason is refused next to the field), the member sees 已驳回 and the reason on the
order's page and pays by balance. axe-core on the 待代付订单 page and the rejected order's page at 1280 and 375 px;
screenshots under tests/e2e/artifacts/partner-pay/.

Each test runs its own console pinned at 2024/01/01 10:30:00; partner-b-buyer is partner-b's member, each with
¥100,000.00. Standard for a month is ¥8,500.00."""

from __future__ import annotations

from pathlib import Path

import pytest
from a11y import assert_no_axe_violations
from flows import EN, PINNED, ZH, pay_by_balance, place_order, set_locale, sign_in, tr
from playwright.sync_api import Page, expect

MEMBER, MAIN = "partner-b-buyer", "partner-b"
SHOTS = Path(__file__).resolve().parent / "artifacts" / "partner-pay"
WIDTHS = (1280, 375)


def look(page: Page, name: str, locale: str) -> None:
    """axe at each width, and a screenshot of the whole page at each."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert_no_axe_violations(page)
        page.screenshot(path=str(SHOTS / f"{name}-{locale}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.parametrize("locale", [ZH, EN])
def test_requested_rejected_with_a_reason_then_paid_by_balance(new_context, make_server, locale):
    console = make_server(now=PINNED)
    reason = "本月预算已用完，请用余额支付" if locale == ZH else "Our budget for this month is used up"

    member = new_context(base_url=console.url).new_page()
    sign_in(member, MEMBER)
    order_id = place_order(member)
    set_locale(member, locale)
    member.reload()
    member.get_by_role("radio", name=tr(locale, "合作伙伴代付"), exact=True).check()
    member.get_by_role("button", name=tr(locale, "确认付款"), exact=True).click()
    member.goto(f"/orders/{order_id}")
    request_card = member.get_by_role("region", name=tr(locale, "代付申请"))
    expect(request_card).to_contain_text(tr(locale, "待主帐号处理"))

    main = new_context(base_url=console.url).new_page()
    sign_in(main, MAIN)
    set_locale(main, locale)
    main.goto("/orders/partner-requests")
    expect(main.get_by_role("heading", name=tr(locale, "待代付订单"), level=1)).to_be_visible()
    row = main.get_by_role("row").filter(has_text=order_id)
    for fact in (MEMBER, tr(locale, "标准级"), "¥8,500.00"):
        expect(row).to_contain_text(fact)
    expect(row.get_by_role("link", name=tr(locale, "去支付 %(order)s", order=order_id))).to_have_attribute(
        "href", f"/orders/{order_id}/verify"
    )
    look(main, "partner-requests", locale)

    row.get_by_role("link", name=tr(locale, "驳回 %(order)s", order=order_id)).click()
    expect(main.get_by_role("heading", name=tr(locale, "驳回代付申请"), level=1)).to_be_visible()
    main.get_by_role("button", name=tr(locale, "驳回"), exact=True).click()  # no reason: refused at the field
    expect(main.get_by_role("alert")).to_contain_text(tr(locale, "请填写驳回原因。"))
    field = main.get_by_label(tr(locale, "驳回原因"))
    expect(field).to_have_attribute("aria-invalid", "true")
    look(main, "reject-form-error", locale)
    field.fill(reason)
    main.get_by_role("button", name=tr(locale, "驳回"), exact=True).click()
    expect(main.get_by_role("status").filter(has_text=order_id)).to_contain_text(
        tr(locale, "已驳回订单 %(order)s 的代付申请。", order=order_id)
    )
    expect(main.get_by_text(tr(locale, "暂无待代付订单。"))).to_be_visible()

    member.goto(f"/orders/{order_id}")
    rejected = member.get_by_role("status").filter(has_text=tr(locale, "代付申请已驳回"))
    expect(rejected).to_contain_text(reason)
    expect(member.get_by_role("region", name=tr(locale, "代付申请"))).to_contain_text(tr(locale, "已驳回"))
    look(member, "rejected-order", locale)

    member.goto(f"/orders/{order_id}/pay")
    expect(member.get_by_role("status").filter(has_text=tr(locale, "代付申请已驳回"))).to_contain_text(reason)
    look(member, "rejected-pay-page", locale)
    pay_by_balance(member, console, MEMBER, locale, amount="¥8,500.00")
    member.goto("/balance")
    expect(member.get_by_role("main").get_by_text(tr(locale, "可用额度"))).to_contain_text("¥91,500.00")
