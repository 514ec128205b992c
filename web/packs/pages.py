"""The pack pages' model (购买工单增购包 → 订单确认): the offer with the count as typed, its errors, or why not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.rules import pack_lapse
from models.rules.explain import Explanation
from models.rules.money import format_datetime_cn
from models.rules.pricing import pack_price_explained
from models.services import packs
from models.services.plans import PlanState
from web.forms import error_dict
from web.i18n import _, ngettext


@dataclass(frozen=True, slots=True)
class PackPage:
    offer: packs.PackOffer
    count: str  # as typed, shown back in the field
    errors: dict[str, str]
    refusal: str | None  # why packs are not offered, translated
    request_key: str = ""  # 订单确认 only
    now: datetime | None = None  # the request's moment: when packs bought now lapse, and the month-end warning

    @property
    def explanation(self) -> Explanation | None:
        """怎么算的 for the amount shown: the pack price rule's own lines (the amount is the same calculation)."""
        offer = self.offer
        if offer.count is None or offer.amount is None or self.refusal:
            return None
        explained = pack_price_explained(offer.count, offer.state.catalog)
        return explained if explained.amount == offer.amount else None

    @property
    def lapses_at(self) -> datetime | None:
        return pack_lapse.lapses_at(self.now) if self.now else self.state.month_end

    @property
    def lapse_warning(self) -> str | None:
        """In the month's last 3 days: packs bought now are usable only until the month's last second."""
        if self.now is None or not pack_lapse.lapse_warning(self.now):
            return None
        days = pack_lapse.days_left(self.now)
        return ngettext(
            "本月仅剩%(num)s天：现在购买的工单增购包于%(end)s作废，未用完的工单不会顺延到下月。",
            "本月仅剩%(num)s天：现在购买的工单增购包于%(end)s作废，未用完的工单不会顺延到下月。",
            days,
            end=format_datetime_cn(pack_lapse.lapses_at(self.now)),
        )

    @property
    def state(self) -> PlanState:
        return self.offer.state

    @classmethod
    def of(
        cls,
        offer: packs.PackOffer,
        raw_count: str,
        errors: dict[str, str] | None = None,
        *,
        request_key: str = "",
        now: datetime | None = None,
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
            now=now,
        )


def offer_status(offer: packs.PackOffer) -> int:
    if offer.refusal is not None:
        return offer.refusal.status_code
    return offer.error.status_code if offer.error is not None else 200
