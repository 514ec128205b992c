"""Shared browser steps for the end-to-end tests: signing in, the menu, the tab order, locales, one whole
purchase paid by balance (the guide's chapter 1) and the balance it leaves, each located by role and accessible
name.

Accessible names are the msgids (zh-CN); in English they come from the same compiled catalog the server
uses (`tr("en", "立即购买")`), so a test does not hard-code a translation that the catalog may refine.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from a11y import assert_no_axe_violations
from playwright.sync_api import Locator, Page, expect
from server import ConsoleServer, latest_code

from models.i18n import translations

PASSWORD = "demo-pass-2026"
ZH, EN = "zh_CN", "en"
HTML_LANG = {ZH: "zh-CN", EN: "en"}
PINNED = "2024-01-01T10:30:00+08:00"


def tr(locale: str, msgid: str, **params) -> str:
    """The text the console shows for MSGID in LOCALE (the Chinese msgid itself in zh-CN)."""
    text = translations(locale).gettext(msgid)
    return text % params if params else text


def exact(text: str) -> re.Pattern:
    """An exact-name matcher that ignores surrounding white space."""
    return re.compile(r"^\s*" + re.escape(text) + r"\s*$")


# ----------------------------------------------------------------------------------------------- session
def sign_in(page: Page, login: str, password: str = PASSWORD, locale: str = ZH) -> None:
    page.goto("/login")
    page.get_by_label(tr(locale, "帐号"), exact=True).fill(login)
    page.get_by_label(tr(locale, "密码"), exact=True).fill(password)
    page.get_by_role("button", name=tr(locale, "登录"), exact=True).click()
    expect(page.get_by_role("button", name=tr(locale, "退出"), exact=True)).to_be_visible()


def sign_out(page: Page, locale: str = ZH) -> None:
    page.get_by_role("button", name=tr(locale, "退出"), exact=True).click()
    expect(page.get_by_role("heading", name=tr(locale, "登录"), exact=True)).to_be_visible()


def set_locale(page: Page, locale: str) -> None:
    """Choose the language as the switch does (its `lang` cookie on "/"); the next page load uses it."""
    parts = urlsplit(page.url)
    page.context.add_cookies([{"name": "lang", "value": locale, "url": f"{parts.scheme}://{parts.netloc}/"}])


def expect_locale(page: Page, locale: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[locale])


def axe_in_both_locales(page: Page, show=None) -> None:
    """axe-core on the screen as it is (zh-CN), then on the same screen in English, then back in zh-CN.

    SHOW(locale) brings the screen up again after the language changed: by default a reload (a GET page);
    a screen that a POST or a click produced passes the steps that produce it.
    """
    show = show or (lambda locale: page.reload())
    expect_locale(page, ZH)
    assert_no_axe_violations(page)
    set_locale(page, EN)
    show(EN)
    expect_locale(page, EN)
    assert_no_axe_violations(page)
    set_locale(page, ZH)
    show(ZH)
    expect_locale(page, ZH)


def summary_value(page: Page, term: str):
    """The <dd> that follows the <dt> TERM in a summary list (detail page, order summary, 规格确认)."""
    return page.get_by_role("term").filter(has_text=exact(term)).locator("xpath=following-sibling::dd[1]")


def open_menu_item(page: Page, item: str, locale: str = ZH) -> None:
    """支持与服务 > ITEM from the top bar (the menu is a <details> disclosure)."""
    nav = page.get_by_role("navigation", name=tr(locale, "主菜单"))
    nav.get_by_text(tr(locale, "支持与服务"), exact=True).click()
    nav.get_by_role("link", name=tr(locale, item), exact=True).click()


# --------------------------------------------------------------------------------------------- keyboard
_FOCUSED_NAME = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const text = (node) => (node ? node.textContent.replace(/\\s+/g, ' ').trim() : '');
  if (el.getAttribute('aria-label')) return el.getAttribute('aria-label').trim();
  if (el.getAttribute('aria-labelledby')) {
    return el.getAttribute('aria-labelledby').split(/\\s+/).map((id) => text(document.getElementById(id))).join(' ');
  }
  if (el.labels && el.labels.length) return text(el.labels[0]);
  return text(el);
}"""


def focused_name(page: Page) -> str | None:
    """The accessible name of document.activeElement (None when nothing is focused)."""
    return page.evaluate(_FOCUSED_NAME)


def tab_order(page: Page, limit: int = 80) -> list[str]:
    """Press Tab from the top of the page until focus leaves the document or comes round again."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    names: list[str] = []
    first_handle = None
    for _ in range(limit):
        page.keyboard.press("Tab")
        name = focused_name(page)
        if name is None:
            break
        is_first = page.evaluate("(first) => first === document.activeElement", first_handle) if first_handle else False
        if is_first:
            break
        if first_handle is None:
            first_handle = page.evaluate_handle("() => document.activeElement")
        names.append(name)
    return names


def tab_to(page: Page, target: str | Locator, limit: int = 60) -> None:
    """Press Tab until TARGET has focus (keyboard-only navigation); no key if it has it.

    TARGET is the control's accessible name, or a locator for the control itself.
    """
    if isinstance(target, str):

        def reached() -> bool:
            return focused_name(page) == target
    else:

        def reached() -> bool:
            return target.evaluate("el => el === document.activeElement")

    for _ in range(limit):
        if reached():
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target!r}; the focus is on {focused_name(page)!r}")


# --------------------------------------------------------------------------------------------- purchase
def order_id_from(page: Page) -> str:
    match = re.search(r"/orders/([^/?#]+)/", page.url)
    assert match, f"not an order page: {page.url}"
    return match.group(1)


def place_order(page: Page, level: str = "标准级", term: str = "1个月") -> str:
    """change page → 立即购买 → 购买确认 → 规格确认 (agreement ticked) → 去购买; ends on the payment page.

    Works with and without JavaScript: 确认 is the 购买确认 dialog's, or the no-JS 购买确认 page's.
    """
    page.goto("/plan/change")
    page.get_by_role("radio", name=level, exact=True).check()
    page.get_by_label("购买时长", exact=True).select_option(label=term)
    page.get_by_role("button", name="立即购买", exact=True).click()
    page.get_by_role("button", name="确认", exact=True).click()
    expect(page.get_by_role("heading", name="规格确认", exact=True)).to_be_visible()
    page.get_by_role("checkbox", name="我已阅读并同意《合作伙伴支持计划服务协议》").check()
    page.get_by_role("button", name="去购买", exact=True).click()
    expect(page.get_by_text("订单已生成，请核对优惠折扣并尽快支付")).to_be_visible()
    return order_id_from(page)


def buy_by_balance(page: Page, server: ConsoleServer, login: str, level: str = "标准级", term: str = "1个月") -> str:
    """The whole chapter-1 purchase for the signed-in LOGIN, paid by balance; returns the order id."""
    order_id = place_order(page, level, term)
    pay_by_balance(page, server, login)
    return order_id


def pay_by_balance(
    page: Page,
    server: ConsoleServer,
    login: str,
    locale: str = ZH,
    *,
    amount: str | None = None,
    voucher: str | None = None,
) -> None:
    """On the payment page: (应付金额 is AMOUNT,) (tick the VOUCHER,) 余额支付, 确认付款, 身份验证 → 支付成功."""
    expect(page.get_by_text(tr(locale, "订单已生成，请核对优惠折扣并尽快支付"))).to_be_visible()
    if amount is not None:
        expect(summary_value(page, tr(locale, "应付金额"))).to_have_text(amount)
    if voucher is not None:
        page.get_by_label(voucher).check()
    page.get_by_role("radio", name=tr(locale, "余额支付"), exact=True).check()
    page.get_by_role("button", name=tr(locale, "确认付款"), exact=True).click()
    verify_and_pay(page, server, login, locale)
    expect(page.get_by_role("heading", name=tr(locale, "支付成功"), exact=True)).to_be_visible()


def verify_and_pay(page: Page, server: ConsoleServer, login: str, locale: str = ZH) -> None:
    """身份验证: 手机, 获取验证码, the code from the outbox, 确定."""
    expect(page.get_by_role("heading", name=tr(locale, "身份验证"), exact=True)).to_be_visible()
    page.get_by_role("radio", name=tr(locale, "手机"), exact=True).check()
    page.get_by_role("button", name=tr(locale, "获取验证码"), exact=True).click()
    expect(page.get_by_role("status").filter(has_text=re.compile(r"\*{4}"))).to_be_visible()
    page.get_by_label(tr(locale, "验证码"), exact=True).fill(latest_code(server, login))
    page.get_by_role("button", name=tr(locale, "确定"), exact=True).click()


# ---------------------------------------------------------------------------------------------- balance
def available_balance(page: Page, locale: str = ZH) -> str:
    """余额与充值: the 可用额度 as shown ("¥91,500.00")."""
    page.goto("/balance")
    return page.get_by_text(tr(locale, "可用额度")).locator("strong").inner_text()


def expect_balance(page: Page, amount: str) -> None:
    """余额与充值 shows AMOUNT as the 可用额度."""
    page.goto("/balance")
    expect(page.get_by_role("heading", name="余额与充值", level=1)).to_be_visible()
    expect(page.get_by_role("main").get_by_text("可用额度")).to_contain_text(amount)
