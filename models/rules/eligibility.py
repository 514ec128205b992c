"""Who may buy a Partner Support Plan (SPEC.md §1, guide chapter 1 购买须知)."""

from __future__ import annotations

ALREADY_HAS_PLAN = "already_has_plan"
MAIN_NOT_CERTIFIED = "main_not_certified"
COMPANY_MISMATCH = "company_mismatch"
REFUSAL_CODES: tuple[str, ...] = (ALREADY_HAS_PLAN, MAIN_NOT_CERTIFIED, COMPANY_MISMATCH)


def same_company(a: str, b: str) -> bool:
    """Registered company names match exactly once surrounding whitespace is ignored; blank never matches."""
    left, right = (a or "").strip(), (b or "").strip()
    return bool(left) and left == right


def purchase_refusal(
    *, is_main: bool, certified: bool, own_company: str, main_company: str, company_has_plan: bool
) -> str | None:
    """Reason code why this account may not buy, or None when it may.

    One plan per company comes first (whatever the account, buying again is
    wrong); then a certified partner's accounts may buy; a non-certified
    partner must buy through a member whose company name is identical to the main's.
    """
    if company_has_plan:
        return ALREADY_HAS_PLAN
    if certified:
        return None
    if is_main:
        return MAIN_NOT_CERTIFIED
    if not same_company(own_company, main_company):
        return COMPANY_MISMATCH
    return None
