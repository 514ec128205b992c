"""Reviewed by hand: server-side sessions, the gateway transaction log and the auto-renew payer (SPEC.md §11–12).

- web_session: one row per signed-in browser; the cookie carries only its key.
- gateway_transaction: one row per transaction the gateway reports, with what became of it.
- plan.auto_renew_payer: the account whose balance auto-renew charges. Plans that already renew automatically
  get their main account as payer (the one account that could pay for them before this change)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

ID = "2026-12-01T20:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "sessions, gateway transactions, auto-renew payer"

WEB_SESSION = (
    'CREATE TABLE "web_session" ("key" VARCHAR(64) PRIMARY KEY NOT NULL, "account" INTEGER NULL DEFAULT null, '
    '"data" TEXT NOT NULL DEFAULT \'\', "expires_at" TIMESTAMPTZ NOT NULL)'
)
GATEWAY_TRANSACTION = (
    'CREATE TABLE "gateway_transaction" ("id" {serial} PRIMARY KEY NOT NULL, "provider" VARCHAR(16) NOT NULL, '
    '"transaction_id" VARCHAR(64) UNIQUE NOT NULL, '
    '"order_id" VARCHAR(32) NOT NULL REFERENCES "support_order" ("id") ON DELETE RESTRICT ON UPDATE CASCADE, '
    '"amount_fen" BIGINT NOT NULL, "outcome" VARCHAR(16) NOT NULL, '
    '"credited_to" INTEGER NULL REFERENCES "account" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, '
    '"note" VARCHAR(200) NOT NULL DEFAULT \'\', "received_at" TIMESTAMPTZ NOT NULL)'
)
PAYER = (
    'ALTER TABLE "plan" ADD COLUMN "auto_renew_payer" INTEGER NULL '
    'REFERENCES "account" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null'
)
FILL_PAYER = (
    'UPDATE "plan" SET "auto_renew_payer" = (SELECT "id" FROM "account" WHERE "account"."partner" = "plan"."partner" '
    'AND "account"."is_main" = {true} ORDER BY "id" LIMIT 1) WHERE "auto_renew" = {true}'
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="models", description=DESCRIPTION)

    async def create() -> None:
        engine = engine_finder()
        assert engine is not None
        sqlite = isinstance(engine, SQLiteEngine)
        await engine.run_ddl(WEB_SESSION)
        await engine.run_ddl('CREATE INDEX "web_session_account" ON "web_session" ("account")')
        await engine.run_ddl(GATEWAY_TRANSACTION.format(serial="INTEGER" if sqlite else "SERIAL"))
        await engine.run_ddl(PAYER)
        await engine.run_ddl(FILL_PAYER.format(true="1" if sqlite else "true"))

    manager.add_raw(create)
    return manager
