"""What tests read back from the database: a balance, the latest verification code sent."""

from __future__ import annotations

import re

from models.tables import Account, Outbox

CODE_RE = re.compile(r"验证码 (\d{6})")


async def balance(login: str) -> int:
    return (await Account.select(Account.balance_fen).where(Account.login == login).first())["balance_fen"]


async def latest_code(login: str) -> str:
    account = await Account.select(Account.id).where(Account.login == login).first()
    row = await Outbox.select().where(Outbox.account == account["id"]).order_by(Outbox.id, ascending=False).first()
    return CODE_RE.search(row["body"]).group(1)
