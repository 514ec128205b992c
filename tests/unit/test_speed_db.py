"""The data layer's speed work keeps its guarantees (issue 16): SQLite connections are opened once and reused,
write transactions still take the write lock up front and queue, the orders list uses its index, a page reads
its session once, and argon2 runs off the event loop. No timings are asserted."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from datetime import timedelta

import argon2
import pytest
from piccolo.table import create_db_tables

from models import db
from models.db import ConsoleSQLiteEngine, engine_from_url, recorded_queries, use_engine, write_transaction
from models.enums import OrderKind, OrderStatus
from models.piccolo_migrations.models_2026_12_03t05_00_00_000000 import index_ddl
from models.services import accounts, order_queries
from models.services.order_queries import OrderFilter
from models.tables import ALL_TABLES, Partner
from tests.helpers.http import sign_in
from tests.helpers.times import START


@pytest.fixture
async def sqlite(tmp_path):
    """A fresh SQLite database on the console's engine (whatever CONSOLE_TEST_PG_URL says: these are SQLite's)."""
    engine = engine_from_url(f"sqlite:///{tmp_path / 'speed.sqlite3'}")
    assert isinstance(engine, ConsoleSQLiteEngine)
    use_engine(engine)
    await create_db_tables(*ALL_TABLES)
    return engine


async def add_partner(name: str) -> int:
    rows = await Partner.insert(Partner(company_name=name, certified=True)).returning(Partner.id)
    return int(rows[0]["id"])


async def test_sqlite_connections_are_opened_once_and_reused(sqlite, monkeypatch):
    opened = []
    connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: opened.append(a) or connect(*a, **k))
    threads = threading.active_count()
    for index in range(20):
        await add_partner(f"公司{index}")
        assert await Partner.count() == index + 1  # a read after a write sees it
        async with write_transaction():
            await Partner.update({Partner.certified: False}).where(Partner.company_name == f"公司{index}")
    assert len(opened) <= 2  # 60 queries, at most the two connections of this thread (a reader, a writer)
    assert threading.active_count() == threads  # no thread per query (aiosqlite's) either
    raw = sqlite.file().writer.raw
    assert raw.execute("PRAGMA journal_mode").fetchone()["journal_mode"] == "wal"
    assert raw.execute("PRAGMA synchronous").fetchone()["synchronous"] == 1  # NORMAL
    assert raw.execute("PRAGMA foreign_keys").fetchone()["foreign_keys"] == 1


async def test_a_write_transaction_holds_the_write_lock_from_its_start(sqlite, tmp_path):
    other = sqlite3.connect(tmp_path / "speed.sqlite3", timeout=0, isolation_level=None)
    async with write_transaction():
        await Partner.select(Partner.id)  # only a read so far: IMMEDIATE has the lock already
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")  # released at commit
    other.execute("ROLLBACK")
    other.close()


async def test_concurrent_read_then_write_transactions_lose_no_update(sqlite):
    partner = await add_partner("计数")

    async def increment() -> None:
        async with write_transaction():
            row = await Partner.select(Partner.company_name).where(Partner.id == partner).first()
            await asyncio.sleep(0)  # let the others run between the read and the write
            count = len(row["company_name"])
            await Partner.update({Partner.company_name: "计" * (count + 1)}).where(Partner.id == partner)

    await asyncio.gather(*(increment() for _ in range(30)))
    row = await Partner.select(Partner.company_name).where(Partner.id == partner).first()
    assert len(row["company_name"]) == 2 + 30


async def test_a_writer_waits_for_another_process_without_blocking_the_loop(sqlite, tmp_path):
    """Another process (here a plain connection in a thread) holds the write lock for a while: the writer waits
    for it and then succeeds, and the event loop serves other work meanwhile."""
    held, release = threading.Event(), threading.Event()

    def other_process() -> None:
        other = sqlite3.connect(tmp_path / "speed.sqlite3", isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
        held.set()
        release.wait(5)
        other.execute("COMMIT")
        other.close()

    holder = threading.Thread(target=other_process)
    holder.start()
    assert await asyncio.to_thread(held.wait, 5)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while not release.is_set():
            ticks += 1
            await asyncio.sleep(0.005)

    async def let_go() -> None:
        await asyncio.sleep(0.2)
        release.set()

    writes = asyncio.gather(add_partner("等待"), ticker(), let_go())
    await writes
    holder.join()
    assert ticks >= 3  # the loop ran while the writer waited
    assert await Partner.count().where(Partner.company_name == "等待") == 1


async def test_the_orders_list_uses_its_index(sqlite, monkeypatch):
    for ddl in index_ddl():
        await sqlite.run_ddl(ddl)
    account = await accounts.create_partner("speed-a", "speed-pass-1", "快速公司", START, certified=True)
    ran = []
    run = ConsoleSQLiteEngine._run

    async def recording(self, query, args, read):
        ran.append((query, list(args)))
        return await run(self, query, args, read)

    monkeypatch.setattr(ConsoleSQLiteEngine, "_run", recording)
    wanted = OrderFilter(kind=OrderKind.PURCHASE, status=OrderStatus.PAID, start=START - timedelta(days=30), end=START)
    await order_queries.page_of(account, wanted, 20, 0)
    await order_queries.page_of(account, OrderFilter(), 20, 0)
    orders = [(query, args) for query, args in ran if '"support_order"' in query]
    assert len(orders) == 2
    for query, args in orders:
        plan = " ".join(row["detail"] for row in sqlite.file().reader.execute(f"EXPLAIN QUERY PLAN {query}", args))
        assert "support_order_account_created" in plan, plan
        assert "TEMP B-TREE" not in plan, plan  # ordered by the index, not sorted afterwards


def test_query_count_counts_every_query(tmp_path):
    async def run() -> int:
        use_engine(engine_from_url(f"sqlite:///{tmp_path / 'count.sqlite3'}"))
        await create_db_tables(*ALL_TABLES)
        before = db.query_count()
        await add_partner("一")
        await Partner.count()
        return db.query_count() - before

    assert asyncio.run(run()) == 2


async def test_a_page_reads_its_session_once_and_healthz_none(client, demo):
    await sign_in(client, "partner-a")
    with recorded_queries() as seen:
        assert (await client.get("/plan")).status_code == 200
    assert sum("web_session" in q for q in seen) == 1, seen  # read once, not written (unchanged)
    with recorded_queries() as seen:
        assert (await client.get("/healthz")).status_code == 200
    assert seen == []


async def test_password_hashing_runs_off_the_event_loop(monkeypatch):
    loop_thread = threading.current_thread()
    ran_in = []
    real = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)

    class Slow:
        def hash(self, password: str) -> str:
            ran_in.append(threading.current_thread())
            time.sleep(0.2)
            return real.hash(password)

        def verify(self, password_hash: str, password: str) -> bool:
            ran_in.append(threading.current_thread())
            time.sleep(0.2)
            return real.verify(password_hash, password)

    monkeypatch.setattr(accounts, "_hasher", Slow())
    monkeypatch.setattr(accounts, "_DUMMY_HASH", None)  # made at the first unknown login, whatever ran before
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    ticking = asyncio.create_task(ticker())
    hashed = await accounts.hash_password("secret-pass-1")
    during_hash = ticks
    assert await accounts.password_matches(hashed, "secret-pass-1")
    assert not await accounts.password_matches(hashed, "wrong-pass-1")
    assert not await accounts.password_matches(None, "secret-pass-1")  # no account: checked, and refused
    ticking.cancel()
    assert during_hash >= 3  # the loop went on during the 0.2 s hash (on the loop it could tick once at most)
    # hash, verify, verify, then for the unknown login the dummy hash and its verify: all off the loop
    assert len(ran_in) == 5 and all(thread is not loop_thread for thread in ran_in)
