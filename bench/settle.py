"""Payments settled per second by the payment service from a script (no HTTP), on a fresh SQLite file.

    .venv/bin/python bench/settle.py [--orders 400] [--concurrency 16] [--database sqlite:///... | postgresql://...]

Each of N companies places a purchase and chooses to pay it from its balance; then every order is settled twice
at once (as a double-clicked 确认付款 would), `--concurrency` settlements in flight. It prints orders settled per
second (of wall time, and of this process's CPU time: on a shared machine the second is the one to compare)
and checks the ledger: exactly one debit per order, no double charge."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


async def main(orders: int, concurrency: int, url: str | None) -> None:
    import argon2
    from piccolo.table import create_db_tables, drop_db_tables

    from models.db import engine_from_url, open_pool, use_engine, write_transaction
    from models.enums import LedgerKind, OrderStatus, PaymentMethod
    from models.piccolo_migrations.models_2026_12_03t05_00_00_000000 import index_ddl
    from models.services import accounts, ledger, payments, purchase
    from models.tables import ALL_TABLES, LedgerEntry, SupportOrder
    from web.clock import Clock

    # Hashing is not what this measures: the cheapest valid argon2 for the accounts it creates.
    accounts.use_password_hasher(argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    tmp = tempfile.mkdtemp(prefix="console-settle-")
    engine = engine_from_url(url or f"sqlite:///{tmp}/settle.sqlite3")
    use_engine(engine)
    await open_pool(engine, 10)
    if url:
        await drop_db_tables(*ALL_TABLES)
    else:
        await engine.run_ddl("PRAGMA journal_mode=WAL")
    await create_db_tables(*ALL_TABLES)
    for ddl in index_ddl():
        await engine.run_ddl(ddl)
    now = Clock().now()

    async def prepare(index: int) -> tuple[str, int]:
        account_id = await accounts.create_partner(
            f"settle-{index}", "settle-pass-1", f"结算公司{index}", now, certified=True, phone="13800000000"
        )
        async with write_transaction():
            await ledger.credit(account_id, 10_000_000, now, kind=LedgerKind.TOP_UP, note="bench")
        account = await accounts.get_account(account_id)
        order_id = await purchase.place(account, "standard", 1, f"settle-{index}", now)
        await payments.choose(await accounts.get_account(account_id), order_id, PaymentMethod.BALANCE, None, now)
        return order_id, account_id

    prepared = await asyncio.gather(*(prepare(i) for i in range(orders)))
    gate = asyncio.Semaphore(concurrency)

    async def settle(order_id: str, payer: int) -> None:
        async with gate:
            await payments.settle(order_id, now, payer_id=payer)

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(settle(order_id, payer) for order_id, payer in prepared for _ in range(2)))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu

    paid = await SupportOrder.count().where(SupportOrder.status == OrderStatus.PAID)
    debits = await LedgerEntry.select(LedgerEntry.order_id).where(LedgerEntry.amount_fen < 0)
    per_order: dict[str, int] = {}
    for row in debits:
        per_order[row["order_id"]] = per_order.get(row["order_id"], 0) + 1
    doubles = sum(1 for count in per_order.values() if count > 1)
    missing = orders - len(per_order)
    print(
        f"payment settle ({'PostgreSQL' if url else 'SQLite'}, no HTTP): {orders} orders, each settled twice at once, "
        f"{concurrency} in flight: {orders / elapsed:,.0f} orders/s ({elapsed:.2f} s; {orders / cpu:,.0f} orders per "
        f"CPU-second of this process, what a machine of its own would give); {paid} paid, "
        f"{doubles} double charges, {missing} orders without their debit"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--database", default=os.environ.get("BENCH_SETTLE_URL"))
    args = parser.parse_args()
    asyncio.run(main(args.orders, args.concurrency, args.database))
