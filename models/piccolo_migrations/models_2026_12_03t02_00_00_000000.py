"""Reviewed by hand: the operator console (issue 14, SPEC.md §15).

- operator: the vendor's staff who sign in at /ops/login (login unique, argon2 password hash, disabled flag).
- audit_entry: one row per operator write (操作日志): who, what, on which account or order, the reason and the
  details, and when; indexed by time, since the log is read newest first."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

ID = "2026-12-03T02:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "operators and the audit log"

OPERATOR = (
    'CREATE TABLE "operator" ("id" {serial} PRIMARY KEY NOT NULL, "login" VARCHAR(64) UNIQUE NOT NULL, '
    '"password_hash" TEXT NOT NULL DEFAULT \'\', "created_at" TIMESTAMPTZ NOT NULL, '
    '"disabled" BOOLEAN NOT NULL DEFAULT false)'
)
AUDIT_ENTRY = (
    'CREATE TABLE "audit_entry" ("id" {serial} PRIMARY KEY NOT NULL, '
    '"operator" INTEGER NOT NULL REFERENCES "operator" ("id") ON DELETE RESTRICT ON UPDATE CASCADE, '
    "\"action\" VARCHAR(32) NOT NULL DEFAULT '', "
    '"account" INTEGER NULL REFERENCES "account" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, '
    '"order_id" VARCHAR(32) NULL DEFAULT null, "reason" TEXT NOT NULL DEFAULT \'\', '
    '"detail" TEXT NOT NULL DEFAULT \'\', "request_key" VARCHAR(64) UNIQUE NULL DEFAULT null, '
    '"created_at" TIMESTAMPTZ NOT NULL)'
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="models", description=DESCRIPTION)

    async def create() -> None:
        engine = engine_finder()
        assert engine is not None
        serial = "INTEGER" if isinstance(engine, SQLiteEngine) else "SERIAL"
        await engine.run_ddl(OPERATOR.format(serial=serial))
        await engine.run_ddl(AUDIT_ENTRY.format(serial=serial))
        await engine.run_ddl('CREATE INDEX "audit_entry_created_at" ON "audit_entry" ("created_at")')
        await engine.run_ddl('CREATE INDEX "audit_entry_account" ON "audit_entry" ("account")')

    manager.add_raw(create)
    return manager
