"""Unit fixtures: a fresh SQLite file per test, a pinned clock, and Litestar's test client."""

from __future__ import annotations

import os
import re
from datetime import datetime

import pytest
from litestar.testing import AsyncTestClient
from piccolo.table import create_db_tables, drop_db_tables

from models.db import engine_from_url, use_engine
from models.rules.periods import BEIJING
from models.tables import ALL_TABLES
from web.clock import FixedClock
from web.settings import Settings

START = datetime(2024, 1, 1, 10, 30, tzinfo=BEIJING)


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


CSRF_RE = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def csrf_token(client, path: str = "/login") -> str:
    response = await client.get(path)
    return CSRF_RE.search(response.text).group(1)


async def post_form(client, path: str, data: dict, *, token_from: str | None = None):
    """POSTs a form as a browser would: with the CSRF token of the page it came from."""
    token = await csrf_token(client, token_from or path)
    return await client.post(path, data={**data, "_csrf_token": token}, follow_redirects=False)


async def sign_in(client, login: str, password: str = "demo-pass-2026"):
    response = await post_form(client, "/login", {"login": login, "password": password})
    assert response.status_code == 303, response.text
    return response


@pytest.fixture
async def demo(db, clock):
    from models.services.demo import load_demo

    await load_demo(clock.now())
