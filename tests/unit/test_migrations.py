"""The project's Piccolo migrations, run forwards by `partner-console migrate` on an empty database, build the schema
the table classes expect: every table, every column, required foreign keys NOT NULL, every foreign key RESTRICT.

SQLite by default; PostgreSQL when CONSOLE_TEST_PG_URL is set, in a schema of its own (dropped afterwards), so the
other tests' tables in the shared database are never touched. The migrations are whatever files are in
models/piccolo_migrations: none is named here."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from piccolo.columns import ForeignKey

from models.tables import ALL_TABLES

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = ROOT / "models" / "piccolo_migrations"
PG_URL = os.environ.get("CONSOLE_TEST_PG_URL")

# What a database has: {table: {column: (NOT NULL?, ON DELETE of its foreign key, or None)}}.
Schema = dict[str, dict[str, tuple[bool, str | None]]]


def expected_schema() -> dict[str, dict[str, ForeignKey | None]]:
    """{table: {column: the ForeignKey column, or None for any other column}} from the table classes."""
    return {
        table._meta.tablename: {
            column._meta.db_column_name: column if isinstance(column, ForeignKey) else None
            for column in table._meta.columns
        }
        for table in ALL_TABLES
    }


def migration_files() -> list[str]:
    return sorted(p.stem for p in MIGRATIONS.glob("*.py") if not p.name.startswith("_"))


def migrate(database_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONSOLE_", "PICCOLO_"))}
    env.update(CONSOLE_DATABASE_URL=database_url, PYTHONDONTWRITEBYTECODE="1")
    result = subprocess.run(
        [sys.executable, "-m", "web.cli", "migrate"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, f"migrate exited with {result.returncode}\n{result.stdout}\n{result.stderr}"


def check(actual: Schema, migrations_recorded: int) -> None:
    assert migrations_recorded == len(migration_files()) > 0
    for table, columns in expected_schema().items():
        assert table in actual, f"no table {table}"
        for name, fk in columns.items():
            assert name in actual[table], f"no column {table}.{name}"
            if fk is None:
                continue
            not_null, on_delete = actual[table][name]
            assert not_null == (not fk._meta.null), f"{table}.{name}: NOT NULL is {not_null}"
            assert on_delete == fk._foreign_key_meta.on_delete.value, f"{table}.{name}: ON DELETE {on_delete}"


def sqlite_schema(path: Path) -> tuple[Schema, int]:
    with sqlite3.connect(path) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        actual: Schema = {}
        for table in tables:
            on_delete = {row[3]: row[6] for row in conn.execute(f'PRAGMA foreign_key_list("{table}")')}
            actual[table] = {
                row[1]: (bool(row[3]), on_delete.get(row[1])) for row in conn.execute(f'PRAGMA table_info("{table}")')
            }
        recorded = conn.execute("SELECT count(*) FROM migration WHERE app_name = 'models'").fetchone()[0]
    return actual, recorded


async def postgres_schema(url: str, schema: str) -> tuple[Schema, int]:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        columns = await conn.fetch(
            "SELECT table_name, column_name, is_nullable FROM information_schema.columns WHERE table_schema = $1",
            schema,
        )
        foreign_keys = await conn.fetch(
            """SELECT k.table_name, k.column_name, r.delete_rule
               FROM information_schema.referential_constraints r
               JOIN information_schema.key_column_usage k
                 ON k.constraint_schema = r.constraint_schema AND k.constraint_name = r.constraint_name
               WHERE r.constraint_schema = $1""",
            schema,
        )
        recorded = await conn.fetchval(f'SELECT count(*) FROM "{schema}".migration WHERE app_name = $1', "models")
    finally:
        await conn.close()
    on_delete = {(row["table_name"], row["column_name"]): row["delete_rule"] for row in foreign_keys}
    actual: Schema = {}
    for row in columns:
        key = (row["table_name"], row["column_name"])
        actual.setdefault(row["table_name"], {})[row["column_name"]] = (row["is_nullable"] == "NO", on_delete.get(key))
    return actual, recorded


def with_search_path(url: str, schema: str) -> str:
    """The URL with `search_path` set (asyncpg passes unknown query parameters on as server settings)."""
    parts = urlsplit(url)
    query = f"{parts.query}&search_path={schema}" if parts.query else f"search_path={schema}"
    return urlunsplit(parts._replace(query=query))


@pytest.mark.db
async def test_migrations_build_the_schema_the_tables_expect(tmp_path):
    if not PG_URL:
        path = tmp_path / "migrated.sqlite3"
        migrate(f"sqlite:///{path}")
        check(*sqlite_schema(path))
        return

    import asyncpg

    schema = f"migrations_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(PG_URL)
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            migrate(with_search_path(PG_URL, schema))
            check(*await postgres_schema(PG_URL, schema))
        finally:
            await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        await conn.close()
