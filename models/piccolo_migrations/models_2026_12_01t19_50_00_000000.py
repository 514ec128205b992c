"""Reviewed by hand: the columns that name an order become foreign keys (ON DELETE RESTRICT, as every other).

ledger_entry.order_id, charge.order_id, verification_code.order_id and renewal_attempt.order_id now reference
support_order(id). coupon.used_order_id and support_order.renews_period_id stay plain values: the rows they point
at point back (support_order.coupon, period.order), and a cycle of foreign keys cannot be created table by table.

PostgreSQL adds the constraints in place. SQLite cannot add a constraint to a table, so each of the four tables
is rebuilt from its own CREATE statement with the reference added, its rows copied over unchanged; no other
table references these four, so dropping the old one breaks nothing."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

ID = "2026-12-01T19:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "order_id columns become foreign keys"

TABLES = ("ledger_entry", "charge", "verification_code", "renewal_attempt")
REFERENCE = ' REFERENCES "support_order" ("id") ON DELETE RESTRICT ON UPDATE CASCADE'


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="models", description=DESCRIPTION)

    async def add_foreign_keys() -> None:
        engine = engine_finder()  # the engine the migration runs in (inside its transaction)
        assert engine is not None
        if isinstance(engine, SQLiteEngine):
            for table in TABLES:
                rows = await engine.run_ddl(f"SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '{table}'")
                create = rows[0]["sql"]
                old = '"order_id" VARCHAR(32)'
                assert create.count(old) == 1 and 'REFERENCES "support_order"' not in create, create
                start = create.index(old) + len(old)
                end = create.index(",", start)
                column = create[start:end]  # e.g. " NOT NULL DEFAULT ''" or " NULL DEFAULT null"
                column = column.replace(" DEFAULT ''", "")
                new = create.replace(old + create[start:end], old + column + REFERENCE, 1)
                new = new.replace(f'CREATE TABLE "{table}"', f'CREATE TABLE "{table}__new"', 1)
                await engine.run_ddl(new)
                await engine.run_ddl(f'INSERT INTO "{table}__new" SELECT * FROM "{table}"')
                await engine.run_ddl(f'DROP TABLE "{table}"')
                await engine.run_ddl(f'ALTER TABLE "{table}__new" RENAME TO "{table}"')
        else:
            for table in TABLES:
                await engine.run_ddl(
                    f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_order_id_fkey" FOREIGN KEY ("order_id")' + REFERENCE
                )

    manager.add_raw(add_foreign_keys)
    return manager
