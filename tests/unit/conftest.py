"""Unit fixtures: a fresh database per test, a pinned clock, and Litestar's test client.

HTTP helpers (csrf_token, post_form, sign_in) and the rest are in tests/helpers. Every test that uses the
database (the `db` fixture, directly or through client, settings or demo) is marked `db`, which
`make test-postgres` selects with `-m db`.

The schema is made once per session (per pytest-xdist worker), not per test: on SQLite each test gets a copy of
an empty, migrated-alike file made by create_db_tables; on PostgreSQL each worker has its own database
(console_test_gw0, ... next to CONSOLE_TEST_PG_URL's) whose tables are emptied (every row deleted, the id
sequences restarted so ids start at 1 again) before each test. Either way a test starts on empty tables, as with a new database."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import argon2
import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient
from piccolo.columns import Serial
from piccolo.table import create_db_tables, drop_db_tables, sort_table_classes

from models.db import close_pool, engine_from_url, open_pool, use_engine
from models.services.accounts import use_password_hasher
from models.tables import ALL_TABLES
from tests.helpers.times import START
from web.clock import FixedClock
from web.settings import Settings

# argon2's cheapest valid parameters for the whole session: every demo account hashes a password and every sign-in
# verifies one. Production keeps argon2's default cost.
use_password_hasher(argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def _worker_database(url: str, worker: str) -> str:
    """URL with its database renamed NAME_WORKER (console_test -> console_test_gw0)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}_{worker}"))


# CONSOLE_TEST_PG_URL runs the same suite against PostgreSQL (make test starts a throwaway server). Under
# pytest-xdist each worker gets its own database on that server; the variable is rewritten to it so that tests
# reading it themselves (test_migrations, the servers of test_two_servers) use the worker's database too.
PG_SERVER_URL = os.environ.get("CONSOLE_TEST_PG_URL")
PG_URL = PG_SERVER_URL
if PG_SERVER_URL and os.environ.get("PYTEST_XDIST_WORKER"):
    PG_URL = _worker_database(PG_SERVER_URL, os.environ["PYTEST_XDIST_WORKER"])
    os.environ["CONSOLE_TEST_PG_URL"] = PG_URL


def pytest_collection_modifyitems(items):
    """`db` on every test that uses the database; client, settings and demo depend on `db`, so they count."""
    for item in items:
        if "db" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


def _run(coro) -> None:
    """Runs COROUTINE to completion on a loop of its own, leaving pytest-asyncio's loops alone."""
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(coro)
    finally:
        loop.close()


async def _create_postgres_database(server_url: str, url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _create_schema(url: str) -> None:
    engine = engine_from_url(url)
    use_engine(engine)
    if PG_URL:
        await drop_db_tables(*ALL_TABLES)  # a database left by an earlier run without xdist
    else:
        await engine.run_ddl("PRAGMA journal_mode=WAL")
    await create_db_tables(*ALL_TABLES)


@pytest.fixture(scope="session", autouse=True)
def _postgres_database():
    """PostgreSQL under xdist: this worker's database, made before any test (test_migrations reads the URL)."""
    if PG_URL and PG_URL != PG_SERVER_URL:
        _run(_create_postgres_database(PG_SERVER_URL, PG_URL))


@pytest.fixture(scope="session")
def _schema(tmp_path_factory, _postgres_database) -> Path | None:
    """The tables, made once: on PostgreSQL in PG_URL's database, on SQLite in a template file copied per test."""
    if PG_URL:
        _run(_create_schema(PG_URL))
        return None
    template = tmp_path_factory.mktemp("schema") / "console.sqlite3"
    _run(_create_schema(f"sqlite:///{template}"))
    with sqlite3.connect(template) as conn:  # everything in the main file, so copying it copies the schema
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return template


def _emptying() -> str:
    """One statement that deletes every row (dependent tables first) and restarts every id sequence at 1: what
    TRUNCATE ... RESTART IDENTITY does, at ~1 ms instead of ~65 ms a test on tables this small."""
    ordered = sort_table_classes(list(ALL_TABLES))
    deletes = "".join(f'DELETE FROM "{table._meta.tablename}"; ' for table in reversed(ordered))
    restarts = "".join(
        f"PERFORM setval(pg_get_serial_sequence('\"{table._meta.tablename}\"', '{column._meta.db_column_name}'), 1, false); "
        for table in ordered
        for column in table._meta.columns
        if isinstance(column, Serial)
    )
    return f"DO $$ BEGIN {deletes}{restarts}END $$"


_EMPTY_TABLES = _emptying()


@pytest.fixture
async def db(tmp_path, _schema):
    if PG_URL:
        url = PG_URL
        engine = engine_from_url(url)
        use_engine(engine)
        # A pool on the test's loop, as the app has one: without it every query outside a transaction opened a
        # connection of its own (4 ms each). An app made by the test replaces this engine with its own.
        await open_pool(engine, 4)
        await engine.run_ddl(_EMPTY_TABLES)
        yield url
        await close_pool(engine)
    else:
        path = tmp_path / "console.sqlite3"
        shutil.copyfile(_schema, path)  # journal_mode=WAL is kept in the file
        url = f"sqlite:///{path}"
        use_engine(engine_from_url(url))
        yield url


@pytest.fixture
def clock():
    return FixedClock(START)


@pytest.fixture
def settings(db, clock):
    return Settings(database_url=db, secret_key="test-secret", clock=clock, demo=True, gateway="sandbox")


@pytest.fixture
async def client(settings):
    from web.app import create_app

    async with AsyncTestClient(app=create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
async def racer(settings):
    """A client whose gathered requests really run at once (race tests). Litestar's AsyncTestClient (the `client`
    fixture) hands each request to a portal thread and waits for its answer, so requests gathered through it run
    one after another and race nothing; this one runs the app on the test's own event loop."""
    from web.app import create_app

    transport = httpx.ASGITransport(app=create_app(settings), raise_app_exceptions=False)
    # No lifespan: its only work is the job scheduler, which tests leave off (they run the jobs themselves).
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as racing:
        yield racing


@pytest.fixture
async def demo(db, clock):
    from models.services.demo import load_demo

    await load_demo(clock.now())
