"""Reviewed by hand: a ticket's status (issue 12: 待受理 / 处理中 / 已解决).

- ticket.status: 'open' (待受理), 'in_progress' (处理中) or 'resolved' (已解决); tickets filed before this change
  are 待受理 (the column's default), as every ticket is when it is submitted."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ticket status"

STATUS = 'ALTER TABLE "ticket" ADD COLUMN "status" VARCHAR(16) NOT NULL DEFAULT \'open\''


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="models", description=DESCRIPTION)

    async def create() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(STATUS)

    manager.add_raw(create)
    return manager
