"""Demo data: idempotent, so `partner-console demo` can run at every start."""

from __future__ import annotations

from datetime import datetime

from models.db import write_transaction
from models.enums import LedgerKind
from models.services import accounts, ledger, operators
from models.tables import Account as AccountTable

PASSWORD = "demo-pass-2026"
#: The demo operator (运营控制台, /ops/login), with the same password.
DEMO_OPERATOR = "ops-admin"
BALANCE_FEN = 10_000_000  # ¥100,000.00

# (login, main login or None, company, certified, phone, email, what it shows)
DEMO_ACCOUNTS = [
    (
        "partner-a",
        None,
        "星河云科技有限公司",
        True,
        "13800000001",
        "ops@xinghe.example",
        "certified partner, main account",
    ),
    (
        "partner-a-ops",
        "partner-a",
        "星河云科技有限公司",
        True,
        "13800000002",
        "member@xinghe.example",
        "certified partner, member",
    ),
    (
        "partner-b",
        None,
        "海川数据有限公司",
        False,
        "13900000001",
        "admin@haichuan.example",
        "non-certified partner, main account (refused)",
    ),
    (
        "partner-b-buyer",
        "partner-b",
        "海川数据有限公司",
        False,
        "13900000002",
        "buyer@haichuan.example",
        "non-certified partner, same-company member (may buy)",
    ),
    (
        "partner-b-other",
        "partner-b",
        "海川数据（深圳）有限公司",
        False,
        "13900000003",
        "other@haichuan.example",
        "non-certified partner, different-company member (refused)",
    ),
]


async def load_demo(now: datetime) -> list[tuple[str, str]]:
    """Creates what is missing; returns (login, description) for every demo account."""
    for login, main, company, certified, phone, email, _ in DEMO_ACCOUNTS:
        if await AccountTable.exists().where(AccountTable.login == login):
            continue
        if main is None:
            account_id = await accounts.create_partner(
                login, PASSWORD, company, now, certified=certified, phone=phone, email=email
            )
        else:
            account_id = await accounts.create_member(login, main, PASSWORD, company, phone, email, now)
        async with write_transaction():
            await ledger.credit(account_id, BALANCE_FEN, now, kind=LedgerKind.TOP_UP, note="demo")
    if await operators.operator_by_login(DEMO_OPERATOR) is None:
        await operators.create_operator(DEMO_OPERATOR, PASSWORD, now)
    return [(login, description) for login, *_, description in DEMO_ACCOUNTS] + [
        (DEMO_OPERATOR, "operator (运营控制台: sign in at /ops/login)")
    ]
