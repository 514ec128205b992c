"""Who an operator action from the command line is recorded under (操作日志, SPEC.md §15: every operator write has
its audit row, whether it came from /ops or from `partner-console`).

`--operator LOGIN` names an operator account; without it the action is recorded under the built-in operator `cli`,
made on first use, disabled (it can never sign in at /ops/login) and without a usable password."""

from __future__ import annotations

from datetime import datetime

from models.db import is_unique_violation, write_transaction
from models.records import Operator
from models.services.errors import N_, NotFound
from models.tables import Operator as OperatorTable

CLI_LOGIN = "cli"
#: Not an argon2 hash: no password verifies against it.
NO_PASSWORD = "!"


async def _find(login: str, *, enabled_only: bool) -> Operator | None:
    query = OperatorTable.select(OperatorTable.id, OperatorTable.login).where(OperatorTable.login == login)
    if enabled_only:
        query = query.where(OperatorTable.disabled.eq(False))
    row = await query.first()
    return Operator.from_row(row) if row else None


async def command_line_operator(now: datetime, login: str | None = None) -> Operator:
    """The operator a command-line action is recorded under: LOGIN's (an enabled operator), or the built-in `cli`."""
    if login:
        named = await _find(login, enabled_only=True)
        if named is None:
            raise NotFound(N_("运营帐号 %(login)s 不存在或已停用。"), login=login)
        return named
    found = await _find(CLI_LOGIN, enabled_only=False)
    if found is not None:
        return found
    try:
        async with write_transaction():
            if not await OperatorTable.exists().where(OperatorTable.login == CLI_LOGIN):
                await OperatorTable.insert(
                    OperatorTable(login=CLI_LOGIN, password_hash=NO_PASSWORD, created_at=now, disabled=True)
                )
    except Exception as exc:
        if not is_unique_violation(exc):  # another command made it first: it is the one
            raise
    made = await _find(CLI_LOGIN, enabled_only=False)
    if made is None:  # pragma: no cover - inserted just above
        raise LookupError("the command-line operator was not made")
    return made
