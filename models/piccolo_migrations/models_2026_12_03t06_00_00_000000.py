"""Reviewed by hand: 消息中心, 通知设置 and reminders once each (issue 15, SPEC.md §16).

- outbox.kind (reminder, payment_result, refund, partner_request, other; existing rows 'other'), outbox.order_id (the
  order a message is about, a plain value), outbox.read_at (when the account read it in 消息中心; existing rows
  unread: no inbox showed them before). An index on (account, channel, read_at) for the unread count of every page.
- notification_preference: per account and kind whether it also goes by e-mail; unique "account:kind".
- reminder_sent: one row per reminder the scheduled job sent (30/7/1 days before the end, before an auto-renew
  charge); its unique key makes concurrent jobs send each once."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

ID = "2026-12-03T06:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "inbox, notification settings, reminders"

OUTBOX_COLUMNS = (
    'ALTER TABLE "outbox" ADD COLUMN "kind" VARCHAR(16) NOT NULL DEFAULT \'other\'',
    'ALTER TABLE "outbox" ADD COLUMN "order_id" VARCHAR(32) NULL DEFAULT null',
    'ALTER TABLE "outbox" ADD COLUMN "read_at" TIMESTAMPTZ NULL DEFAULT null',
)
NOTIFICATION_PREFERENCE = (
    'CREATE TABLE "notification_preference" ("id" {serial} PRIMARY KEY NOT NULL, '
    '"account" INTEGER NOT NULL REFERENCES "account" ("id") ON DELETE RESTRICT ON UPDATE CASCADE, '
    '"kind" VARCHAR(16) NOT NULL DEFAULT \'\', "email" BOOLEAN NOT NULL DEFAULT false, '
    "\"unique_key\" VARCHAR(40) NOT NULL DEFAULT '' UNIQUE)"
)
REMINDER_SENT = (
    'CREATE TABLE "reminder_sent" ("id" {serial} PRIMARY KEY NOT NULL, '
    '"unique_key" VARCHAR(48) NOT NULL DEFAULT \'\' UNIQUE, "created_at" TIMESTAMPTZ NOT NULL)'
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="models", description=DESCRIPTION)

    async def create() -> None:
        engine = engine_finder()
        assert engine is not None
        serial = "INTEGER" if isinstance(engine, SQLiteEngine) else "SERIAL"
        for ddl in OUTBOX_COLUMNS:
            await engine.run_ddl(ddl)
        await engine.run_ddl('CREATE INDEX "outbox_inbox" ON "outbox" ("account", "channel", "read_at")')
        await engine.run_ddl(NOTIFICATION_PREFERENCE.format(serial=serial))
        await engine.run_ddl(REMINDER_SENT.format(serial=serial))

    manager.add_raw(create)
    return manager
