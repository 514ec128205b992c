"""Identity verification (身份验证): a 6-digit code by phone or e-mail, for one order only.
Valid 10 minutes, a new one after 60 seconds and at most 5 per order in an hour, 5 wrong tries void it; only its
argon2 hash is stored.

The limits hold under concurrency on both engines: codes are sent in one write transaction that holds the
company's row (SQLite's IMMEDIATE transaction serialises every writer; PostgreSQL locks the row), and a try is claimed by a
conditional UPDATE (`attempts = attempts + 1 … WHERE attempts < 5 AND NOT used AND NOT void`) before the hash is
checked, so no more than 5 tries are ever checked against one code."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError

from models.db import lock_partner, write_transaction
from models.enums import Channel
from models.records import Account
from models.services.errors import N_, DomainError, NotFound, TooMany
from models.services.hashing import off_loop
from models.services.notifications import notify
from models.tables import SupportOrder, VerificationCode

CODE_TTL = timedelta(minutes=10)
RESEND_AFTER = timedelta(seconds=60)
MAX_TRIES = 5
WRONG_CODE = N_("验证码错误。")
#: At most this many codes for one order in SEND_WINDOW.
CODES_PER_WINDOW = 5
SEND_WINDOW = timedelta(hours=1)
#: Where a code can go (a notification can also go to the inbox; a code never does).
CODE_CHANNELS: tuple[Channel, ...] = (Channel.PHONE, Channel.EMAIL)
# Codes live ten minutes and allow five tries: a light hash is enough and keeps payment fast.
_hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"


def mask_email(email: str) -> str:
    name, _, domain = email.partition("@")
    return (name[:1] + "***@" + domain) if domain else "***"


def destinations(account: Account) -> dict[Channel, str]:
    """The masked phone and e-mail a code can go to (only those the account has)."""
    found = {}
    if account.phone:
        found[Channel.PHONE] = mask_phone(account.phone)
    if account.email:
        found[Channel.EMAIL] = mask_email(account.email)
    return found


@dataclass(frozen=True, slots=True)
class _Code:
    """The latest code issued for one order (its hash only)."""

    id: int
    channel: str
    code_hash: str
    created_at: datetime
    expires_at: datetime
    attempts: int
    used: bool
    void: bool


async def _latest(account_id: int, order_id: str) -> _Code | None:
    row = (
        await VerificationCode.select(
            VerificationCode.id,
            VerificationCode.channel,
            VerificationCode.code_hash,
            VerificationCode.created_at,
            VerificationCode.expires_at,
            VerificationCode.attempts,
            VerificationCode.used,
            VerificationCode.void,
        )
        .where((VerificationCode.account == account_id) & (VerificationCode.order_id == order_id))
        .order_by(VerificationCode.id, ascending=False)
        .first()
    )
    return _Code(**row) if row else None


@dataclass(frozen=True, slots=True)
class CodeState:
    """What the 身份验证 page says about one order's codes for an account: the latest code (where it went, when,
    until when it is good and how many tries it has left) and from when a new one may be requested."""

    channel: Channel | None  # where the latest code went; None before the first
    sent_at: datetime | None
    expires_at: datetime | None
    tries_left: int  # of the latest code: 0 once used, void, expired or tried MAX_TRIES times
    resend_at: datetime  # a new code may be requested from this moment (`now` when at once)

    @property
    def live(self) -> bool:
        """The latest code can still be entered."""
        return self.tries_left > 0


async def _resend_at(account_id: int, order_id: str, latest: _Code | None, now: datetime) -> tuple[datetime, bool]:
    """When the next code may be sent, by the two rules (60 seconds after this account's last code for the
    order; at most CODES_PER_WINDOW codes for the order in SEND_WINDOW), and whether the hourly rule is the one
    that waits longer."""
    after_last = latest.created_at + RESEND_AFTER if latest else now
    recent = (
        await VerificationCode.select(VerificationCode.created_at)
        .where((VerificationCode.order_id == order_id) & (VerificationCode.created_at > now - SEND_WINDOW))
        .order_by(VerificationCode.created_at, ascending=False)
        .limit(CODES_PER_WINDOW)
    )
    # The oldest of the last CODES_PER_WINDOW codes leaves the window first.
    after_window = recent[-1]["created_at"] + SEND_WINDOW if len(recent) >= CODES_PER_WINDOW else now
    return max(after_last, after_window, now), after_window > max(after_last, now)


async def code_state(account: Account, order_id: str, now: datetime) -> CodeState:
    """The account's latest code for the order as the 身份验证 page shows it (read only)."""
    latest = await _latest(account.id, order_id)
    resend_at, _hourly = await _resend_at(account.id, order_id, latest, now)
    if latest is None:
        return CodeState(channel=None, sent_at=None, expires_at=None, tries_left=0, resend_at=resend_at)
    dead = latest.used or latest.void or now > latest.expires_at
    return CodeState(
        channel=Channel(latest.channel) if latest.channel in CODE_CHANNELS else None,
        sent_at=latest.created_at,
        expires_at=latest.expires_at,
        tries_left=0 if dead else max(0, MAX_TRIES - latest.attempts),
        resend_at=resend_at,
    )


async def _lock_company_of(order_id: str) -> bool:
    """Holds the company of the order until the transaction ends, as every change of its money does
    (models.db.lock_partner; SQLite's write transaction already serialises): one code request at a time, and
    the same lock order as paying (company, then codes), so the two cannot deadlock. False when there is no
    such order."""
    row = await SupportOrder.select(SupportOrder.partner).where(SupportOrder.id == order_id).first()
    if row is None:
        return False
    await lock_partner(row["partner"])
    return True


def _whole(delta: timedelta, unit: timedelta) -> int:
    """A wait rounded up to whole units (seconds, minutes), at least 1."""
    return max(1, -(-delta // unit))


async def send_code(account: Account, order_id: str, channel: str, now: datetime) -> str:
    """Writes a new code to the outbox (by the chosen channel) and voids the earlier ones; returns the masked
    destination. Refused (429) within 60 seconds of this account's last code for the order, and when the order
    already had CODES_PER_WINDOW codes in the last hour."""
    where = destinations(account)
    if channel not in CODE_CHANNELS or channel not in where:
        raise DomainError(N_("请选择验证码的接收方式：手机或邮箱。"), field="channel")
    to = Channel(channel)
    # The code and its hash are made before the transaction: hashing off the loop (models.services.hashing)
    # while holding the write lock would keep other writers waiting for it.
    code = f"{secrets.randbelow(1_000_000):06d}"
    code_hash = await off_loop(_hasher.hash, code)
    async with write_transaction():
        if not await _lock_company_of(order_id):
            raise NotFound(N_("订单不存在。"))
        latest = await _latest(account.id, order_id)
        resend_at, hourly = await _resend_at(account.id, order_id, latest, now)
        if resend_at > now and not hourly:
            wait = _whole(resend_at - now, timedelta(seconds=1))
            raise TooMany(N_("验证码刚刚已发送，%(seconds)s 秒后可重新获取。"), field="code", seconds=wait)
        if resend_at > now:
            raise TooMany(
                N_("该订单1小时内已获取%(count)s次验证码，请在 %(minutes)s 分钟后重新获取。"),
                field="channel",
                count=CODES_PER_WINDOW,
                minutes=_whole(resend_at - now, timedelta(minutes=1)),
            )
        await VerificationCode.update({VerificationCode.void: True}).where(
            (VerificationCode.account == account.id) & (VerificationCode.order_id == order_id)
        )
        await VerificationCode.insert(
            VerificationCode(
                account=account.id,
                order_id=order_id,
                channel=to,
                code_hash=code_hash,
                created_at=now,
                expires_at=now + CODE_TTL,
                attempts=0,
                used=False,
                void=False,
            )
        )
        await notify(
            account.id,
            "身份验证码",
            f"您正在为订单 {order_id} 付款，验证码 {code}，10分钟内有效。请勿告诉他人。",
            now,
            channel=to,
        )
    return where[to]


async def _claim_try(code_id: int, now: datetime) -> int | None:
    """Counts one try against a live code in one conditional UPDATE; returns the tries so far including
    this one, or None when the code can take no more (used, void, expired, or 5 tries already claimed).
    Concurrent claims queue on the row (PostgreSQL) or the write lock (SQLite) and see each other's count."""
    claimed = (
        await VerificationCode.update({VerificationCode.attempts: VerificationCode.attempts + 1})
        .where(
            (VerificationCode.id == code_id)
            & (VerificationCode.attempts < MAX_TRIES)
            & VerificationCode.used.eq(False)
            & VerificationCode.void.eq(False)
            & (VerificationCode.expires_at >= now)
        )
        .returning(VerificationCode.attempts)
    )
    return claimed[0]["attempts"] if claimed else None


async def check_code(account: Account, order_id: str, code: str, now: datetime) -> str | None:
    """Marks the code used and returns None when right; otherwise returns the message id to show. Each try
    is claimed before the hash is checked (at most MAX_TRIES checks per code, however many arrive at once);
    the MAX_TRIES-th wrong one voids the code. Called inside the caller's write transaction, which must commit
    a refused try (the count is the limit)."""
    code = code.strip()
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return N_("请输入6位数字验证码。")
    latest = await _latest(account.id, order_id)
    if latest is None:
        return N_("请先获取验证码。")
    if latest.void or latest.used:
        return N_("该验证码已失效，请重新获取。")
    if now > latest.expires_at:
        return N_("验证码已过期，请重新获取。")
    tries = await _claim_try(latest.id, now)
    if tries is None:  # another try used it up, voided it or was right, between the read and the claim
        return N_("该验证码已失效，请重新获取。")
    try:
        await off_loop(_hasher.verify, latest.code_hash, code)
    except VerifyMismatchError:
        if tries >= MAX_TRIES:
            await VerificationCode.update({VerificationCode.void: True}).where(VerificationCode.id == latest.id)
            return N_("验证码已输错5次，已失效。请重新获取。")
        return WRONG_CODE
    await VerificationCode.update({VerificationCode.used: True}).where(VerificationCode.id == latest.id)
    return None
