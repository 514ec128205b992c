"""Engine selection from CONSOLE_DATABASE_URL: SQLite (default) or PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from asyncpg import exceptions as pg
from asyncpg.exceptions import UniqueViolationError
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from models.tables import ALL_TABLES, Partner

#: The largest id a Serial column holds (PostgreSQL's integer): a larger one names no row, on either engine.
MAX_SERIAL = 2**31 - 1


def engine_from_url(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        # A busy timeout lets concurrent writers wait their turn instead of failing.
        return SQLiteEngine(path=path, timeout=30)
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresEngine(config={"dsn": url})
    raise ValueError(f"CONSOLE_DATABASE_URL must start with sqlite:/// or postgresql:// (got {url!r})")


def use_engine(engine: Engine) -> None:
    """Point every table at one engine (the app, the CLI and each test choose theirs)."""
    for table in ALL_TABLES:
        table._meta._db = engine


def current_engine() -> Engine:
    return ALL_TABLES[0]._meta.db


@asynccontextmanager
async def write_transaction() -> AsyncIterator[object]:
    """One use case, one transaction. SQLite takes the write lock up front (IMMEDIATE)
    so a read-then-write cannot interleave with another writer."""
    engine = current_engine()
    if isinstance(engine, SQLiteEngine):
        async with engine.transaction(transaction_type=TransactionType.immediate) as tx:
            yield tx
    else:
        async with engine.transaction() as tx:
            yield tx


async def open_pool(engine: Engine, max_size: int) -> None:
    """PostgreSQL: one bounded pool per worker (workers × max_size must stay under the server's
    max_connections); requests beyond it wait for a connection instead of failing. SQLite: nothing."""
    if isinstance(engine, PostgresEngine) and engine.pool is None and max_size > 0:
        await engine.start_connection_pool(min_size=1, max_size=max_size)


async def close_pool(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine) and engine.pool is not None:
        await engine.close_connection_pool()


def is_postgres() -> bool:
    return isinstance(current_engine(), PostgresEngine)


async def lock_partner(partner_id: int) -> None:
    """One change of money at a time per company (its plan is one chain of periods). Inside a write
    transaction: SQLite's IMMEDIATE transaction already serialises writers; PostgreSQL locks the partner row."""
    if is_postgres():
        await Partner.select(Partner.id).where(Partner.id == partner_id).lock_rows()


def is_unique_violation(exc: BaseException) -> bool:
    """True for a unique-key conflict on either engine (another writer inserted the same key first)."""
    if isinstance(exc, sqlite3.IntegrityError):
        return "UNIQUE" in str(exc).upper()
    return isinstance(exc, UniqueViolationError)


# Errors a concurrent writer can cause: the same request again is likely to succeed, or to see the other's result.
_PG_CONFLICTS = (
    pg.UniqueViolationError,
    pg.ForeignKeyViolationError,
    pg.TransactionRollbackError,  # serialization failure, deadlock
    pg.LockNotAvailableError,
    pg.TooManyConnectionsError,
)


def is_conflict(exc: BaseException) -> bool:
    """A database conflict (SPEC.md §12): a unique key or a reference another writer changed first, a
    serialization failure or deadlock, a locked database. Never the request's fault; retried, then 409."""
    if isinstance(exc, sqlite3.IntegrityError):
        return "UNIQUE" in str(exc).upper() or "FOREIGN KEY" in str(exc).upper()
    if isinstance(exc, sqlite3.OperationalError):
        return any(word in str(exc).lower() for word in ("locked", "busy"))
    return isinstance(exc, _PG_CONFLICTS)


def is_bad_data(exc: BaseException) -> bool:
    """A value the database cannot take (too long, out of range, a NUL byte, invalid text): the request's fault.
    The input layer refuses these first; this is the net under it. (asyncpg's client-side "invalid input for
    query argument" is a ValueError.)"""
    return isinstance(exc, (pg.DataError, sqlite3.DataError, OverflowError, ValueError)) or (
        isinstance(exc, sqlite3.ProgrammingError) and "null character" in str(exc).lower()
    )
