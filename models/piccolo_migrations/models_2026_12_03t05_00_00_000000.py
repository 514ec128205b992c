"""Reviewed by hand: indexes for the queries every page runs (issue 16), each filtering by company, account,
status or time and ordering by time or id. Without them SQLite and PostgreSQL read a whole table for a company's
orders, periods, ledger or tickets; tests/unit/test_speed_indexes.py checks with EXPLAIN QUERY PLAN that the
orders list uses its index.

- support_order (account, created_at, id): 订单管理 (the orders list, its filters and exports) of an account;
  (partner, status, created_at): a company's pending orders (the banner of the detail page, one 新购 at a time);
  (payer, status): 待代付订单 of a main account.
- ledger_entry (account, id): an account's balance history; (order_id): an order's money movements.
- period (plan, status): a plan's periods (the plan state of every page); charge (period), (order_id).
- outbox (account, id): 消息中心, newest first (outbox_inbox covers the unread count).
- ticket (partner, created_at): a company's tickets and the month's technical count; (account, created_at): the
  duplicate check of a submission.
- verification_code (account, order_id): the latest code of an order's 身份验证."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T05:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes for the pages' queries"

INDEXES = (
    ("support_order_account_created", "support_order", ("account", "created_at", "id")),
    ("support_order_partner_status", "support_order", ("partner", "status", "created_at")),
    ("support_order_payer_status", "support_order", ("payer", "status")),
    ("ledger_entry_account", "ledger_entry", ("account", "id")),
    ("ledger_entry_order", "ledger_entry", ("order_id",)),
    ("period_plan_status", "period", ("plan", "status")),
    ("charge_period", "charge", ("period",)),
    ("charge_order", "charge", ("order_id",)),
    ("outbox_account", "outbox", ("account", "id")),
    ("ticket_partner_created", "ticket", ("partner", "created_at")),
    ("ticket_account_created", "ticket", ("account", "created_at")),
    ("verification_code_account_order", "verification_code", ("account", "order_id")),
)


def index_ddl() -> list[str]:
    """The CREATE INDEX statements (the same on SQLite and PostgreSQL)."""
    statements = []
    for name, table, columns in INDEXES:
        listed = ", ".join(f'"{column}"' for column in columns)
        statements.append(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({listed})')
    return statements


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="models", description=DESCRIPTION)

    async def create() -> None:
        engine = engine_finder()
        assert engine is not None
        for ddl in index_ddl():
            await engine.run_ddl(ddl)

    manager.add_raw(create)
    return manager
