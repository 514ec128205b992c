"""Reviewed by hand: refund orders (issue 13, SPEC.md §13) and upgrade orders whose amount never changes.

Schema:
- order_reversal: a refund order's link to each order whose charges it gives back, per period, with the fen.
- upgrade_share: an upgrade order's amount split over the periods it re-prices, fixed when the order is made.
- unsubscription.order_id (the refund order it made) and unsubscription.renewals_only (退订续费周期).

Data (the refunds already recorded the old way become refund orders; the ledger's amounts and balances unchanged):
- every Unsubscription row without a refund order gets one: kind 'unsubscribe', status 'refund_done' (已退款),
  amount = its refund_fen, its reason and comment, placed by its account, created and closed at its created_at, at the
  level of the periods it refunded. It is linked to the orders it reversed (the company's orders closed 已退订 at that
  moment) on each period it refunded: the period's refund (the ledger credit the old code wrote for it) split over
  the orders with charges on the period, in proportion to their net cash. The ledger credits of that unsubscribe
  (kind 'refund', note 'unsubscribe', written at its created_at for the refunded periods' orders) now point at the
  refund order.
- every old downgrade order (kind 'downgrade', status 'paid') becomes 'refund_done' (never 已支付: paid_at cleared,
  closed_at kept) and is linked to the orders whose charges its negative charges reverse, period by period. Its
  ledger credits already point at it."""

from __future__ import annotations

import secrets
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.querystring import QueryString

ID = "2026-12-03T01:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "refund orders"

FK = 'REFERENCES "{table}" ("id") ON DELETE RESTRICT ON UPDATE CASCADE'
ORDER_REVERSAL = (
    'CREATE TABLE "order_reversal" ("id" {serial} PRIMARY KEY NOT NULL, '
    f'"refund_order" VARCHAR(32) NOT NULL {FK.format(table="support_order")}, '
    f'"reversed_order" VARCHAR(32) NOT NULL {FK.format(table="support_order")}, '
    f'"period" INTEGER NOT NULL {FK.format(table="period")}, '
    '"amount_fen" BIGINT NOT NULL)'
)
UPGRADE_SHARE = (
    'CREATE TABLE "upgrade_share" ("id" {serial} PRIMARY KEY NOT NULL, '
    f'"order_id" VARCHAR(32) NOT NULL {FK.format(table="support_order")}, '
    f'"period" INTEGER NOT NULL {FK.format(table="period")}, '
    '"amount_fen" BIGINT NOT NULL)'
)
UNSUB_ORDER = (
    f'ALTER TABLE "unsubscription" ADD COLUMN "order_id" VARCHAR(32) NULL {FK.format(table="support_order")} '
    "DEFAULT null"
)
UNSUB_RENEWALS = 'ALTER TABLE "unsubscription" ADD COLUMN "renewals_only" BOOLEAN NOT NULL DEFAULT false'

REFUND_KINDS = ("downgrade", "unsubscribe", "unsub_renewals")
BEIJING = timezone(timedelta(hours=8))


def split(total: int, weights: list[int]) -> list[int]:
    """TOTAL fen over WEIGHTS (all > 0) in proportion, summing exactly to TOTAL: floors, then one fen each to the
    largest remainders (ties: the earlier). As models.rules.refunds.split_fen on the day of this migration."""
    whole = sum(weights)
    if not weights or whole <= 0:
        return [total] + [0] * (len(weights) - 1) if weights else []
    shares = [w * total // whole for w in weights]
    left = total - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-(weights[i] * total % whole), i))
    for i in order[:left]:
        shares[i] += 1
    return shares


async def rows(sql: str, *args: Any) -> list[dict[str, Any]]:
    engine = engine_finder()
    assert engine is not None
    return list(await engine.run_querystring(QueryString(sql, *args)))


def same_moment(a: datetime | None, b: datetime | None) -> bool:
    return a is not None and b is not None and a == b


async def new_order_id(moment: datetime) -> str:
    while True:
        order_id = "CS" + moment.astimezone(BEIJING).strftime("%y%m%d%H%M") + f"{secrets.randbelow(100000):05d}"
        if not await rows('SELECT "id" FROM "support_order" WHERE "id" = {}', order_id):
            return order_id


async def weights_on(period_id: int) -> list[tuple[str, int]]:
    """The orders with net cash on the period (refund orders left out), in the order their charges were made."""
    charges = await rows(
        'SELECT c."order_id" AS "order_id", c."amount_fen" AS "amount_fen", o."kind" AS "kind" FROM "charge" c '
        'JOIN "support_order" o ON o."id" = c."order_id" WHERE c."period" = {} ORDER BY c."id"',
        period_id,
    )
    net: dict[str, int] = {}
    for c in charges:
        if c["kind"] not in REFUND_KINDS:
            net[c["order_id"]] = net.get(c["order_id"], 0) + int(c["amount_fen"])
    return [(order_id, fen) for order_id, fen in net.items() if fen > 0]


async def link(refund_order: str, period_id: int, fen: int, fallback: str) -> None:
    """FEN of REFUND_ORDER given back on PERIOD_ID, split over the orders that paid for it."""
    weights = await weights_on(period_id) or [(fallback, 1)]
    for (order_id, _w), share in zip(weights, split(fen, [w for _o, w in weights]), strict=True):
        await rows(
            'INSERT INTO "order_reversal" ("refund_order", "reversed_order", "period", "amount_fen") '
            "VALUES ({}, {}, {}, {})",
            refund_order,
            order_id,
            period_id,
            share,
        )


async def migrate_unsubscriptions() -> None:
    for unsub in await rows(
        'SELECT u.*, p."partner" AS "partner" FROM "unsubscription" u JOIN "plan" p ON p."id" = u."plan" '
        'WHERE u."order_id" IS NULL ORDER BY u."id"'
    ):
        at = unsub["created_at"]
        reversed_orders = [
            o
            for o in await rows(
                'SELECT "id", "closed_at" FROM "support_order" WHERE "partner" = {} AND "status" = {}',
                unsub["partner"],
                "refunded",
            )
            if same_moment(o["closed_at"], at)
        ]
        reversed_ids = {o["id"] for o in reversed_orders}
        periods = [
            p
            for p in await rows(
                'SELECT "id", "order", "level" FROM "period" WHERE "plan" = {} AND "status" = {} ORDER BY "start"',
                unsub["plan"],
                "refunded",
            )
            if p["order"] in reversed_ids
        ]
        credits = [
            e
            for e in await rows(
                'SELECT "id", "order_id", "amount_fen", "created_at" FROM "ledger_entry" '
                'WHERE "kind" = {} AND "note" = {} ORDER BY "id"',
                "refund",
                "unsubscribe",
            )
            if same_moment(e["created_at"], at) and e["order_id"] in reversed_ids
        ]
        refund_id = await new_order_id(at)
        await rows(
            'INSERT INTO "support_order" ("id", "account", "partner", "kind", "level", "months", "pack_count", '
            '"list_fen", "discount_fen", "due_fen", "status", "method", "auto", "created_at", "closed_at", '
            '"refund_reason", "refund_comment") VALUES ({}, {}, {}, {}, {}, 0, 0, {}, 0, {}, {}, {}, {}, {}, {}, {}, {})',
            refund_id,
            unsub["account"],
            unsub["partner"],
            "unsubscribe",
            periods[0]["level"] if periods else "",
            unsub["refund_fen"],
            unsub["refund_fen"],
            "refund_done",
            "",
            False,
            at,
            at,
            unsub["reason"],
            unsub["comment"],
        )
        credited: dict[str, int] = defaultdict(int)
        for e in credits:
            credited[e["order_id"]] += int(e["amount_fen"])
        for p in periods:
            await link(refund_id, p["id"], credited.pop(p["order"], 0), p["order"])
        for e in credits:
            await rows('UPDATE "ledger_entry" SET "order_id" = {} WHERE "id" = {}', refund_id, e["id"])
        await rows('UPDATE "unsubscription" SET "order_id" = {} WHERE "id" = {}', refund_id, unsub["id"])


async def migrate_downgrades() -> None:
    for order in await rows(
        'SELECT "id" FROM "support_order" WHERE "kind" = {} AND "status" = {} ORDER BY "created_at"',
        "downgrade",
        "paid",
    ):
        for c in await rows(
            'SELECT c."period" AS "period", c."amount_fen" AS "amount_fen", p."order" AS "bought_by" FROM "charge" c '
            'JOIN "period" p ON p."id" = c."period" WHERE c."order_id" = {} ORDER BY c."id"',
            order["id"],
        ):
            await link(order["id"], c["period"], -int(c["amount_fen"]), c["bought_by"])
        await rows(
            'UPDATE "support_order" SET "status" = {}, "paid_at" = null, "closed_at" = COALESCE("closed_at", "paid_at", '
            '"created_at") WHERE "id" = {}',
            "refund_done",
            order["id"],
        )


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="models", description=DESCRIPTION)

    async def create() -> None:
        engine = engine_finder()
        assert engine is not None
        serial = "INTEGER" if isinstance(engine, SQLiteEngine) else "SERIAL"
        await engine.run_ddl(ORDER_REVERSAL.format(serial=serial))
        await engine.run_ddl(UPGRADE_SHARE.format(serial=serial))
        await engine.run_ddl('CREATE INDEX "order_reversal_refund" ON "order_reversal" ("refund_order")')
        await engine.run_ddl('CREATE INDEX "order_reversal_reversed" ON "order_reversal" ("reversed_order")')
        await engine.run_ddl('CREATE INDEX "upgrade_share_order" ON "upgrade_share" ("order_id")')
        await engine.run_ddl(UNSUB_ORDER)
        await engine.run_ddl(UNSUB_RENEWALS)
        await migrate_unsubscriptions()
        await migrate_downgrades()

    manager.add_raw(create)
    return manager
