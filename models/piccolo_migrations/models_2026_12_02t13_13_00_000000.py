"""Reviewed by hand: 合作伙伴代付 as a request (issue 13, SPEC.md §13).

- partner_pay_request: one row per member's request that the main account pay an order; its state (requested, paid,
  rejected, withdrawn), the reason of a rejection (驳回), who decided and when. Orders already waiting for the
  main account (method 'partner', pending) get a request in the state requested, asked when the order was made."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

ID = "2026-12-02T13:13:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "partner pay requests"

PARTNER_PAY_REQUEST = (
    'CREATE TABLE "partner_pay_request" ("id" {serial} PRIMARY KEY NOT NULL, '
    '"order_id" VARCHAR(32) NOT NULL REFERENCES "support_order" ("id") ON DELETE RESTRICT ON UPDATE CASCADE, '
    '"requester" INTEGER NOT NULL REFERENCES "account" ("id") ON DELETE RESTRICT ON UPDATE CASCADE, '
    '"payer" INTEGER NOT NULL REFERENCES "account" ("id") ON DELETE RESTRICT ON UPDATE CASCADE, '
    "\"state\" VARCHAR(16) NOT NULL DEFAULT 'requested', \"reason\" VARCHAR(200) NOT NULL DEFAULT '', "
    '"decided_by" INTEGER NULL REFERENCES "account" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, '
    '"requested_at" TIMESTAMPTZ NOT NULL, "decided_at" TIMESTAMPTZ NULL DEFAULT null)'
)
FILL = (
    'INSERT INTO "partner_pay_request" ("order_id", "requester", "payer", "state", "reason", "requested_at") '
    'SELECT "id", "account", "payer", \'requested\', \'\', "created_at" FROM "support_order" '
    'WHERE "method" = \'partner\' AND "status" = \'pending\' AND "payer" IS NOT NULL'
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="models", description=DESCRIPTION)

    async def create() -> None:
        engine = engine_finder()
        assert engine is not None
        sqlite = isinstance(engine, SQLiteEngine)
        await engine.run_ddl(PARTNER_PAY_REQUEST.format(serial="INTEGER" if sqlite else "SERIAL"))
        await engine.run_ddl('CREATE INDEX "partner_pay_request_order" ON "partner_pay_request" ("order_id")')
        await engine.run_ddl('CREATE INDEX "partner_pay_request_payer" ON "partner_pay_request" ("payer", "state")')
        await engine.run_ddl(FILL)

    manager.add_raw(create)
    return manager
