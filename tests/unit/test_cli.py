"""`partner-console` as an operator runs it (a subprocess with a clean environment): `payments reconcile` lists every
gateway transaction and what became of it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from models.enums import CaptureOutcome
from models.services import captures, orders, payments, purchase
from models.services.accounts import account_by_login
from models.services.gateway import SandboxGateway
from models.tables import GatewayTransaction

ROOT = Path(__file__).resolve().parents[2]


def clean_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONSOLE_", "PICCOLO_"))}
    env.update(CONSOLE_DATABASE_URL=database_url, PYTHONDONTWRITEBYTECODE="1", **extra)
    return env


def cli(database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "web.cli", *args],
        cwd=ROOT,
        env=clean_env(database_url, **env),
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


async def test_payments_reconcile_lists_every_transaction_and_sums_per_outcome(db, demo, clock):
    gateway = SandboxGateway(b"test-secret")
    buyer = await account_by_login("partner-b-buyer")
    order_id = await purchase.place(buyer, "standard", 1, None, clock.now())
    await payments.choose(buyer, order_id, "online", None, clock.now())
    for transaction_id in ("SBX-first", "SBX-second"):
        payload = {"order_id": order_id, "amount_fen": "850000", "status": "paid", "transaction_id": transaction_id}
        await captures.capture(gateway, payload, gateway.sign(payload), clock.now())
    assert (await orders.get(order_id)).payment_ref == "SBX-first"
    assert [r["outcome"] for r in await GatewayTransaction.select().order_by(GatewayTransaction.id)] == [
        CaptureOutcome.APPLIED,
        CaptureOutcome.CREDITED,
    ]
    result = cli(db, "payments", "reconcile")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    first, second, summary = result.stdout.splitlines()
    assert first.startswith("2024/01/01 10:30:00  sandbox:SBX-first  order " + order_id)
    assert "¥8,500.00" in first and "applied" in first
    assert "sandbox:SBX-second" in second and "credited to partner-b-buyer" in second and "已支付" in second
    assert summary == "2 gateway transaction(s), ¥17,000.00: applied 1 (¥8,500.00), credited 1 (¥8,500.00)"


def test_payments_reconcile_with_no_transactions(tmp_path):
    url = f"sqlite:///{tmp_path / 'console.sqlite3'}"
    assert cli(url, "migrate").returncode == 0
    result = cli(url, "payments", "reconcile")
    assert result.returncode == 0
    assert result.stdout == "0 gateway transaction(s), ¥0.00: applied 0 (¥0.00), credited 0 (¥0.00)\n"
