"""Operators (运营控制台 staff, SPEC.md §15): their accounts and sign-in. Passwords use the partners' argon2 hasher
and the same sign-in throttle (models.services.accounts), counted under "ops:" + login: a partner login cannot
contain ":", so an operator's failures never slow a partner of the same name, nor the other way round."""

from __future__ import annotations

import re
from datetime import datetime

from models.db import write_transaction
from models.records import Operator
from models.services import accounts
from models.services.accounts import SignInRefused, SignInThrottled
from models.services.errors import N_, Conflict, DomainError
from models.tables import LoginAttempt
from models.tables import Operator as OperatorTable

#: The throttle's key for an operator (LoginAttempt.login holds 64 characters: 4 + 60).
THROTTLE_PREFIX = "ops:"
LOGIN_RE = re.compile(r"^[A-Za-z0-9_.@-]{3,60}$")


def _throttle_key(login: str) -> str:
    return THROTTLE_PREFIX + login


def _check_login(login: str) -> str:
    login = login.strip()
    if not LOGIN_RE.match(login):
        raise DomainError(N_("运营帐号由3到60个字母、数字或 _ . @ - 组成。"), field="login")
    return login


async def create_operator(login: str, password: str, now: datetime) -> int:
    login = _check_login(login)
    if len(password) < 8:
        raise DomainError(N_("密码至少8个字符。"), field="password")
    password_hash = await accounts.hash_password(password)  # before the transaction: it is slow by design
    async with write_transaction():
        if await OperatorTable.exists().where(OperatorTable.login == login):
            raise Conflict(N_("运营帐号 %(login)s 已存在。"), field="login", login=login)
        rows = await OperatorTable.insert(
            OperatorTable(login=login, password_hash=password_hash, created_at=now, disabled=False)
        ).returning(OperatorTable.id)
    return int(rows[0]["id"])


async def authenticate(
    login: str, password: str, now: datetime, *, max_failures: int = 10, throttle_seconds: int = 30
) -> int:
    """Returns the operator's id; the rules of accounts.authenticate (a try is counted before the password is
    checked, a right password clears the count). A disabled operator is refused like a wrong password."""
    login = login.strip()
    if not login or not password:
        raise SignInRefused(N_("请输入帐号和密码。"))
    if not LOGIN_RE.fullmatch(login):
        raise SignInRefused(N_("帐号或密码错误。"))
    key = _throttle_key(login)
    wait_until = await accounts._claim_sign_in(key, now, max_failures=max_failures, throttle_seconds=throttle_seconds)
    if wait_until is not None:
        seconds = int((wait_until - now).total_seconds()) + 1
        raise SignInThrottled(N_("登录失败次数过多，请在 %(seconds)s 秒后重试。"), seconds=seconds)
    row = (
        await OperatorTable.select(OperatorTable.id, OperatorTable.password_hash, OperatorTable.disabled)
        .where(OperatorTable.login == login)
        .first()
    )
    if not await accounts.password_matches(row["password_hash"] if row else None, password):
        row = None
    if row is None or row["disabled"]:
        raise SignInRefused(N_("帐号或密码错误。"))
    async with write_transaction():
        await LoginAttempt.delete().where(LoginAttempt.login == key)
    return int(row["id"])


async def find_operator(operator_id: int) -> Operator | None:
    """The operator, or None when there is none with this id or it is disabled."""
    row = (
        await OperatorTable.select(OperatorTable.id, OperatorTable.login)
        .where((OperatorTable.id == operator_id) & OperatorTable.disabled.eq(False))
        .first()
    )
    return Operator.from_row(row) if row else None


async def operator_by_login(login: str) -> Operator | None:
    row = await OperatorTable.select(OperatorTable.id, OperatorTable.login).where(OperatorTable.login == login).first()
    return Operator.from_row(row) if row else None


async def all_operators() -> list[Operator]:
    rows = await OperatorTable.select(OperatorTable.id, OperatorTable.login).order_by(OperatorTable.login)
    return [Operator.from_row(row) for row in rows]


async def find_any_operator(operator_id: int) -> Operator | None:
    """The operator with this id, disabled or not (the log names operators who no longer sign in)."""
    row = (
        await OperatorTable.select(OperatorTable.id, OperatorTable.login).where(OperatorTable.id == operator_id).first()
    )
    return Operator.from_row(row) if row else None
