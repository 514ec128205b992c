"""Who may buy a plan (SPEC.md §1)."""

import pytest

from models.rules.eligibility import (
    ALREADY_HAS_PLAN,
    COMPANY_MISMATCH,
    MAIN_NOT_CERTIFIED,
    purchase_refusal,
    same_company,
)

ACME = "杭州某某科技有限公司"


def refusal(**overrides):
    args = dict(is_main=False, certified=False, own_company=ACME, main_company=ACME, company_has_plan=False)
    args.update(overrides)
    return purchase_refusal(**args)


def test_codes():
    assert (ALREADY_HAS_PLAN, MAIN_NOT_CERTIFIED, COMPANY_MISMATCH) == (
        "already_has_plan",
        "main_not_certified",
        "company_mismatch",
    )


@pytest.mark.parametrize("is_main", [True, False])
def test_certified_partner_main_and_members_may_buy(is_main):
    assert refusal(is_main=is_main, certified=True) is None
    assert refusal(is_main=is_main, certified=True, own_company="Other Co") is None


def test_non_certified_main_is_refused():
    assert refusal(is_main=True) == MAIN_NOT_CERTIFIED


def test_non_certified_member_needs_the_identical_company_name():
    assert refusal() is None
    assert refusal(own_company=f"  {ACME}\u3000") is None  # surrounding (also full-width) spaces ignored
    assert refusal(own_company="杭州某某科技有限公司分公司") == COMPANY_MISMATCH
    assert refusal(own_company="acme", main_company="ACME") == COMPANY_MISMATCH
    assert refusal(own_company="", main_company="") == COMPANY_MISMATCH


@pytest.mark.parametrize("certified", [True, False])
@pytest.mark.parametrize("is_main", [True, False])
def test_one_plan_per_company(certified, is_main):
    assert refusal(certified=certified, is_main=is_main, company_has_plan=True) == ALREADY_HAS_PLAN


def test_same_company():
    assert same_company(" A ", "A")
    assert not same_company("A B", "AB")
    assert not same_company("   ", "   ")
