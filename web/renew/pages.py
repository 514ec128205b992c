"""The renew page's model (续费管理): the chain's last period, the term asked for and what it costs, or why not."""

from __future__ import annotations

from dataclasses import dataclass

from models.records import Period
from models.rules.explain import Explanation
from models.rules.pricing import list_price_explained
from models.rules.service_items import SERVICE_ITEMS
from models.services import renewal
from models.services.errors import DomainError
from models.services.plans import PlanState
from web.forms import error_dict, parse_int
from web.i18n import _
from web.plans.pages import auto_renew_payer


def basis_of(period_id: str | None, level: str | None) -> renewal.Basis | None:
    """What the page computed from, as its form carried it back; None when it carried nothing readable (a hand-made
    request: the service then renews whatever the chain is now, at the price the payment page shows)."""
    pid = parse_int(period_id, 9)
    if pid is None or pid <= 0 or not level:
        return None
    return renewal.Basis(period_id=pid, level=level.strip()[:20])


@dataclass(frozen=True, slots=True)
class RenewalPage:
    state: PlanState
    last: Period | None  # None: a Basic plan, nothing to renew (the page says so)
    months: int | None  # as asked; None when it was not a number
    errors: dict[str, str]
    quote: renewal.RenewalQuote | None  # None while the choice has an error
    items: list[tuple[str, str]]  # the renewed level's service items (message ids)
    refusal: str | None  # why this account may not renew, translated
    auto_renew_payer: str | None  # whose balance auto-renew charges, while it is on (SPEC.md §12)
    not_renewable: str
    request_key: str
    # Why the page was shown again instead of going on, translated: the plan changed under a stale tab
    # (`stale`, a 409), or 去支付 was pressed for a term the amount had not been computed for (`recomputed`).
    stale: str | None = None
    recomputed: str | None = None

    @property
    def explanation(self) -> Explanation | None:
        """怎么算的 for the amount shown: the list price rule's own lines (the same calculation as the quote's)."""
        if self.quote is None:
            return None
        explained = list_price_explained(self.quote.level, self.quote.months, self.state.catalog)
        # The quote is priced by the same rule with the same catalog; a mismatch is a bug, never shown as a sum.
        return explained if explained.amount_fen == self.quote.amount_fen else None

    @property
    def previewed(self) -> int | None:
        """The term the shown amount was computed for (the other terms' options are marked unpreviewed)."""
        return self.quote.months if self.quote else None

    @classmethod
    def of(
        cls,
        info: renewal.RenewPage,
        months: int | None,
        errors: dict[str, str],
        request_key: str,
        *,
        refused: DomainError | None = None,
        stale: str | None = None,
        recomputed: str | None = None,
    ) -> RenewalPage:
        """`refused`: placing the order was refused; its message goes at the term field when the page still offers
        a renewal. `stale`: the plan changed since the page was shown; the page says so at the top."""
        last = info.last
        if last is None or info.refusal:  # the page says why there is nothing to choose; no field errors
            errors = {}
        quote = (
            renewal.quote_for(last, months, info.state.catalog) if last and not errors and months is not None else None
        )
        if refused is not None and last is not None and info.refusal is None:
            errors = error_dict(refused, "months")
        return cls(
            state=info.state,
            last=last,
            months=months,
            errors=errors,
            quote=quote,
            items=SERVICE_ITEMS[last.level] if last else [],
            refusal=_(info.refusal.message, **info.refusal.params) if info.refusal else None,
            auto_renew_payer=auto_renew_payer(info.state),
            not_renewable=_(renewal.NOT_RENEWABLE),
            request_key=request_key,
            stale=stale,
            recomputed=recomputed,
        )


def status_of(info: renewal.RenewPage, errors: dict[str, str]) -> int:
    if info.last is None:
        return 409
    if info.refusal:
        return 403
    return 400 if errors else 200
