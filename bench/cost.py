"""CPU cost per request, in process (no server, no network): what each target costs the console, next to the
floor app, and how many queries it runs. CPU time of this process is much less sensitive than wall time to
the other work on a shared machine, so this is the figure to compare step by step (bench/run.py gives the
load figures).

    .venv/bin/python bench/cost.py [--requests 300] [--profile /tmp/plan.html] [--queries]   (pyinstrument for --profile)
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import httpx

#: The checkout measured: this one, or another (BENCH_TREE=/tmp/before: a `git archive` of an older commit).
sys.path.insert(0, os.environ.get("BENCH_TREE") or str(Path(__file__).resolve().parents[1]))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))  # bench.floor
logging.getLogger("httpx").setLevel(logging.WARNING)

CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
PREVIEW = "/plan/change?level=premium&months=3"


async def measure(client: httpx.AsyncClient, path: str, headers: dict[str, str], count: int) -> tuple[float, int]:
    from models import db

    def query_count() -> int:
        return db.query_count() if hasattr(db, "query_count") else 0  # an older checkout counts nothing

    for _ in range(10):  # warm: templates compiled, caches filled
        assert (await client.get(path, headers=headers)).status_code == 200, path
    before_q = query_count()
    started = time.process_time()
    for _ in range(count):
        await client.get(path, headers=headers)
    cpu = (time.process_time() - started) / count
    return cpu * 1e6, (query_count() - before_q) // count


async def main(count: int, profile: str | None, show_queries: bool) -> None:
    tmp = tempfile.mkdtemp(prefix="console-cost-")
    os.environ.update(
        CONSOLE_DATABASE_URL=f"sqlite:///{tmp}/console.sqlite3", CONSOLE_DEMO="1", CONSOLE_SCHEDULER="off"
    )
    from piccolo.table import create_db_tables

    from bench.floor import app as floor
    from models.services.demo import load_demo
    from models.tables import ALL_TABLES
    from web.app import create_app
    from web.settings import Settings

    settings = Settings.from_env()
    app = create_app(settings)
    await create_db_tables(*ALL_TABLES)
    await load_demo(settings.clock.now())
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://bench") as client,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=floor), base_url="http://floor") as floor_client,
    ):
        token = CSRF.search((await client.get("/login")).text)
        assert token
        signed = await client.post(
            "/login", data={"login": "partner-a", "password": "demo-pass-2026", "_csrf_token": token.group(1)}
        )
        assert signed.status_code == 303, signed.status_code
        base, _ = await measure(floor_client, "/", {}, count)
        print(f"floor: {base:.0f} µs CPU a request (the client's share included in every figure)")
        for name, path, headers in (
            ("/healthz", "/healthz", {}),
            ("/plan", "/plan", {}),
            ("preview", PREVIEW, {"HX-Request": "true"}),
            ("/orders", "/orders", {}),
            ("/tickets", "/tickets", {}),
        ):
            cpu, queries = await measure(client, path, headers, count)
            print(f"{name}: {cpu:.0f} µs CPU a request, {base / cpu * 100:.1f} % of the floor, {queries} queries")
            if show_queries:
                from models.db import recorded_queries

                with recorded_queries() as seen:
                    await client.get(path, headers=headers)
                for sql in seen:
                    print(f"    {sql[:300]}")
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            profiler.start()
            for _ in range(count):
                await client.get("/plan")
            profiler.stop()
            Path(profile).write_text(profiler.output_text(unicode=True, show_all=False))
            print(f"profile of /plan in {profile}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--profile")
    parser.add_argument("--queries", action="store_true", help="print the SQL each target runs")
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.profile, args.queries))
