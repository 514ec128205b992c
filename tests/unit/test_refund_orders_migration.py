"""The refund-orders migration (2026-12-03T01:00) on a database with refunds made the old way: the schema of the
migration before it, an unsubscribe (periods refunded, orders 已退订, ledger credits naming the refunded orders, an
Unsubscription row) and a downgrade (a paid order of kind downgrade with its negative charges and credits), written as
the old code wrote them. After it: one refund order per refund (已退款, its amount, reason, links summing to its
amount), the ledger's rows all there with the same amounts and balances, the unsubscribe's credits naming its refund
order.

SQLite by default; PostgreSQL when CONSOLE_TEST_PG_URL is set, in a schema of its own (dropped afterwards)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from piccolo.querystring import QueryString

from models.db import engine_from_url
from models.rules.periods import BEIJING
from tests.unit.test_migrations import ROOT, with_search_path

PG_URL = os.environ.get("CONSOLE_TEST_PG_URL")
BEFORE = "2026-12-02T13:13:00:000000"  # the migration before the refund orders'
T0 = datetime(2024, 1, 1, 10, 30, tzinfo=BEIJING)
UNSUB_AT = datetime(2024, 1, 15, 18, 40, tzinfo=BEIJING)
DOWN_AT = datetime(2024, 1, 6, 10, 30, tzinfo=BEIJING)

FORWARDS = """
import asyncio, sys
from piccolo.apps.migrations.commands.forwards import run_forwards
async def main():
    result = await run_forwards(app_name="models", migration_id=sys.argv[1], fake=False)
    assert result.success, result.message
asyncio.run(main())
"""


def forwards(url: str, migration_id: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONSOLE_", "PICCOLO_"))}
    env.update(CONSOLE_DATABASE_URL=url, PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run(
        [sys.executable, "-c", FORWARDS, migration_id],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"


class Old:
    """Writes rows as the code before the migration did, through one engine."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.balances: dict[int, int] = {}

    async def run(self, sql: str, *args):
        return await self.engine.run_querystring(QueryString(sql, *args))

    async def insert(self, table: str, **values) -> None:
        names = ", ".join(f'"{k}"' for k in values)
        marks = ", ".join("{}" for _ in values)
        await self.run(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', *values.values())

    async def ledger(self, account: int, kind: str, fen: int, at: datetime, order_id: str | None, note: str = ""):
        self.balances[account] = self.balances.get(account, 0) + fen
        await self.run('UPDATE "account" SET "balance_fen" = {} WHERE "id" = {}', self.balances[account], account)
        await self.insert(
            "ledger_entry",
            account=account,
            kind=kind,
            amount_fen=fen,
            balance_after_fen=self.balances[account],
            order_id=order_id,
            note=note,
            created_at=at,
        )

    async def company(self, n: int) -> tuple[int, int]:
        await self.insert("partner", id=n, company_name=f"公司{n}", certified=True, created_at=T0)
        await self.insert(
            "account",
            id=n,
            login=f"old-{n}",
            password_hash="x",
            partner=n,
            is_main=True,
            company_name=f"公司{n}",
            balance_fen=0,
            created_at=T0,
        )
        await self.insert("plan", id=n, partner=n, auto_renew=False, auto_renew_months=0, created_at=T0)
        await self.ledger(n, "top_up", 10_000_000, T0, None)
        return n, n

    async def paid_period(
        self, account: int, plan: int, order_id: str, kind: str, level: str, fen: int, start, end, period_id: int
    ):
        await self.insert(
            "support_order",
            id=order_id,
            account=account,
            partner=account,
            kind=kind,
            level=level,
            months=1,
            pack_count=0,
            list_fen=fen,
            discount_fen=0,
            due_fen=fen,
            status="paid",
            method="balance",
            auto=False,
            created_at=T0,
            paid_at=T0,
            refund_reason="",
            refund_comment="",
        )
        await self.ledger(account, "charge", -fen, T0, order_id)
        await self.insert(
            "period",
            id=period_id,
            plan=plan,
            order=order_id,
            level=level,
            months=1,
            is_renewal=kind == "renewal",
            start=start,
            end=end,
            paid_at=T0,
            status="active",
        )
        await self.insert("charge", period=period_id, order_id=order_id, amount_fen=fen, span_start=start, span_end=end)


async def old_world(old: Old) -> dict[str, str]:
    p1_end = datetime(2024, 2, 1, 23, 59, 59, tzinfo=BEIJING)
    p2_end = datetime(2024, 3, 1, 23, 59, 59, tzinfo=BEIJING)
    # company 1: bought, renewed, unsubscribed the old way
    account, plan = await old.company(1)
    await old.paid_period(account, plan, "CSOLDBUY00001", "purchase", "standard", 850_000, T0, p1_end, 1)
    await old.paid_period(account, plan, "CSOLDREN00001", "renewal", "standard", 850_000, p1_end, p2_end, 2)
    await old.run('UPDATE "period" SET "status" = {} WHERE "plan" = {}', "refunded", plan)
    await old.run(
        'UPDATE "support_order" SET "status" = {}, "closed_at" = {}, "refund_reason" = {} WHERE "partner" = {}',
        "refunded",
        UNSUB_AT,
        "test_done",
        account,
    )
    await old.ledger(account, "refund", 379_248, UNSUB_AT, "CSOLDBUY00001", "unsubscribe")
    await old.ledger(account, "refund", 850_000, UNSUB_AT, "CSOLDREN00001", "unsubscribe")
    await old.insert(
        "unsubscription",
        account=account,
        plan=plan,
        five_day=False,
        reason="test_done",
        comment="",
        paid_fen=1_700_000,
        consumed_fen=385_752,
        fee_fen=85_000,
        refund_fen=1_229_248,
        created_at=UNSUB_AT,
    )
    # company 2: Premium bought and renewed, downgraded the old way (a paid order of kind downgrade)
    account, plan = await old.company(2)
    await old.paid_period(account, plan, "CSOLDBUY00002", "purchase", "premium", 2_500_000, T0, p1_end, 3)
    await old.paid_period(account, plan, "CSOLDREN00002", "renewal", "premium", 2_500_000, p1_end, p2_end, 4)
    await old.insert(
        "support_order",
        id="CSOLDDOWN0002",
        account=account,
        partner=account,
        kind="downgrade",
        level="standard",
        months=0,
        pack_count=0,
        list_fen=2_426_022,
        discount_fen=0,
        due_fen=2_426_022,
        status="paid",
        method="",
        auto=False,
        created_at=DOWN_AT,
        paid_at=DOWN_AT,
        closed_at=DOWN_AT,
        refund_reason="",
        refund_comment="",
    )
    for period, fen, start, end in ((3, 776_022, DOWN_AT, p1_end), (4, 1_650_000, p1_end, p2_end)):
        await old.insert(
            "charge", period=period, order_id="CSOLDDOWN0002", amount_fen=-fen, span_start=start, span_end=end
        )
        await old.ledger(account, "refund", fen, DOWN_AT, "CSOLDDOWN0002", "downgrade")
    await old.run('UPDATE "period" SET "level" = {} WHERE "plan" = {}', "standard", plan)
    return {"down": "CSOLDDOWN0002"}


async def check(url: str) -> None:
    forwards(url, BEFORE)
    engine = engine_from_url(url)
    old = Old(engine)
    await old_world(old)
    ledger_before = await old.run('SELECT * FROM "ledger_entry" ORDER BY "id"')
    forwards(url, "all")

    ledger_after = await old.run('SELECT * FROM "ledger_entry" ORDER BY "id"')
    assert [(r["id"], r["account"], r["amount_fen"], r["balance_after_fen"]) for r in ledger_after] == [
        (r["id"], r["account"], r["amount_fen"], r["balance_after_fen"]) for r in ledger_before
    ]
    for account in (1, 2):
        (row,) = await old.run('SELECT "balance_fen" FROM "account" WHERE "id" = {}', account)
        assert row["balance_fen"] == sum(r["amount_fen"] for r in ledger_after if r["account"] == account)

    (unsub,) = await old.run('SELECT * FROM "unsubscription"')
    (refund,) = await old.run('SELECT * FROM "support_order" WHERE "id" = {}', unsub["order_id"])
    assert (refund["kind"], refund["status"], refund["due_fen"]) == ("unsubscribe", "refund_done", 1_229_248)
    assert (refund["account"], refund["partner"], refund["refund_reason"], refund["level"]) == (
        1,
        1,
        "test_done",
        "standard",
    )
    assert refund["closed_at"] == UNSUB_AT == refund["created_at"] and refund["paid_at"] is None
    links = await old.run('SELECT * FROM "order_reversal" WHERE "refund_order" = {} ORDER BY "id"', refund["id"])
    assert [(r["reversed_order"], r["period"], r["amount_fen"]) for r in links] == [
        ("CSOLDBUY00001", 1, 379_248),
        ("CSOLDREN00001", 2, 850_000),
    ]
    credits = [r for r in ledger_after if r["kind"] == "refund" and r["account"] == 1]
    assert {r["order_id"] for r in credits} == {refund["id"]} and sum(r["amount_fen"] for r in credits) == 1_229_248
    for order_id in ("CSOLDBUY00001", "CSOLDREN00001"):
        (reversed_order,) = await old.run('SELECT "status" FROM "support_order" WHERE "id" = {}', order_id)
        assert reversed_order["status"] == "refunded"  # 已退订, as before

    (down,) = await old.run('SELECT * FROM "support_order" WHERE "id" = {}', "CSOLDDOWN0002")
    assert (down["status"], down["paid_at"], down["closed_at"]) == ("refund_done", None, DOWN_AT)
    links = await old.run('SELECT * FROM "order_reversal" WHERE "refund_order" = {} ORDER BY "id"', down["id"])
    assert [(r["reversed_order"], r["period"], r["amount_fen"]) for r in links] == [
        ("CSOLDBUY00002", 3, 776_022),
        ("CSOLDREN00002", 4, 1_650_000),
    ]
    assert sum(r["amount_fen"] for r in links) == down["due_fen"]
    assert {r["order_id"] for r in ledger_after if r["kind"] == "refund" and r["account"] == 2} == {"CSOLDDOWN0002"}
    assert await old.run('SELECT * FROM "support_order" WHERE "kind" = {} AND "status" = {}', "downgrade", "paid") == []


@pytest.mark.db
async def test_old_refunds_become_refund_orders_with_the_ledger_unchanged(tmp_path: Path):
    if not PG_URL:
        await check(f"sqlite:///{tmp_path / 'old.sqlite3'}")
        return
    import asyncpg

    schema = f"refund_migration_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(PG_URL)
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            await check(with_search_path(PG_URL, schema))
        finally:
            await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        await conn.close()
