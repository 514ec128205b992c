"""Identity verification (身份验证): a 6-digit code by phone or e-mail, for one order only.
Valid 10 minutes, a new one after 60 seconds, 5 wrong tries void it; only its argon2 hash is stored."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError

from models.enums import Channel
from models.records import Account
from models.services.errors import N_, DomainError
from models.services.notifications import notify
from models.tables import VerificationCode

CODE_TTL = timedelta(minutes=10)
RESEND_AFTER = timedelta(seconds=60)
MAX_TRIES = 5
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


async def send_code(account: Account, order_id: str, channel: str, now: datetime) -> str:
    """Writes a new code to the outbox (by the chosen channel); returns the masked destination."""
    where = destinations(account)
    if channel not in CODE_CHANNELS or channel not in where:
        raise DomainError(N_("请选择验证码的接收方式：手机或邮箱。"), field="channel")
    to = Channel(channel)
    latest = await _latest(account.id, order_id)
    if latest and now < latest.created_at + RESEND_AFTER:
        wait = int((latest.created_at + RESEND_AFTER - now).total_seconds()) + 1
        raise DomainError(N_("验证码刚刚已发送，%(seconds)s 秒后可重新获取。"), field="code", seconds=wait)
    code = f"{secrets.randbelow(1_000_000):06d}"
    await VerificationCode.update({VerificationCode.void: True}).where(
        (VerificationCode.account == account.id) & (VerificationCode.order_id == order_id)
    )
    await VerificationCode.insert(
        VerificationCode(
            account=account.id,
            order_id=order_id,
            channel=to,
            code_hash=_hasher.hash(code),
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


async def check_code(account: Account, order_id: str, code: str, now: datetime) -> str | None:
    """Marks the code used and returns None when right; otherwise counts the try and returns the message id
    to show. The caller's transaction keeps the count even when it refuses."""
    code = code.strip()
    if not (len(code) == 6 and code.isdigit()):
        return N_("请输入6位数字验证码。")
    latest = await _latest(account.id, order_id)
    if latest is None:
        return N_("请先获取验证码。")
    if latest.void or latest.used:
        return N_("该验证码已失效，请重新获取。")
    if now > latest.expires_at:
        return N_("验证码已过期，请重新获取。")
    try:
        _hasher.verify(latest.code_hash, code)
    except VerifyMismatchError:
        tries = latest.attempts + 1
        await VerificationCode.update(
            {VerificationCode.attempts: tries, VerificationCode.void: tries >= MAX_TRIES}
        ).where(VerificationCode.id == latest.id)
        if tries >= MAX_TRIES:
            return N_("验证码已输错5次，已失效。请重新获取。")
        return N_("验证码错误。")
    await VerificationCode.update({VerificationCode.used: True}).where(VerificationCode.id == latest.id)
    return None
