"""通知设置 (issue 15, SPEC.md §16): per account and kind, inbox only (the default: no row) or also by e-mail.
notifications.notify consults it for every inbox message."""

from __future__ import annotations

from collections.abc import Mapping

from models.db import write_transaction
from models.enums import NOTIFICATION_SETTING_KINDS, NotificationKind
from models.tables import NotificationPreference


def _key(account_id: int, kind: NotificationKind) -> str:
    return f"{account_id}:{kind.value}"


async def wants_email(account_id: int, kind: NotificationKind) -> bool:
    """Whether a message of this kind also goes to the account by e-mail (`other` never does)."""
    if kind not in NOTIFICATION_SETTING_KINDS:
        return False
    return await NotificationPreference.exists().where(
        (NotificationPreference.unique_key == _key(account_id, kind)) & NotificationPreference.email.eq(True)
    )


async def email_kinds(account_id: int) -> frozenset[NotificationKind]:
    """The kinds the account gets by e-mail as well as in 消息中心."""
    rows = await NotificationPreference.select(NotificationPreference.kind).where(
        (NotificationPreference.account == account_id) & NotificationPreference.email.eq(True)
    )
    return frozenset(NotificationKind(row["kind"]) for row in rows if row["kind"] in NOTIFICATION_SETTING_KINDS)


async def save(account_id: int, email: Mapping[NotificationKind, bool]) -> frozenset[NotificationKind]:
    """Sets e-mail on or off per kind (kinds not named keep their setting), in one transaction; saving the same
    choice twice changes nothing. Returns the kinds now sent by e-mail."""
    async with write_transaction():
        for kind, on in email.items():
            if kind not in NOTIFICATION_SETTING_KINDS:
                continue
            key = _key(account_id, kind)
            updated = (
                await NotificationPreference.update({NotificationPreference.email: on})
                .where(NotificationPreference.unique_key == key)
                .returning(NotificationPreference.id)
            )
            if not updated and on:
                await NotificationPreference.insert(
                    NotificationPreference(account=account_id, kind=kind, email=True, unique_key=key)
                )
    return await email_kinds(account_id)
