"""Technical-ticket quota per natural month (SPEC.md §6)."""

import pytest

from models.enums import Level
from models.rules.pricing import Catalog
from models.rules.quota import can_buy_packs, can_submit_technical, monthly_quota, tickets_left


def test_monthly_quota_by_level():
    assert monthly_quota(Level.BASIC, 0) == 0
    assert monthly_quota(Level.STANDARD, 0) == 30
    assert monthly_quota(Level.STANDARD, 1) == 40
    assert monthly_quota(Level.STANDARD, 99) == 1020
    assert monthly_quota(Level.PREMIUM, 0) is None


def test_monthly_quota_follows_the_catalog():
    assert monthly_quota(Level.STANDARD, 2, Catalog(standard_monthly_tickets=20, pack_tickets=5)) == 30


def test_monthly_quota_refuses_nonsense():
    with pytest.raises(ValueError):
        monthly_quota("gold", 0)
    with pytest.raises(ValueError):
        monthly_quota(Level.STANDARD, -1)


def test_tickets_left():
    assert tickets_left(30, 0) == 30
    assert tickets_left(30, 29) == 1
    assert tickets_left(30, 30) == 0
    assert tickets_left(30, 35) == 0
    assert tickets_left(None, 1000) is None


def test_can_submit_technical():
    assert can_submit_technical(30, 29)
    assert not can_submit_technical(30, 30)
    assert not can_submit_technical(0, 0)  # Basic: business tickets only
    assert can_submit_technical(None, 10**6)


def test_only_standard_buys_packs():
    assert can_buy_packs(Level.STANDARD)
    assert not can_buy_packs(Level.BASIC)
    assert not can_buy_packs(Level.PREMIUM)
