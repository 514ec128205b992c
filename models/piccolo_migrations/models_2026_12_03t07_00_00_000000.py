"""Reviewed by hand: order_explanation, 怎么算的 kept with each order (issue 15, SPEC.md §14): the lines the
preview showed, as JSON, keyed by the order's id (a plain value, like outbox.order_id). Orders made before have
none; their pages show the amount without the disclosure."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T07:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "explanations kept with orders"

ORDER_EXPLANATION = 'CREATE TABLE "order_explanation" ("order_id" VARCHAR(32) PRIMARY KEY NOT NULL, "body" TEXT NOT NULL DEFAULT \'\')'


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="models", description=DESCRIPTION)

    async def create() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(ORDER_EXPLANATION)

    manager.add_raw(create)
    return manager
