"""The unsubscribe form's model (退订管理): the fee table's quote, the reasons on offer and what was entered."""

from __future__ import annotations

from dataclasses import dataclass

from models.services import unsubscribe
from web.i18n import _
from web.template_globals import RadioOption


@dataclass(frozen=True, slots=True)
class FormValues:
    """The fields as submitted (empty on the first visit)."""

    reason: str = ""
    comment: str = ""
    confirmed: bool = False


@dataclass(frozen=True, slots=True)
class UnsubscribePage:
    quote: unsubscribe.UnsubscribeQuote | None  # None with a refusal: nothing to unsubscribe
    errors: dict[str, str]
    notice: str | None  # the amounts were recomputed: confirm again
    refusal: str | None
    reason: str
    comment: str
    confirmed: bool
    reason_options: list[RadioOption]
    comment_max: int

    @classmethod
    def of(
        cls,
        quote: unsubscribe.UnsubscribeQuote | None,
        values: FormValues | None = None,
        *,
        errors: dict[str, str] | None = None,
        notice: str | None = None,
        refusal: str | None = None,
    ) -> UnsubscribePage:
        values = values or FormValues()
        return cls(
            quote=quote,
            errors=errors or {},
            notice=notice,
            refusal=refusal,
            reason=values.reason,
            comment=values.comment,
            confirmed=values.confirmed,
            reason_options=[(code, _(label), None, False) for code, label in unsubscribe.REASONS.items()],
            comment_max=unsubscribe.COMMENT_MAX,
        )
