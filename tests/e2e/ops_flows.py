"""Shared browser steps of the operator console (运营控制台) for the end-to-end tests: signing in at /ops/login,
the operator's menu, and the check every /ops screen gets (axe at 1280 and 375 px, with a screenshot of each).
Located by role and accessible name, in the page's locale (`tr`)."""

from __future__ import annotations

from pathlib import Path

from a11y import assert_no_axe_violations
from flows import PASSWORD, expect_locale, tr
from playwright.sync_api import Page, expect

#: The demo operator (`partner-console demo` makes it, with the demo password).
OPERATOR = "ops-admin"
SHOTS = Path(__file__).resolve().parent / "artifacts" / "ops"
WIDTHS = (1280, 375)


def check_screen(page: Page, name: str, locale: str, shots: Path = SHOTS) -> None:
    """axe at both widths, with a full-page screenshot of each (shots/NAME-LOCALE-WIDTH.png)."""
    shots.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert_no_axe_violations(page)
        page.screenshot(path=str(shots / f"{name}-{locale}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def ops_sign_in(page: Page, locale: str, login: str = OPERATOR, password: str = PASSWORD) -> None:
    """/ops/login with 帐号, 密码, 登录; ends on the console's first screen (合作伙伴)."""
    page.goto("/ops/login")
    expect_locale(page, locale)
    page.get_by_label(tr(locale, "帐号"), exact=True).fill(login)
    page.get_by_label(tr(locale, "密码"), exact=True).fill(password)
    page.get_by_role("button", name=tr(locale, "登录"), exact=True).click()
    expect(page.get_by_role("button", name=tr(locale, "退出"), exact=True)).to_be_visible()


def menu(page: Page, locale: str, item: str) -> None:
    """ITEM of the 运营菜单; the link then says it is the current page."""
    nav = page.get_by_role("navigation", name=tr(locale, "运营菜单"))
    nav.get_by_role("link", name=tr(locale, item), exact=True).click()
    expect(nav.get_by_role("link", name=tr(locale, item), exact=True)).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", name=tr(locale, item), level=1)).to_be_visible()
