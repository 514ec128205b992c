"""The console's interaction states (issue 12): a form being sent cannot be sent twice, a preview being fetched says
it is busy, and focus rings show for the keyboard but not after a mouse click."""

from __future__ import annotations

from flows import sign_in
from playwright.sync_api import Route, expect

# While the sign-in request is held, the page records (in sessionStorage, which outlives the navigation) whether
# its button is disabled and tries a second click; Playwright's own calls would wait for the held navigation.
_WATCH_SUBMIT = """() => document.addEventListener('submit', () => setTimeout(() => {
  const button = document.querySelector('form[action="/login"] button[type=submit]');
  sessionStorage.setItem('disabled-while-sent', String(button.disabled));
  button.click();
}, 50))"""


def test_a_form_being_sent_disables_its_button_until_the_answer_comes(make_server, new_context):
    srv = make_server()
    page = new_context(base_url=srv.url).new_page()
    held: list[Route] = []
    page.route("**/login", lambda route: held.append(route) if route.request.method == "POST" else route.continue_())
    page.goto("/login")
    page.get_by_label("帐号", exact=True).fill("partner-a")
    page.get_by_label("密码", exact=True).fill("demo-pass-2026")
    page.evaluate(_WATCH_SUBMIT)
    # Clicked from a timer, so that no Playwright call is waiting on the navigation it starts.
    page.evaluate(
        "() => setTimeout(() => document.querySelector('form[action=\"/login\"] button[type=submit]').click(), 0)"
    )
    page.wait_for_timeout(500)
    assert len(held) == 1, "the second click sent the form again"
    held[0].continue_()
    expect(page.get_by_role("button", name="退出", exact=True)).to_be_visible()
    assert page.evaluate("() => sessionStorage.getItem('disabled-while-sent')") == "true"
    assert len(held) == 1


def test_a_preview_being_fetched_is_marked_busy(make_server, new_context):
    srv = make_server()
    page = new_context(base_url=srv.url).new_page()
    sign_in(page, "partner-a")
    page.goto("/plan/change?level=standard&months=1")
    held: list[Route] = []
    page.route("**/plan/change?*", lambda route: held.append(route))
    page.get_by_label("购买时长", exact=True).select_option(label="3个月")
    preview = page.locator("#preview")
    expect(preview).to_have_attribute("aria-busy", "true")
    held[0].continue_()
    expect(preview).not_to_have_attribute("aria-busy", "true")
    expect(preview).to_contain_text("3个月")


_OUTLINE = "() => getComputedStyle(document.activeElement).outlineStyle"


def test_focus_rings_show_for_the_keyboard_and_not_after_a_click(page):
    sign_in(page, "partner-b")
    page.goto("/plan")
    summary = page.get_by_role("navigation", name="主菜单").get_by_text("支持与服务", exact=True)
    summary.click()  # the mouse opens the menu: the summary has focus, and no ring
    assert summary.evaluate("(el) => el === document.activeElement")
    assert page.evaluate(_OUTLINE) == "none"
    page.keyboard.press("Tab")  # the keyboard moves into the menu: a ring
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "支持计划"
    assert page.evaluate(_OUTLINE) == "solid"
