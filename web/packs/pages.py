"""The pack pages' model (购买工单增购包 → 订单确认): the offer with the count as typed, its errors, or why not."""

from __future__ import annotations

from dataclasses import dataclass

from models.services import packs
from models.services.plans import PlanState
from web.forms import error_dict
from web.i18n import _


@dataclass(frozen=True, slots=True)
class PackPage:
    offer: packs.PackOffer
    count: str  # as typed, shown back in the field
    errors: dict[str, str]
    refusal: str | None  # why packs are not offered, translated
    request_key: str = ""  # 订单确认 only

    @property
    def state(self) -> PlanState:
        return self.offer.state

    @classmethod
    def of(
        cls, offer: packs.PackOffer, raw_count: str, errors: dict[str, str] | None = None, *, request_key: str = ""
    ) -> PackPage:
        errors = dict(errors or {})
        if offer.error is not None:
            errors.update(error_dict(offer.error, "count"))
        refusal = offer.refusal
        return cls(
            offer=offer,
            count=raw_count,
            errors=errors,
            refusal=_(refusal.message, **refusal.params) if refusal else None,
            request_key=request_key,
        )


def offer_status(offer: packs.PackOffer) -> int:
    if offer.refusal is not None:
        return offer.refusal.status_code
    return offer.error.status_code if offer.error is not None else 200
