"""Benchmark: a live server on a temporary SQLite file, driven over loopback. Prints its figures.

    .venv/bin/python bench/run.py [--requests 300] [--buyers 20]

- detail page: latency of GET /plan for a signed-in partner (sequential), p50 / p95 / requests per second;
- purchase: the whole purchase → 确认付款 → 身份验证 → paid flow over HTTP, per buyer, p50 / p95;
- double charge check: 10 concurrent confirmations of one order, and how many charges the ledger shows (must be 1);
- memory: the server process's resident set size after the load.
Bounded in count and time; loopback only."""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from server import ConsoleServer, latest_code

CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def form(client: httpx.AsyncClient, page_path: str, post_path: str, data: dict) -> httpx.Response:
    page = await client.get(page_path)
    token = CSRF.search(page.text).group(1)
    return await client.post(post_path, data={**data, "_csrf_token": token})


async def signed_in(url: str, login: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=url, timeout=30, trust_env=False)
    response = await form(client, "/login", "/login", {"login": login, "password": "bench-pass-1"})
    assert response.status_code == 303, response.status_code
    return client


async def buy(server: ConsoleServer, login: str) -> float:
    client = await signed_in(server.url, login)
    started = time.perf_counter()
    spec = "/plan/change/spec?level=standard&months=1"
    placed = await form(
        client,
        spec,
        "/plan/change/spec",
        {"level": "standard", "months": "1", "agree": "yes", "request_key": "bench-" + login},
    )
    order_id = placed.headers["location"].split("/")[2]
    await form(client, f"/orders/{order_id}/pay", f"/orders/{order_id}/pay", {"method": "balance"})
    await form(client, f"/orders/{order_id}/verify", f"/orders/{order_id}/verify/send", {"channel": "phone"})
    code = await asyncio.to_thread(latest_code, server, login)
    paid = await form(client, f"/orders/{order_id}/verify", f"/orders/{order_id}/verify", {"code": code})
    assert paid.status_code == 303, paid.text[:500]
    elapsed = time.perf_counter() - started
    await client.aclose()
    return elapsed


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def main(requests: int, buyers: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = ConsoleServer(Path(tmp), demo=False).start()
        try:
            for index in range(buyers + 1):
                server.cli(
                    "account",
                    "create-partner",
                    f"bench-{index}",
                    "--password",
                    "bench-pass-1",
                    "--company",
                    f"Bench {index}",
                    "--certified",
                    "--phone",
                    "13800000000",
                    "--email",
                    "b@example.com",
                )
                server.cli("balance", "top-up", f"bench-{index}", "100000")

            client = await signed_in(server.url, "bench-0")
            latencies = []
            for _ in range(requests):
                started = time.perf_counter()
                response = await client.get("/plan")
                latencies.append(time.perf_counter() - started)
                assert response.status_code == 200
            await client.aclose()
            print(
                f"detail page: {requests} requests, p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
                f"p95 {percentile(latencies, 0.95) * 1000:.1f} ms, {requests / sum(latencies):.0f} req/s"
            )

            flows = [await buy(server, f"bench-{index}") for index in range(1, buyers + 1)]
            print(
                f"purchase flow: {buyers} buyers, p50 {percentile(flows, 0.5) * 1000:.0f} ms, "
                f"p95 {percentile(flows, 0.95) * 1000:.0f} ms (7 HTTP requests + the CLI reading the code)"
            )

            client = await signed_in(server.url, "bench-0")
            spec = "/plan/change/spec?level=standard&months=1"
            placed = await form(
                client,
                spec,
                "/plan/change/spec",
                {"level": "standard", "months": "1", "agree": "yes", "request_key": "bench-double"},
            )
            order_id = placed.headers["location"].split("/")[2]
            await form(client, f"/orders/{order_id}/pay", f"/orders/{order_id}/pay", {"method": "balance"})
            await form(client, f"/orders/{order_id}/verify", f"/orders/{order_id}/verify/send", {"channel": "phone"})
            code = latest_code(server, "bench-0")
            token = CSRF.search((await client.get(f"/orders/{order_id}/verify")).text).group(1)
            answers = await asyncio.gather(
                *[
                    client.post(f"/orders/{order_id}/verify", data={"code": code, "_csrf_token": token})
                    for _ in range(10)
                ]
            )
            await client.aclose()
            statuses = sorted({a.status_code for a in answers})
            ledger = server.cli("messages", "bench-0").stdout.count("订单已支付")
            print(
                f"double charge check: 10 concurrent confirmations → statuses {statuses}, payments recorded: {ledger}"
            )
            print(f"server memory: {rss_kib(server.proc.pid) / 1024:.1f} MiB resident after the load")
        finally:
            server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--buyers", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.buyers))
