"""axe-core checks for end-to-end tests (axe-playwright-python bundles axe-core: nothing is downloaded).

axe runs inside the page and needs timers. In a context with JavaScript disabled, timers never fire and
axe would hang for ever; there the DOM as rendered without JavaScript (scripts removed, <noscript> content
kept) is checked in a scratch JavaScript-enabled page of the same browser, at the same URL, so the
stylesheets and images still come from the live server.
"""

from __future__ import annotations

from collections.abc import Iterable

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error as PlaywrightError

_AXE = Axe()
#: The rule sets every screen is held to (issue 12): WCAG 2.0–2.2 A and AA, and axe's best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

# Serialise the page as a browser without JavaScript shows it, for re-parsing with scripting enabled.
_NO_JS_SNAPSHOT = """() => {
  const root = document.documentElement.cloneNode(true);
  root.querySelectorAll('script').forEach((el) => el.remove());
  root.querySelectorAll('noscript').forEach((el) => el.replaceWith(...el.childNodes));
  const dt = document.doctype;
  const doctype = dt ? `<!DOCTYPE ${dt.name}${dt.publicId ? ` PUBLIC "${dt.publicId}"` : ''}${dt.systemId ? ` "${dt.systemId}"` : ''}>` : '';
  return doctype + root.outerHTML;
}"""


def _timers_run(page, timeout_ms: float = 2000) -> bool:
    """False in a page whose JavaScript is disabled (its timers never fire)."""
    try:
        page.wait_for_function("() => new Promise((r) => setTimeout(() => r(true), 0))", timeout=timeout_ms)
        return True
    except PlaywrightError:
        return False


def _run(page, context, options) -> dict:
    return _AXE.run(page, context=context, options=options).response


def _run_on_no_js_snapshot(page, context, options) -> dict:
    html = page.evaluate(_NO_JS_SNAPSHOT)
    url = page.url.split("#", 1)[0]
    browser = page.context.browser
    if browser is None:
        raise RuntimeError("cannot run axe on a JavaScript-disabled page of a persistent context")
    scratch = browser.new_context(java_script_enabled=True, viewport=page.viewport_size)
    try:
        twin = scratch.new_page()
        twin.route(
            lambda u: u.split("#", 1)[0] == url,
            lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html),
        )
        twin.goto(url, wait_until="load")
        return _run(twin, context, options)
    finally:
        scratch.close()


def axe_violations(page, *, context=None, disable: Iterable[str] = ()) -> list[dict]:
    """Run axe on the page as it is now and return its violations (axe's own dicts)."""
    options: dict = {"resultTypes": ["violations"], "runOnly": {"type": "tag", "values": TAGS}}
    disabled = list(disable)
    if disabled:
        options["rules"] = {rule: {"enabled": False} for rule in disabled}
    response = _run(page, context, options) if _timers_run(page) else _run_on_no_js_snapshot(page, context, options)
    return response["violations"]


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} [{v.get('impact')}] {v.get('help')} ({v.get('helpUrl', '')})")
        for node in v.get("nodes", []):
            target = ", ".join(" >> ".join(t) if isinstance(t, list) else str(t) for t in node.get("target", []))
            lines.append(f"    target: {target}  html: {node.get('html', '')[:160]}")
            summary = " ".join((node.get("failureSummary") or "").split())
            if summary:
                lines.append(f"      {summary[:300]}")
    return "\n".join(lines)


def assert_no_axe_violations(page, *, context=None, disable: Iterable[str] = ()) -> None:
    """Fail listing each violation's id, impact, help and target selectors.

    `context` narrows the check (an axe context such as "main"); `disable` turns rules off by id.
    """
    violations = axe_violations(page, context=context, disable=disable)
    if violations:
        raise AssertionError(f"{len(violations)} axe violation(s) on {page.url}:\n{format_violations(violations)}")
