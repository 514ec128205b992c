"""Reviewed by hand: the operator console's coupons and outbox (issue 14, SPEC.md §15).

- coupon.revoked_at: when an operator revoked (作废) the coupon; a revoked coupon is never offered nor accepted.
- coupon.request_key: the grant form's one-time key, so a form sent twice grants one coupon (unique when set).
- outbox.last_error: why the last e-mail delivery of the row failed ("" when it never failed or was sent).
- outbox.attempts: how many deliveries of the row failed since it was queued (重新发送 queues it again at 0).
Rows written before this change: coupons unrevoked without a key, messages without an error or a failed attempt."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T03:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "coupon revocation and outbox delivery errors"

STATEMENTS = (
    'ALTER TABLE "coupon" ADD COLUMN "revoked_at" TIMESTAMPTZ NULL DEFAULT null',
    'ALTER TABLE "coupon" ADD COLUMN "request_key" VARCHAR(64) NULL DEFAULT null',
    'CREATE UNIQUE INDEX "coupon_request_key" ON "coupon" ("request_key")',
    'ALTER TABLE "outbox" ADD COLUMN "last_error" TEXT NOT NULL DEFAULT \'\'',
    'ALTER TABLE "outbox" ADD COLUMN "attempts" INTEGER NOT NULL DEFAULT 0',
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="models", description=DESCRIPTION)

    async def create() -> None:
        engine = engine_finder()
        assert engine is not None
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create)
    return manager
