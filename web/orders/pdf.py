"""Documents as PDF (receipts, contracts): a template rendered standalone with the print stylesheet, laid out by
WeasyPrint in a worker thread (it is CPU-bound: the event loop keeps answering other requests meanwhile), and
never fetching anything over the network: the only resources it may load are the console's own static files.

The HTML is rendered on the event loop (the locale and the template globals are those of the request); only the
layout runs in the thread. At most RENDER_THREADS documents are laid out at once, so a burst of downloads queues
instead of starving the sign-ins of their CPU."""

from __future__ import annotations

import functools
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import anyio.to_thread
from anyio import CapacityLimiter
from jinja2 import Environment
from litestar import Request, Response

from web.security import STATIC_PREFIX
from web.settings import ASSETS

#: The address documents are rendered at: a reserved name (RFC 2606), so nothing there is ever fetched; the
#: fetcher serves its /static/ paths from the static folder and refuses every other address.
ORIGIN = "https://console.invalid"
STATIC_DIR = (ASSETS / "static").resolve()
MEDIA_TYPE = "application/pdf"
#: Documents laid out at the same time (the machine's cores are shared with the requests).
RENDER_THREADS = 2


class RefusedFetch(ValueError):
    """A document asked for something that is not one of our static files."""


@functools.cache
def _weasyprint() -> tuple[Any, type]:
    """WeasyPrint's HTML and our fetcher, imported at the first document: the import takes about a second, which
    the server's start (issue 16: cold start ≤ 1.5 s) should not pay."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Serves ORIGIN/static/<name> from the static folder; refuses anything else (WeasyPrint then leaves it
        out with a warning: a missing image, never a request leaving the machine)."""

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            return URLFetcherResponse(url, body=static_file(url).read_bytes(), headers=_headers(url))

    return HTML, StaticOnlyFetcher


def static_file(url: str) -> Path:
    """The static file an ORIGIN/static/… address names, or RefusedFetch."""
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != ORIGIN or not parts.path.startswith(STATIC_PREFIX):
        raise RefusedFetch(f"documents load only the console's static files, not {url!r}")
    path = (STATIC_DIR / unquote(parts.path.removeprefix(STATIC_PREFIX))).resolve()
    if not path.is_relative_to(STATIC_DIR) or not path.is_file():
        raise RefusedFetch(f"no static file {parts.path!r}")
    return path


def _headers(url: str) -> dict[str, str]:
    kind, _encoding = mimetypes.guess_type(urlsplit(url).path)
    return {"Content-Type": kind or "application/octet-stream"}


def layout(html: str) -> bytes:
    """The PDF of a standalone HTML document (runs in a worker thread)."""
    html_class, fetcher = _weasyprint()
    pdf = html_class(string=html, base_url=ORIGIN + "/", url_fetcher=fetcher(), media_type="print").write_pdf()
    assert pdf is not None  # write_pdf without a target returns the bytes
    return pdf


async def render_pdf(env: Environment, template: str, context: dict[str, Any], limiter: CapacityLimiter) -> bytes:
    """TEMPLATE rendered with CONTEXT (here, in the request's locale), then laid out off the event loop."""
    html = env.get_template(template).render(context)
    return await anyio.to_thread.run_sync(layout, html, limiter=limiter)


def limiter_of(request: Request[Any, Any, Any]) -> CapacityLimiter:
    """The app's limiter of PDF layouts, made on its event loop at the first download."""
    state = request.app.state
    if getattr(state, "pdf_limiter", None) is None:
        state.pdf_limiter = CapacityLimiter(RENDER_THREADS)
    limiter: CapacityLimiter = state.pdf_limiter
    return limiter


def environment(request: Request[Any, Any, Any]) -> Environment:
    """The app's Jinja environment (the one the pages use: its globals, its i18n)."""
    engine: Any = request.app.template_engine
    env: Environment = engine.engine
    return env


def attachment(filename: str) -> str:
    """Content-Disposition for a download: an ASCII name, and its UTF-8 form (RFC 5987) when it has other letters."""
    ascii_name = filename.encode("ascii", "replace").decode("ascii").replace("?", "_").replace('"', "")
    disposition = f'attachment; filename="{ascii_name}"'
    if ascii_name != filename:
        disposition += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return disposition


async def pdf_response(
    request: Request[Any, Any, Any], template: str, context: dict[str, Any], filename: str
) -> Response[bytes]:
    """The document as a download (no-store, like every page: web.security adds it)."""
    content = await render_pdf(environment(request), template, {"request": request, **context}, limiter_of(request))
    return Response(content=content, media_type=MEDIA_TYPE, headers={"Content-Disposition": attachment(filename)})
