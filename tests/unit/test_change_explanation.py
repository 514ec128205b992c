"""怎么算的 of an upgrade fee and a downgrade refund (SPEC.md §14): the lines of the rule's own breakdown add up,
fen for fen, to the amount charged or refunded — on SPEC.md §4's worked example and for any plan and moment."""

from decimal import Decimal

from hypothesis import given, settings

from models.enums import Level
from models.rules.explain import LineKind, check
from models.rules.proration import change_explanation, downgrade_breakdown, upgrade_breakdown
from tests.unit.test_rules_proration import CHANGE, chains, standard_month, upgraded

D = Decimal


def added(explanation) -> Decimal:
    return sum((line.value for line in explanation.lines if line.kind != LineKind.SUBTOTAL), D(0))


def test_the_worked_example_upgrade_explains_9011_87():
    fee, lines = upgrade_breakdown([standard_month()], CHANGE, Level.PREMIUM)
    explained = change_explanation(lines, Level.PREMIUM, upgrade=True)
    assert explained.amount == fee == D("9011.87")
    price, unused = explained.lines[0], explained.lines[1]
    assert price.value == D(25000) * 414 / 758 and unused.value == -(D(8500) * 414 / 758)
    assert {p.name: p.value for p in price.params}["left"] == 414
    assert explained.lines[-1].kind == LineKind.ROUNDING and added(explained) == fee
    check(explained)


def test_the_worked_example_downgrade_explains_the_same_refund():
    premium = upgraded(standard_month(), standard_month().start)  # Premium since the start
    refund, lines = downgrade_breakdown([premium], CHANGE, Level.STANDARD)
    explained = change_explanation(lines, Level.STANDARD, upgrade=False)
    assert explained.amount == refund and added(explained) == refund
    assert explained.lines[0].value < 0 < explained.lines[1].value  # the new price counts against, unused for


@given(chains())
@settings(max_examples=200, deadline=None)
def test_an_upgrade_fee_is_the_sum_of_its_lines(chain):
    periods, now = chain
    fee, lines = upgrade_breakdown(periods, now, Level.PREMIUM)
    explained = change_explanation(lines, Level.PREMIUM, upgrade=True)
    assert explained.amount == fee == added(explained)


@given(chains(level=Level.PREMIUM))
@settings(max_examples=200, deadline=None)
def test_a_downgrade_refund_is_the_sum_of_its_lines_and_never_below_zero(chain):
    periods, now = chain
    refund, lines = downgrade_breakdown(periods, now, Level.STANDARD)
    explained = change_explanation(lines, Level.STANDARD, upgrade=False)
    assert explained.amount == refund == added(explained) >= 0
