"""`partner-console` as an operator runs it (a subprocess with a clean environment): every error is one line on
stderr and a non-zero exit, never a traceback (SPEC.md §10) — bad values, bad settings, an unreachable or unmigrated
database, values longer than a column, Ctrl-C; and `payments reconcile` lists every gateway transaction."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from models.enums import CaptureOutcome
from models.services import accounts, captures, orders, payments, purchase
from models.services.accounts import account_by_login
from models.services.errors import DomainError
from models.services.gateway import SandboxGateway
from models.tables import Account, Coupon, GatewayTransaction, Partner

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


def cli_many(database_url: str, calls: list[tuple[str, ...]], **env: str) -> list[subprocess.CompletedProcess[str]]:
    """Independent invocations, a few at a time (each is a fresh interpreter)."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        return list(pool.map(lambda args: cli(database_url, *args, **env), calls))


def assert_one_line_error(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    shown = f"exit {result.returncode}\nstdout: {result.stdout!r}\nstderr: {result.stderr!r}"
    assert result.returncode != 0, shown
    assert "Traceback" not in result.stderr, shown
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, shown
    assert result.stderr.endswith("\n"), shown
    for text in expected:
        assert text in result.stderr, shown


async def test_bad_discount_rates_are_one_line_errors(db, demo):
    rates = ["NaN", "sNaN", "inf", "-Infinity", "1", "-0.5", "0.9999", "abc"]
    results = cli_many(db, [("coupon", "grant", "partner-a", f"--discount={rate}") for rate in rates])
    for result in results:
        assert_one_line_error(result, "discount")
        assert result.returncode == 2
    assert await Coupon.count() == 0
    granted = cli(db, "coupon", "grant", "partner-a", "--discount", "0.9")
    assert granted.returncode == 0 and granted.stderr == "" and await Coupon.count() == 1


async def test_bad_amounts_dates_and_logins_are_one_line_errors(db, demo):
    calls = [
        ("balance", "top-up", "partner-a", "1e3"),
        ("balance", "top-up", "nobody-here", "5"),
        ("coupon", "grant", "partner-a", "--voucher", "5", "--minimum", "NaN"),
        ("coupon", "grant", "partner-a", "--voucher", "5", "--expires", "2024-02-30"),
        ("coupon", "grant", "partner-a", "--voucher", "5", "--expires", "0001-01-01T00:00"),
        ("messages", "x" * 70),
        ("orders", "confirm-offline", "CS000"),
        (
            "account",
            "create-member",
            "new-member",
            "--partner",
            "nobody-here",
            "--password",
            "long-enough",
            "--company",
            "C",
            "--phone",
            "1",
            "--email",
            "e@example.com",
        ),
    ]
    for result in cli_many(db, calls):
        assert_one_line_error(result)
    assert await Coupon.count() == 0
    assert [r["balance_fen"] for r in await Account.select().where(Account.login == "partner-a")] == [10_000_000]


def test_usage_errors_are_one_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'unused.sqlite3'}"
    calls = [(), ("no-such-command",), ("balance", "top-up"), ("serve", "--port", "70000"), ("serve", "--workers", "0")]
    for result in cli_many(url, calls):
        assert_one_line_error(result, "--help")
        assert result.returncode == 2
    assert cli(url, "--help").returncode == 0


def test_bad_settings_are_one_line_errors(tmp_path):
    url = f"sqlite:///{tmp_path / 'console.sqlite3'}"
    assert cli(url, "migrate").returncode == 0
    for moment in ("garbage", "2024-01-01T10:00:00", "2024-13-01T00:00:00+08:00"):
        assert_one_line_error(cli(url, "tick", CONSOLE_NOW=moment), "CONSOLE_NOW")
    assert_one_line_error(cli("mysql://somewhere/x", "tick"), "CONSOLE_DATABASE_URL")


def test_an_unreachable_postgresql_is_one_line_with_the_password_masked():
    url = "postgresql://nobody:s3cret@127.0.0.1:1/x"
    for result in cli_many(url, [("tick",), ("migrate",), ("messages", "partner-a")]):
        assert_one_line_error(result, "cannot reach the database", "postgresql://nobody:***@127.0.0.1:1/x")
        assert "s3cret" not in result.stderr + result.stdout


def test_an_unmigrated_sqlite_file_says_to_migrate(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    calls = [("tick",), ("messages", "partner-a"), ("balance", "top-up", "partner-a", "5"), ("payments", "reconcile")]
    for result in cli_many(url, calls):
        assert_one_line_error(result, "partner-console migrate")
    assert cli(url, "migrate").returncode == 0
    assert cli(url, "tick").returncode == 0


async def test_company_phone_and_email_longer_than_their_columns_are_refused(db, clock):
    """PostgreSQL refuses a value longer than the column (SQLite would keep it): the service says so first."""
    calls = [
        ("account", "create-partner", "long-co", "--password", "long-enough", "--company", "公" * 201),
        ("account", "create-partner", "long-phone", "--password", "long-enough", "--company", "C", "--phone", "1" * 33),
        ("account", "create-partner", "long-mail", "--password", "long-enough", "--company", "C", "--email", "a" * 201),
    ]
    for result, text in zip(cli_many(db, calls), ("200", "32", "200"), strict=True):
        assert_one_line_error(result, text)
    assert await Partner.count() == 0 and await Account.count() == 0
    main = cli(db, "account", "create-partner", "long-ok", "--password", "long-enough", "--company", "公" * 200)
    assert main.returncode == 0, main.stderr
    member = cli(
        db,
        "account",
        "create-member",
        "member-long",
        "--partner",
        "long-ok",
        "--password",
        "long-enough",
        "--company",
        "C",
        "--phone",
        "1" * 33,
        "--email",
        "e@example.com",
    )
    assert_one_line_error(member, "32")
    for field, kwargs in (
        ("company", {"company": "x" * 201}),
        ("phone", {"company": "C", "phone": "1" * 33}),
        ("email", {"company": "C", "email": "a" * 201}),
        ("company", {"company": "a\x00b"}),
        ("company", {"company": "   "}),
    ):
        with pytest.raises(DomainError) as refused:
            await accounts.create_partner("svc-check", "long-enough", now=clock.now(), **kwargs)
        assert refused.value.field == field
    with pytest.raises(DomainError) as refused:
        await accounts.create_member("svc-member", "long-ok", "long-enough", "C", "1" * 33, "e@x", clock.now())
    assert refused.value.field == "phone"
    assert await Account.count() == 1


def wait_until_it_opens(pid: int, path: Path, limit: float = 60.0) -> None:
    """Until the process has PATH open (it is past its imports and at the database), then a moment more. A fixed
    sleep was too short on a loaded machine (the signal came during the imports), and counting threads depends on
    what the imports start."""
    deadline = time.monotonic() + limit

    def opened() -> bool:
        fds = Path(f"/proc/{pid}/fd")
        try:
            return any(os.path.realpath(fd) == str(path.resolve()) for fd in fds.iterdir())
        except FileNotFoundError:  # an fd closed while it was listed
            return False

    while not opened():
        assert time.monotonic() < deadline, "the command never reached the database"
        time.sleep(0.05)
    time.sleep(0.5)


def test_ctrl_c_is_one_line_and_exit_130(tmp_path):
    """Interrupted while it waits for the database (SQLite held by another writer): one line, no thread's traceback."""
    path = tmp_path / "console.sqlite3"
    url = f"sqlite:///{path}"
    assert cli(url, "migrate").returncode == 0
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "web.cli", "tick"],
            cwd=ROOT,
            env=clean_env(url),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_until_it_opens(process.pid, path)  # imported and waiting for the write lock
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=20)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    result = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    assert_one_line_error(result, "interrupted")
    assert result.returncode == 130


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
