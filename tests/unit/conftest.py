"""Unit fixtures: a fresh SQLite file per test, a pinned clock, and Litestar's test client.

HTTP helpers (csrf_token, post_form, sign_in) and the rest are in tests/helpers. Every test that uses the
database (the `db` fixture, directly or through client, settings or demo) is marked `db`, which
`make test-postgres` selects with `-m db`."""

from __future__ import annotations

import os

import argon2
import httpx
import pytest
from litestar.testing import AsyncTestClient
from piccolo.table import create_db_tables, drop_db_tables

from models.db import engine_from_url, use_engine
from models.services.accounts import use_password_hasher
from models.tables import ALL_TABLES
from tests.helpers.times import START
from web.clock import FixedClock
from web.settings import Settings

# argon2's cheapest valid parameters for the whole session: every demo account hashes a password and every sign-in
# verifies one. Production keeps argon2's default cost.
use_password_hasher(argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


# CONSOLE_TEST_PG_URL runs the same suite against PostgreSQL (make test starts a throwaway server).
PG_URL = os.environ.get("CONSOLE_TEST_PG_URL")


def pytest_collection_modifyitems(items):
    """`db` on every test that uses the database; client, settings and demo depend on `db`, so they count."""
    for item in items:
        if "db" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


@pytest.fixture
async def db(tmp_path):
    url = PG_URL or f"sqlite:///{tmp_path / 'console.sqlite3'}"
    engine = engine_from_url(url)
    use_engine(engine)
    if PG_URL:
        await drop_db_tables(*ALL_TABLES)
    else:
        await engine.run_ddl("PRAGMA journal_mode=WAL")
    await create_db_tables(*ALL_TABLES)
    return url


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
