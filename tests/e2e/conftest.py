"""End-to-end harness: pytest-playwright on Debian's Chromium against live console servers.

Run it in its own pytest process (pytest-playwright's sync API leaves an event loop running that breaks
async tests collected after it):

    .venv/bin/pytest tests/e2e            # add --tracing=retain-on-failure --screenshot=only-on-failure

Fixtures
    server        session-wide ConsoleServer (migrate + demo, real clock); `base_url` is its URL
    page/context  pytest-playwright's, with base_url = server.url, so page.goto("/login") works
    new_context   pytest-playwright's factory; base_url defaults to server.url, pass base_url=srv.url
                  to drive a server from make_server
    no_js_context a context with JavaScript disabled (the no-JS fallback), base_url = server.url
    make_server   factory: make_server(now="2024-01-01T10:30:00+08:00", demo=True) -> a started
                  ConsoleServer with its own database; stopped at teardown
Helpers (import them: the folder is on sys.path)
    from server import ConsoleServer, latest_code
    from a11y import assert_no_axe_violations
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:  # lets tests `from server import …` under any --import-mode
    sys.path.insert(0, _HERE)

from server import ConsoleServer, latest_code  # noqa: E402,F401  (latest_code re-exported)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium (never `playwright install`), keeping --headed/--slowmo from the command line."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    srv = ConsoleServer(tmp_path_factory.mktemp("console"))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def base_url(server) -> str:
    return server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # base_url is added per context by `new_context` below, so that a test may pass its own
    # (browser.new_context would refuse the same keyword twice).
    args = dict(browser_context_args)
    args.pop("base_url", None)
    return args


@pytest.fixture
def new_context(new_context, base_url, request):
    marker = next(request.node.iter_markers("browser_context_args"), None)
    marker_has_base_url = bool(marker and "base_url" in marker.kwargs)

    def _new_context(**kwargs):
        if not marker_has_base_url:
            kwargs.setdefault("base_url", base_url)
        return new_context(**kwargs)

    return _new_context


@pytest.fixture
def no_js_context(new_context):
    """A browser context with JavaScript disabled, base_url = the session server."""
    return new_context(java_script_enabled=False)


@pytest.fixture
def make_server(tmp_path):
    """make_server(now=None, demo=True, **kwargs) -> a started ConsoleServer on its own database."""
    started: list[ConsoleServer] = []

    def _make(now=None, **kwargs) -> ConsoleServer:
        srv = ConsoleServer(tmp_path / f"console-{len(started)}", now=now, **kwargs)
        started.append(srv)
        return srv.start()

    yield _make
    for srv in started:
        srv.stop()
