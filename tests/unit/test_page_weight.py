"""Page weight (issue 12, §4): answers compressed (brotli where the client takes it, gzip otherwise), static files
compressed too and kept a year under their versioned URLs; the first detail page after sign-in with its static
files ≤ 30 KB on the wire, an htmx preview swap ≤ 2 KB. `pytest -s` prints the figures.

"On the wire" is the compressed body plus the response's header block (HTTP/1.1: status line, `name: value` lines,
the blank line), as a browser with an empty cache downloads them."""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass

import brotli
import pytest

from tests.helpers.http import sign_in
from tests.helpers.plans import buy_plan

BROWSER = "gzip, deflate, br, zstd"
PAGE_BUDGET = 30 * 1024
SWAP_BUDGET = 2 * 1024
#: web/app.py's CompressionConfig.minimum_size: a smaller answer is sent as it is.
MINIMUM_SIZE = 500
STATIC_RE = re.compile(r'(?:href|src)="(/static/[^"]+)"')


@dataclass(frozen=True)
class Weight:
    path: str
    encoding: str
    raw: int
    body: int
    headers: int

    @property
    def wire(self) -> int:
        return self.body + self.headers

    def line(self) -> str:
        return f"{self.path:<44} {self.encoding or '-':<4} {self.raw:>7,} B raw {self.body:>7,} B body {self.wire:>7,} B wire"


async def fetch(client, path: str, accept: str = BROWSER, **headers: str):
    """(the answer, its weight): the body as sent (before the client decodes it) and the header block."""
    async with client.stream("GET", path, headers={"accept-encoding": accept, **headers}) as response:
        sent = b"".join([chunk async for chunk in response.aiter_raw()])
    encoding = response.headers.get("content-encoding", "")
    raw = {"br": brotli.decompress, "gzip": gzip.decompress, "": bytes}[encoding](sent)
    header_block = len(f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n") + 2
    header_block += sum(len(name) + len(value) + 4 for name, value in response.headers.raw)
    return response, raw, Weight(path, encoding, len(raw), len(sent), header_block)


def report(title: str, weights: list[Weight]) -> None:
    print(f"\n{title}")
    for weight in weights:
        print("  " + weight.line())
    print(
        f"  {'total':<44}      {sum(w.raw for w in weights):>7,} B raw {sum(w.body for w in weights):>7,} B body "
        f"{sum(w.wire for w in weights):>7,} B wire"
    )


@pytest.fixture(params=["basic", "standard"])
async def partner(request, client, demo):
    """Signed in as the demo partner: on Basic as the demo starts, or with Standard bought for 6 months (the detail
    page then lists the period, the change page prices an upgrade)."""
    if request.param == "standard":
        await buy_plan("partner-a-ops", "standard", 6)
    await sign_in(client, "partner-a")
    return client, request.param


async def test_the_detail_page_with_its_static_files_weighs_at_most_30_kb(partner):
    partner, state = partner
    page, html, page_weight = await fetch(partner, "/plan")
    assert page.status_code == 200 and page_weight.encoding == "br"
    assets = STATIC_RE.findall(html.decode())
    assert {a.split("?")[0] for a in assets} >= {"/static/app.css", "/static/app.js", "/static/htmx.min.js"}
    weights = [page_weight]
    for asset in assets:
        response, _, weight = await fetch(partner, asset)
        assert response.status_code == 200 and weight.encoding == "br", asset
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable", asset
        assert "accept-encoding" in response.headers.get("vary", "").lower()
        weights.append(weight)
    report(f"/plan after sign-in ({state}) with its static files (Accept-Encoding: {BROWSER})", weights)
    total = sum(w.wire for w in weights)
    heaviest = max(weights, key=lambda w: w.wire)
    assert total <= PAGE_BUDGET, f"{total} B > {PAGE_BUDGET} B; heaviest: {heaviest.line()}"


async def test_an_htmx_preview_swap_weighs_at_most_2_kb(partner):
    partner, state = partner
    path = "/plan/change?level=premium&months=3"
    response, html, weight = await fetch(partner, path, **{"hx-request": "true"})
    assert response.status_code == 200 and b"<html" not in html, "a fragment, not the page"
    assert weight.encoding == "br" or weight.raw < MINIMUM_SIZE, "compressed unless too small to gain from it"
    report(f"htmx preview swap ({state}; HX-Request: true)", [weight])
    assert weight.wire <= SWAP_BUDGET, weight.line()


async def test_gzip_for_a_client_without_brotli_and_nothing_for_one_without_either(client, demo):
    partner = client
    await sign_in(partner, "partner-a")
    for accept, expected in (("gzip", "gzip"), ("gzip, deflate", "gzip"), ("identity", "")):
        for path in ("/plan", "/static/htmx.min.js"):
            response, raw, weight = await fetch(partner, path, accept)
            assert weight.encoding == expected, (accept, path)
            assert response.status_code == 200 and len(raw) > 1000
    _, plain, _ = await fetch(partner, "/static/app.css", "identity")
    _, decoded, _ = await fetch(partner, "/static/app.css", "br")
    assert decoded == plain, "the brotli body decodes to the file itself"
