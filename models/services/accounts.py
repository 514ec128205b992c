"""Accounts: partners (main accounts), members, passwords (argon2) and the sign-in rate limit."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from piccolo.query import Select
from piccolo.querystring import QueryString, Selectable

from models.db import write_transaction
from models.enums import Channel
from models.prepared import Param, Prepared
from models.records import Account
from models.services.errors import N_, Conflict, DomainError, NotFound
from models.services.hashing import off_loop
from models.tables import Account as AccountTable
from models.tables import LoginAttempt, Partner

_hasher = PasswordHasher()
# Verifying against this when the login is unknown takes as long as a real check. Made at the first such check
# (off the event loop), not at import: a hash costs the server's start (issue 16) a tenth of a second or more.
_DUMMY_HASH: str | None = None


def use_password_hasher(hasher: PasswordHasher) -> None:
    """Tests swap in cheap argon2 parameters; production keeps argon2's default cost."""
    global _hasher, _DUMMY_HASH
    _hasher = hasher
    _DUMMY_HASH = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _hasher.hash("not-a-real-password")
    return _DUMMY_HASH


def _verify(password_hash: str | None, password: str) -> bool:
    return bool(_hasher.verify(password_hash or _dummy_hash(), password))


async def hash_password(password: str) -> str:
    """The argon2 hash of a password, computed off the event loop (models.services.hashing)."""
    return await off_loop(_hasher.hash, password)


async def password_matches(password_hash: str | None, password: str) -> bool:
    """Whether `password` is the one hashed (None: no account; checked against a dummy hash all the same, so an
    unknown login takes as long as a known one). Off the event loop."""
    try:
        return await off_loop(_verify, password_hash, password) and password_hash is not None
    except (VerifyMismatchError, InvalidHashError, UnicodeEncodeError):  # a lone surrogate cannot be a password
        return False


LOGIN_RE = re.compile(r"^[A-Za-z0-9_.@-]{3,64}$")


class SignInRefused(DomainError):
    status_code = 401


class SignInThrottled(DomainError):
    status_code = 429


def _check_login(login: str) -> str:
    login = login.strip()
    if not LOGIN_RE.match(login):
        raise DomainError(N_("帐号由3到64个字母、数字或 _ . @ - 组成。"), field="login")
    return login


def _check_password(password: str) -> None:
    if len(password) < 8:
        raise DomainError(N_("密码至少8个字符。"), field="password")


#: The longest value each column stores (models.tables: Partner/Account company_name, phone, email).
COMPANY_MAX, PHONE_MAX, EMAIL_MAX = 200, 32, 200
_TOO_LONG = {
    "company": N_("公司名称最多%(max)s个字符，当前%(length)s个。"),
    "phone": N_("手机号码最多%(max)s个字符，当前%(length)s个。"),
    "email": N_("邮箱最多%(max)s个字符，当前%(length)s个。"),
}


def _check_text(value: str, field: str, maximum: int) -> str:
    """A company name, phone or e-mail as stored: trimmed, no NUL (PostgreSQL cannot store one), at most
    `maximum` characters (PostgreSQL refuses a longer value; SQLite would keep it silently)."""
    value = value.strip()
    if "\x00" in value:
        raise DomainError(N_("输入内容不能包含空字符（NUL）。"), field=field)
    if len(value) > maximum:
        raise DomainError(_TOO_LONG[field], field=field, max=maximum, length=len(value))
    return value


def _check_contact(company: str, phone: str, email: str) -> tuple[str, str, str]:
    company = _check_text(company, "company", COMPANY_MAX)
    if not company:
        raise DomainError(N_("请输入公司名称。"), field="company")
    return company, _check_text(phone, "phone", PHONE_MAX), _check_text(email, "email", EMAIL_MAX)


async def _insert_account(
    *, login: str, password: str, partner_id: int, is_main: bool, company: str, phone: str, email: str, now: datetime
) -> int:
    password_hash = await hash_password(password)
    if await AccountTable.exists().where(AccountTable.login == login):
        raise Conflict(N_("帐号 %(login)s 已被占用。"), field="login", login=login)
    rows = await AccountTable.insert(
        AccountTable(
            login=login,
            password_hash=password_hash,
            partner=partner_id,
            is_main=is_main,
            company_name=company,
            phone=phone,
            email=email,
            balance_fen=0,
            created_at=now,
        )
    ).returning(AccountTable.id)
    return rows[0]["id"]


async def create_partner(
    login: str, password: str, company: str, now: datetime, *, certified: bool = False, phone: str = "", email: str = ""
) -> int:
    login = _check_login(login)
    _check_password(password)
    company, phone, email = _check_contact(company, phone, email)
    async with write_transaction():
        partner = await Partner.insert(Partner(company_name=company, certified=certified, created_at=now)).returning(
            Partner.id
        )
        return await _insert_account(
            login=login,
            password=password,
            partner_id=partner[0]["id"],
            is_main=True,
            company=company,
            phone=phone,
            email=email,
            now=now,
        )


async def create_member(
    login: str, main_login: str, password: str, company: str, phone: str, email: str, now: datetime
) -> int:
    login = _check_login(login)
    _check_password(password)
    company, phone, email = _check_contact(company, phone, email)
    async with write_transaction():
        main = (
            await AccountTable.select(AccountTable.partner)
            .where((AccountTable.login == main_login) & AccountTable.is_main.eq(True))
            .first()
        )
        if main is None:
            raise NotFound(N_("主帐号 %(login)s 不存在。"), field="partner", login=main_login)
        return await _insert_account(
            login=login,
            password=password,
            partner_id=main["partner"],
            is_main=False,
            company=company,
            phone=phone,
            email=email,
            now=now,
        )


async def certify(main_login: str, certified: bool = True) -> None:
    main = await AccountTable.select(AccountTable.partner).where(AccountTable.login == main_login).first()
    if main is None:
        raise NotFound(N_("帐号 %(login)s 不存在。"), login=main_login)
    await Partner.update({Partner.certified: certified}).where(Partner.id == main["partner"])


def _may_exist(login: str) -> bool:
    """Every account's login passed _check_login: anything else (over 64 characters, a NUL, a space…)
    names no account and is refused without a look at the database."""
    return LOGIN_RE.fullmatch(login) is not None


async def _claim_sign_in(login: str, now: datetime, *, max_failures: int, throttle_seconds: int) -> datetime | None:
    """Claims one try for `login` before its password is checked: counted as a failure in one conditional
    UPDATE, allowed while under `max_failures` or once `throttle_seconds` have passed since the last one.
    Returns None when claimed, else the moment the next try is allowed. Concurrent tries queue on the row
    (PostgreSQL) or the write lock (SQLite), so no more are checked than the limit allows."""
    async with write_transaction():
        # The row exists before the conditional UPDATE; a concurrent insert of the same login is no error.
        await LoginAttempt.insert(LoginAttempt(login=login, failures=0, last_failed_at=None)).on_conflict(
            target=LoginAttempt.login, action="DO NOTHING"
        )
        claimed = (
            await LoginAttempt.update(
                {LoginAttempt.failures: LoginAttempt.failures + 1, LoginAttempt.last_failed_at: now}
            )
            .where(
                (LoginAttempt.login == login)
                & (
                    (LoginAttempt.failures < max_failures)
                    | LoginAttempt.last_failed_at.is_null()
                    | (LoginAttempt.last_failed_at <= now - timedelta(seconds=throttle_seconds))
                )
            )
            .returning(LoginAttempt.id)
        )
        if claimed:
            return None
        row = await LoginAttempt.select(LoginAttempt.last_failed_at).where(LoginAttempt.login == login).first()
    last = row["last_failed_at"] if row and row["last_failed_at"] else now
    return max(last + timedelta(seconds=throttle_seconds), now)


async def authenticate(
    login: str, password: str, now: datetime, *, max_failures: int = 10, throttle_seconds: int = 30
) -> int:
    """Returns the account id. After `max_failures` wrong tries in a row for one login, each further try
    must wait `throttle_seconds` after the last failure: slow for a guesser, a short wait for the owner.
    A try is counted before the password is checked (and forgiven when it is right), so concurrent guesses
    check no more passwords than the limit; a right password clears the count."""
    login = login.strip()
    if not login or not password:
        raise SignInRefused(N_("请输入帐号和密码。"))
    if not _may_exist(login):
        raise SignInRefused(N_("帐号或密码错误。"))
    wait_until = await _claim_sign_in(login, now, max_failures=max_failures, throttle_seconds=throttle_seconds)
    if wait_until is not None:
        seconds = int((wait_until - now).total_seconds()) + 1
        raise SignInThrottled(N_("登录失败次数过多，请在 %(seconds)s 秒后重试。"), seconds=seconds)
    account = (
        await AccountTable.select(AccountTable.id, AccountTable.password_hash)
        .where(AccountTable.login == login)
        .first()
    )
    if not await password_matches(account["password_hash"] if account else None, password):
        account = None
    if account is None:
        raise SignInRefused(N_("帐号或密码错误。"))  # the claimed try stays counted
    async with write_transaction():
        await LoginAttempt.delete().where(LoginAttempt.login == login)
    return int(account["id"])


def _account_select(*more: Selectable) -> Select:
    """Accounts with their company's facts, in one query (never the password hash)."""
    return AccountTable.select(
        *AccountTable.all_columns(exclude=[AccountTable.password_hash]),
        AccountTable.partner.company_name.as_alias("partner_company"),
        AccountTable.partner.certified.as_alias("partner_certified"),
        *more,
    )


async def _account_where(condition: Any) -> Account | None:
    """The first account matching CONDITION with its company's facts."""
    row = await _account_select().where(condition).first()
    return Account.from_row(row) if row else None


#: Every signed-in request reads its account: prepared (models.prepared).
_ACCOUNT_BY_ID = Prepared(lambda: _account_select().where(AccountTable.id == Param("id")).limit(1))


async def find_account(account_id: int) -> Account | None:
    row = await _ACCOUNT_BY_ID.first(id=account_id)
    return Account.from_row(row) if row else None


#: A page with the top bar also needs the account's unread inbox count (models.services.inbox): one query.
_ACCOUNT_AND_UNREAD = Prepared(
    lambda: (
        _account_select(
            QueryString(
                '(SELECT COUNT(*) FROM "outbox" WHERE "outbox"."account" = "account"."id"'
                ' AND "outbox"."channel" = {} AND "outbox"."read_at" IS NULL)',
                Channel.INBOX.value,
            ).as_alias("unread")
        )
        .where(AccountTable.id == Param("id"))
        .limit(1)
    )
)


async def find_account_and_unread(account_id: int) -> tuple[Account | None, int]:
    """The account (as find_account) and its unread inbox messages (as inbox.unread_count), in one query."""
    row = await _ACCOUNT_AND_UNREAD.first(id=account_id)
    return (Account.from_row(row), int(row["unread"])) if row else (None, 0)


async def get_account(account_id: int) -> Account:
    account = await find_account(account_id)
    if account is None:
        raise NotFound(N_("帐号不存在。"))
    return account


async def account_by_login(login: str) -> Account:
    row = await AccountTable.select(AccountTable.id).where(AccountTable.login == login).first()
    if row is None:
        raise NotFound(N_("帐号 %(login)s 不存在。"), login=login)
    return await get_account(row["id"])


async def main_account_of(partner_id: int) -> Account | None:
    return await _account_where((AccountTable.partner == partner_id) & AccountTable.is_main.eq(True))
