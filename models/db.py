"""Engine selection from CONSOLE_DATABASE_URL: SQLite (default) or PostgreSQL.

SQLite (`ConsoleSQLiteEngine`): Piccolo's engine opens a new connection, and a new aiosqlite thread, for every
query outside a transaction. Ours keeps two connections per thread and database file, opened once (WAL,
synchronous=NORMAL, foreign keys on) and run on the event loop's own thread: a query on an indexed table takes
tens of microseconds, less than the hand-over to a thread would.
- reads (a SELECT outside a transaction) go to the reader connection; in WAL mode a reader never waits for a
  writer, so running it on the loop cannot stall it;
- every transaction is `BEGIN IMMEDIATE` on the writer connection: one at a time per process (an asyncio lock,
  so writers queue without busy-waiting) and, against other processes, the write lock is polled with short
  asynchronous sleeps up to the engine's timeout instead of blocking the loop in SQLite's busy handler. A write
  outside a transaction (a session row) is one such transaction. Once the write lock is held nothing inside the
  transaction waits for another connection, so its statements run on the loop too.
PostgreSQL: Piccolo's engine with a pool per worker (`open_pool`).

`query_count()` counts the queries run in this process (both engines), for tests and the benchmark."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Generator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from pathlib import Path
from typing import Any

from asyncpg import exceptions as pg
from asyncpg.exceptions import UniqueViolationError
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.querystring import QueryString

from models import piccolo_patch
from models.tables import ALL_TABLES, Partner

piccolo_patch.install()

#: The largest id a Serial column holds (PostgreSQL's integer): a larger one names no row, on either engine.
MAX_SERIAL = 2**31 - 1


#: How long a writer waits for another process's write transaction before the request fails as a conflict.
WRITE_LOCK_TIMEOUT = 30.0
#: The reader's busy timeout (ms): in WAL mode a read waits only in rare moments (a WAL reset), and then briefly.
READ_BUSY_MS = 1000
#: Connections of this many database files are kept per thread (tests open a file per test; an app uses one).
KEPT_FILES = 8

_queries = [0]
_watching: list[list[str]] = []


def query_count() -> int:
    """How many queries this process has run so far (take the difference around what you measure)."""
    return _queries[0]


@contextmanager
def recorded_queries() -> Iterator[list[str]]:
    """The SQL of every query run while inside, in order (tests: how many queries a page runs, and which)."""
    seen: list[str] = []
    _watching.append(seen)
    try:
        yield seen
    finally:
        _watching.remove(seen)


def _count(sql: object) -> None:
    _queries[0] += 1
    for seen in _watching:
        seen.append(str(sql))


class _Cursor:
    """What Piccolo's transaction and savepoint code awaits from `connection.execute(...)`."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self.cursor = cursor

    async def fetchall(self) -> list[Any]:
        return self.cursor.fetchall()

    async def fetchone(self) -> Any:
        return self.cursor.fetchone()

    async def close(self) -> None:
        self.cursor.close()

    async def __aenter__(self) -> _Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.cursor.close()


class _Execution:
    """`await connection.execute(sql)` and `async with connection.execute(sql) as cursor`, run at once."""

    def __init__(self, connection: sqlite3.Connection, sql: str, args: Any) -> None:
        self.cursor = _Cursor(connection.execute(sql, args))

    def __await__(self) -> Generator[Any, None, _Cursor]:
        return self.cursor.__aenter__().__await__()

    async def __aenter__(self) -> _Cursor:
        return self.cursor

    async def __aexit__(self, *exc: object) -> None:
        self.cursor.cursor.close()


class _Connection:
    """A sqlite3 connection with the awaitable surface of aiosqlite's that Piccolo's transaction code uses."""

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    def execute(self, sql: str, args: Any = ()) -> _Execution:
        return _Execution(self.raw, sql, args or ())

    async def commit(self) -> None:
        pass  # autocommit: statements commit themselves, transactions commit with COMMIT

    async def close(self) -> None:
        pass  # kept for the next transaction


class _Files(threading.local):
    def __init__(self) -> None:
        self.files: OrderedDict[str, _File] = OrderedDict()


_threads = _Files()


class _File:
    """One thread's connections to one database file, and its writers' queue."""

    def __init__(self, kwargs: dict[str, Any]) -> None:
        self.kwargs = kwargs
        self._reader: sqlite3.Connection | None = None
        self._writer: _Connection | None = None
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    def _open(self, busy_ms: int) -> sqlite3.Connection:
        raw = sqlite3.connect(**{**self.kwargs, "check_same_thread": False})
        raw.row_factory = dict_factory
        raw.execute(f"PRAGMA busy_timeout = {busy_ms}")
        raw.execute("PRAGMA foreign_keys = 1")
        raw.execute("PRAGMA synchronous = NORMAL")
        return raw

    @property
    def reader(self) -> sqlite3.Connection:
        if self._reader is None:
            self._reader = self._open(READ_BUSY_MS)
        return self._reader

    @property
    def writer(self) -> _Connection:
        if self._writer is None:
            raw = self._open(0)  # never block the loop: the write lock is polled (_retry_busy)
            # Another process may hold the file now: it was made WAL by `migrate`, or by that process.
            with suppress(sqlite3.OperationalError):
                raw.execute("PRAGMA journal_mode = WAL")
            self._writer = _Connection(raw)
        return self._writer

    @property
    def lock(self) -> asyncio.Lock:
        """The process's writers queue here (one lock per event loop: tests run several, one after another)."""
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock

    def close(self) -> None:
        for raw in (self._reader, self._writer.raw if self._writer else None):
            if raw is not None and not raw.in_transaction:
                raw.close()


def _is_read(sql: str) -> bool:
    """A SELECT: it goes to the reader connection when no transaction is open."""
    return sql.lstrip()[:6].upper() == "SELECT"


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


async def _retry_busy(run: Any, timeout: float) -> Any:
    """Runs `run()` (a statement taking the write lock) until another process lets go of the lock, polling with
    asynchronous sleeps of 0.5 ms to 5 ms; past `timeout` the "database is locked" error stands (a conflict)."""
    deadline = time.monotonic() + timeout
    pause = 0.0005
    while True:
        try:
            return run()
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or time.monotonic() > deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.005)


class ConsoleTransaction(SQLiteTransaction):
    """Piccolo's SQLite transaction on the thread's writer connection, always IMMEDIATE, queued per process."""

    __slots__ = ("file",)

    async def __aenter__(self) -> ConsoleTransaction:
        if self._parent is not None:
            return self._parent  # type: ignore[return-value]  # a parent of ours is ours
        engine: ConsoleSQLiteEngine = self.engine  # type: ignore[assignment]
        self.file = engine.file()
        await self.file.lock.acquire()
        try:
            self.connection = self.file.writer
            await self.begin()
        except BaseException:
            self.file.lock.release()
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def begin(self) -> None:
        raw = self.connection.raw
        raw.execute("PRAGMA foreign_keys = 1")  # a migration may have turned it off on this connection
        await _retry_busy(lambda: raw.execute("BEGIN IMMEDIATE"), self.engine.timeout)  # type: ignore[attr-defined]

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception:
                if not self._rolled_back and self.connection.raw.in_transaction:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                try:
                    await self.commit()
                except BaseException:
                    if self.connection.raw.in_transaction:
                        self.connection.raw.execute("ROLLBACK")
                    raise
        finally:
            self.engine.current_transaction.reset(self.context)
            self.file.lock.release()
        return exception is None


class ConsoleSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine with connections kept per thread (see the module's docstring)."""

    def __init__(self, path: str, timeout: float = WRITE_LOCK_TIMEOUT) -> None:
        super().__init__(path=path)
        self.timeout = timeout
        self.key = str(Path(path).resolve())  # engines of one file share its connections and its writers' queue

    def file(self) -> _File:
        """This thread's connections to the engine's file."""
        files = _threads.files
        key = self.key
        found = files.get(key)
        if found is None:
            found = files[key] = _File(self.connection_kwargs)
            while len(files) > KEPT_FILES:
                files.popitem(last=False)[1].close()
        else:
            files.move_to_end(key)
        return found

    def transaction(
        self, transaction_type: TransactionType = TransactionType.immediate, allow_nested: bool = True
    ) -> SQLiteTransaction:
        return ConsoleTransaction(engine=self, transaction_type=TransactionType.immediate, allow_nested=allow_nested)

    async def _run(self, query: str, args: list[Any], read: bool) -> list[Any]:
        _count(query)
        current = self.current_transaction.get()
        if current is not None:
            return current.connection.raw.execute(query, args).fetchall()
        file = self.file()
        if read:
            return file.reader.execute(query, args).fetchall()
        async with file.lock:
            raw = file.writer.raw
            raw.execute("PRAGMA foreign_keys = 1")
            rows: list[Any] = await _retry_busy(lambda: raw.execute(query, args).fetchall(), self.timeout)
            return rows

    async def run_querystring(self, querystring: QueryString, in_pool: bool = False) -> Any:
        query_id = self.get_query_id()
        if self.log_queries:
            self.print_query(query_id=query_id, query=querystring.__str__())
        query, args = querystring.compile_string(engine_type=self.engine_type)
        response = await self._run(query, args, _is_read(query))
        if self.log_responses:
            self.print_response(query_id=query_id, response=response)
        return response

    async def run_ddl(self, ddl: str, in_pool: bool = False) -> Any:
        query_id = self.get_query_id()
        if self.log_queries:
            self.print_query(query_id=query_id, query=ddl)
        response = await self._run(ddl, [], read=False)
        if self.log_responses:
            self.print_response(query_id=query_id, response=response)
        return response


class ConsolePostgresEngine(PostgresEngine):
    """Piccolo's PostgreSQL engine, counting its queries."""

    async def run_querystring(self, querystring: QueryString, in_pool: bool = True) -> Any:
        _count(querystring if _watching else "")
        return await super().run_querystring(querystring, in_pool)

    async def run_ddl(self, ddl: str, in_pool: bool = True) -> Any:
        _count(ddl)
        return await super().run_ddl(ddl, in_pool)


async def run_compiled(engine: Engine, sql: str, args: list[Any]) -> list[dict[str, Any]]:
    """Compiled SQL (models.prepared) on ENGINE as Piccolo would run it: in the current transaction if any,
    else on the reader or writer (SQLite) or the pool (PostgreSQL); rows as dicts."""
    if isinstance(engine, ConsoleSQLiteEngine):
        rows: list[dict[str, Any]] = await engine._run(sql, args, _is_read(sql))
        return rows
    assert isinstance(engine, PostgresEngine)
    _count(sql if _watching else "")
    current = engine.current_transaction.get()
    if current is not None:
        records = await current.connection.fetch(sql, *args)
    elif engine.pool:
        records = await engine._run_in_pool(sql, args)
    else:
        records = await engine._run_in_new_connection(sql, args)
    return [dict(r) for r in records]


def engine_from_url(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return ConsoleSQLiteEngine(path=path)
    if url.startswith(("postgresql://", "postgres://")):
        return ConsolePostgresEngine(config={"dsn": url})
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
