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
