"""怎么算的 for the unsubscribe amounts (SPEC.md §14) and when the refund next changes (issue 15)."""

from datetime import timedelta
from decimal import Decimal, localcontext

from hypothesis import given, settings

from models.enums import Level
from models.rules.explain import LineKind
from models.rules.periods import hour_floor, renewal_period
from models.rules.proration import PRECISION, whole_period
from models.rules.refunds import (
    FEE_YEAR,
    FIVE_DAY_ENDS,
    FIVE_DAY_WINDOW,
    NEXT_HOUR,
    next_refund_changes,
    unsubscribe_quote,
    unsubscribe_row,
)
from tests.helpers.times import bj
from tests.unit.test_rules_refunds import bought, periods_and_now

D = Decimal


def added(explanation):
    return sum((line.value for line in explanation.lines if line.kind != LineKind.SUBTOTAL), D(0))


def test_vendor_example_lines_add_up_to_each_amount():
    # SPEC §5's example: ¥8,500.00 for a month, 344 of 758 hours used.
    row = unsubscribe_row(bought(bj(2024, 1, 1, 10, 30), 1), bj(2024, 1, 15, 18, 40), five_day=False)
    consumed, fee, refund = row.consumed_x, row.fee_x, row.refund_x
    first = consumed.lines[0]
    assert {p.name: p.value for p in first.params}["used"] == 344
    assert {p.name: p.value for p in first.params}["total"] == 758
    with localcontext(prec=PRECISION):
        assert first.value == D("8500.00") * 344 / 758
    assert first.value_text("zh-CN") == "≈¥3,857.51978892"
    assert [line.kind for line in consumed.lines] == [LineKind.INPUT, LineKind.ROUNDING]
    assert added(consumed) == consumed.amount == D("3857.52")
    assert fee.lines[0].value == D("850.0000")
    assert {p.name: p.value for p in fee.lines[0].params}["rate"] == "10%"
    assert added(fee) == fee.amount == D("850.00")
    assert [line.value for line in refund.lines] == [D("8500.00"), D("-3857.52"), D("-850.00")]
    assert added(refund) == refund.amount == D("3792.48")


def test_multi_year_fee_line_names_the_year_of_use():
    period = bought(bj(2024, 1, 1, 10, 30), 36)
    row = unsubscribe_row(period, bj(2025, 3, 1, 9), five_day=False)  # the second year of use: 10 %
    params = {p.name: p.value for p in row.fee_x.lines[0].params}
    assert (params["rate"], params["year"], params["term"]) == ("10%", 2, 36)
    assert row.fee == (row.paid * D("0.10")).quantize(D("0.01"))


def test_five_day_and_not_started_periods_explain_their_zeroes():
    period = bought(bj(2024, 1, 1, 10, 30), 1)
    row = unsubscribe_row(period, bj(2024, 1, 3, 9), five_day=True)
    assert row.consumed_x.amount == row.fee_x.amount == 0
    assert "五天无理由" in row.consumed_x.lines[0].label
    start, end = renewal_period(period.end, 1)
    renewal = whole_period(start, end, 1, Level.STANDARD, D("8500.00"), is_renewal=True)
    later = unsubscribe_row(renewal, bj(2024, 1, 3, 9), five_day=False)
    assert "未开始" in later.fee_x.lines[0].label
    assert later.refund_x.amount == D("8500.00") == added(later.refund_x)


def test_totals_combine_the_rows_with_one_rounding_line():
    period = bought(bj(2024, 1, 1, 10, 30), 1)
    start, end = renewal_period(period.end, 1)
    renewal = whole_period(start, end, 1, Level.STANDARD, D("8500.00"), is_renewal=True)
    rows, totals = unsubscribe_quote([period, renewal], bj(2024, 1, 15, 18, 40), five_day=False)
    for x, amount in ((totals.consumed_x, D("3857.52")), (totals.fee_x, D("850.00")), (totals.refund_x, None)):
        assert sum(1 for line in x.lines if line.kind == LineKind.ROUNDING) <= 1
        assert added(x) == x.amount
        if amount is not None:
            assert x.amount == amount
    assert totals.refund == D("3792.48") + D("8500.00") == sum((r.refund for r in rows), D(0))


@given(periods_and_now())
@settings(max_examples=200, deadline=None)
def test_lines_add_up_to_what_is_refunded(case):
    period, now, five_day = case
    rows, totals = unsubscribe_quote([period], now, five_day)
    for x in (totals.consumed_x, totals.fee_x, totals.refund_x):
        assert added(x) == x.amount
        assert x.amount >= 0
    if rows:
        row = rows[0]
        assert (row.consumed, row.fee, row.refund) == (totals.consumed, totals.fee, totals.refund)
        if row.refund > 0:
            assert row.consumed + row.fee + row.refund == row.paid


def test_next_hour_change_is_the_quote_at_that_hour():
    period = bought(bj(2024, 1, 1, 10, 30), 1)
    now = bj(2024, 1, 15, 18, 40)
    changes = next_refund_changes([period], now, None)
    assert changes[0].reason == NEXT_HOUR
    assert changes[0].at == hour_floor(now) + timedelta(hours=1)
    later = unsubscribe_quote([period], changes[0].at, False)[1].refund
    assert changes[0].refund == later
    assert changes[0].delta == later - D("3792.48") < 0


def test_five_day_window_end_is_the_next_change():
    paid_at = bj(2024, 1, 1, 10, 30)
    period = bought(paid_at, 1)
    now = bj(2024, 1, 3, 9, 5)
    changes = next_refund_changes([period], now, paid_at + FIVE_DAY_WINDOW)
    assert [c.reason for c in changes] == [FIVE_DAY_ENDS]  # a full refund every hour until the window ends
    at = changes[0].at
    assert paid_at + FIVE_DAY_WINDOW < at <= paid_at + FIVE_DAY_WINDOW + timedelta(hours=1)
    assert changes[0].refund == unsubscribe_quote([period], at, False)[1].refund
    assert changes[0].delta == changes[0].refund - D("8500.00")


def test_a_year_of_use_boundary_lowers_the_fee():
    paid_at = bj(2024, 1, 1, 10, 30)
    period = bought(paid_at, 24)
    now = bj(2024, 12, 31, 12, 0)
    changes = next_refund_changes([period], now, None)
    year = [c for c in changes if c.reason == FEE_YEAR]
    assert len(year) == 1 and year[0].at.date().isoformat() == "2025-01-01"
    before = unsubscribe_quote([period], year[0].at - timedelta(hours=1), False)[1]
    after = unsubscribe_quote([period], year[0].at, False)[1]
    assert after.fee < before.fee  # 15 % → 10 %
    assert year[0].refund == after.refund
