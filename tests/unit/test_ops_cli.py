"""`partner-console account create-operator` and the demo operator (SPEC.md §10, §15)."""

from __future__ import annotations

from models.services import operators
from models.services.demo import DEMO_OPERATOR, PASSWORD, load_demo
from web import cli


async def test_demo_creates_the_operator_once(db, clock):
    logins = await load_demo(clock.now())
    assert (DEMO_OPERATOR, "operator (运营控制台: sign in at /ops/login)") in logins
    await load_demo(clock.now())
    assert await operators.authenticate(DEMO_OPERATOR, PASSWORD, clock.now()) > 0
    assert [o.login for o in await operators.all_operators()] == [DEMO_OPERATOR]


def test_the_parser_has_create_operator():
    args = cli.build_parser().parse_args(["account", "create-operator", "ops-x", "--password", "long-enough"])
    assert args.run is cli.cmd_create_operator and args.login == "ops-x" and args.password == "long-enough"


async def test_create_operator_from_the_command_line(db, clock):
    from tests.unit.test_cli import assert_one_line_error
    from tests.unit.test_cli import cli as run

    made = run(db, "account", "create-operator", "ops-cli", "--password", "cli-pass-2026")
    assert made.returncode == 0, made.stderr
    assert "created operator ops-cli" in made.stdout
    assert await operators.authenticate("ops-cli", "cli-pass-2026", clock.now()) > 0
    assert_one_line_error(run(db, "account", "create-operator", "ops-cli", "--password", "cli-pass-2026"), "ops-cli")
    assert_one_line_error(run(db, "account", "create-operator", "ops-2", "--password", "short"), "8")


async def test_the_account_and_balance_commands_write_their_audit_rows(db, clock):
    from models.enums import AuditAction
    from models.tables import AuditEntry, LedgerEntry
    from tests.unit.test_cli import cli as run

    await operators.create_operator("ops-named", "named-pass-2026", clock.now())
    steps = [
        ("account", "create-partner", "cli-main", "--password", "cli-pass-2026", "--company", "命令行公司"),
        (
            "account",
            "create-member",
            "cli-member",
            "--partner",
            "cli-main",
            "--password",
            "cli-pass-2026",
            "--company",
            "命令行公司",
            "--phone",
            "1",
            "--email",
            "m@cli.example",
        ),
        ("account", "certify", "cli-main", "--reason", "审核通过", "--operator", "ops-named"),
        ("account", "certify", "cli-main"),  # already certified: nothing changes, nothing is logged
        ("balance", "top-up", "cli-main", "88.50", "--reason", "汇款到账"),
    ]
    for args in steps:
        result = run(db, *args)
        assert result.returncode == 0, result.stderr
    assert "(unchanged)" in run(db, "account", "certify", "cli-main").stdout
    rows = await AuditEntry.select(
        AuditEntry.action, AuditEntry.reason, AuditEntry.operator.login.as_alias("who")
    ).order_by(AuditEntry.id)
    assert [(r["action"], r["who"]) for r in rows] == [
        (AuditAction.CREATE_PARTNER, "cli"),
        (AuditAction.CREATE_MEMBER, "cli"),
        (AuditAction.CERTIFY, "ops-named"),
        (AuditAction.TOP_UP, "cli"),
    ]
    assert rows[3]["reason"] == "汇款到账"
    entry = await LedgerEntry.select().order_by(LedgerEntry.id, ascending=False).first()
    assert entry["amount_fen"] == 8850 and "cli" in entry["note"] and "汇款到账" in entry["note"]
