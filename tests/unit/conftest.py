"""Unit fixtures: a fresh SQLite file per test, a pinned clock, and Litestar's test client.

HTTP helpers (csrf_token, post_form, sign_in) and the rest are in tests/helpers."""

from __future__ import annotations

import os

import pytest
from litestar.testing import AsyncTestClient
from piccolo.table import create_db_tables, drop_db_tables

from models.db import engine_from_url, use_engine
from models.tables import ALL_TABLES
from tests.helpers.times import START
from web.clock import FixedClock
from web.settings import Settings

# CONSOLE_TEST_PG_URL runs the same suite against PostgreSQL (make test starts a throwaway server).
PG_URL = os.environ.get("CONSOLE_TEST_PG_URL")


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
    return Settings(database_url=db, secret_key="test-secret", clock=clock)


@pytest.fixture
async def client(settings):
    from web.app import create_app

    async with AsyncTestClient(app=create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
async def demo(db, clock):
    from models.services.demo import load_demo

    await load_demo(clock.now())
