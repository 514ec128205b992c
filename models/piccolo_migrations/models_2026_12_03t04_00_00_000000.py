"""Reviewed by hand: the versioned price catalog (价格目录, issue 14, SPEC.md §2, §15).

- catalog_version: one row per version of the operator-editable prices (monthly prices of 标准级 and 尊享级, the
  ticket add-on pack price, the yearly discount in basis points), in force from `effective_at`; who added it
  (an operator, null for the seed) and the form's one-time request key (unique: a form sent twice adds one). Version 1 is seeded here with SPEC.md §2's prices (¥8,500.00, ¥25,000.00,
  ¥2,000.00 a pack, no yearly discount), in force from the beginning of time (1970-01-01 UTC), so an existing
  database keeps its prices.
- support_order.catalog_version, quote.catalog_version: the version an order or a quote was priced with; every
  order and quote made before this migration was priced with version 1's prices, and is backfilled to 1."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

ID = "2026-12-03T04:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "price catalog versions"

CATALOG_VERSION = (
    'CREATE TABLE "catalog_version" ("id" {serial} PRIMARY KEY NOT NULL, '
    '"standard_monthly_fen" BIGINT NOT NULL DEFAULT 0, "premium_monthly_fen" BIGINT NOT NULL DEFAULT 0, '
    '"pack_price_fen" BIGINT NOT NULL DEFAULT 0, "yearly_discount_bp" INTEGER NOT NULL DEFAULT 0, '
    '"effective_at" TIMESTAMPTZ NOT NULL, "created_at" TIMESTAMPTZ NOT NULL, '
    '"created_by" INTEGER NULL REFERENCES "operator" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, '
    '"request_key" VARCHAR(64) NULL UNIQUE DEFAULT null)'
)
# No explicit id: the empty table's first row is 1 on both engines, and PostgreSQL's sequence moves past it.
SEED = (
    'INSERT INTO "catalog_version" ("standard_monthly_fen", "premium_monthly_fen", "pack_price_fen", '
    '"yearly_discount_bp", "effective_at", "created_at", "created_by") '
    "VALUES (850000, 2500000, 200000, 0, '1970-01-01 00:00:00+00:00', '1970-01-01 00:00:00+00:00', null)"
)
ORDER_COLUMN = 'ALTER TABLE "support_order" ADD COLUMN "catalog_version" INTEGER NULL DEFAULT null'
QUOTE_COLUMN = 'ALTER TABLE "quote" ADD COLUMN "catalog_version" INTEGER NULL DEFAULT null'


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="models", description=DESCRIPTION)

    async def create() -> None:
        engine = engine_finder()
        assert engine is not None
        serial = "INTEGER" if isinstance(engine, SQLiteEngine) else "SERIAL"
        await engine.run_ddl(CATALOG_VERSION.format(serial=serial))
        await engine.run_ddl('CREATE INDEX "catalog_version_effective_at" ON "catalog_version" ("effective_at")')
        await engine.run_ddl(SEED)
        await engine.run_ddl(ORDER_COLUMN)
        await engine.run_ddl(QUOTE_COLUMN)
        await engine.run_ddl('UPDATE "support_order" SET "catalog_version" = 1')
        await engine.run_ddl('UPDATE "quote" SET "catalog_version" = 1')

    manager.add_raw(create)
    return manager
