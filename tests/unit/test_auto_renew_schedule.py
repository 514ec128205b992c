"""Auto-renew on the vendor's schedule (issue 15, SPEC.md §16): the first attempt at 03:00 Beijing time 7 days before
the end, then daily at 03:00 until paid or ended; a run late in the day makes that day's attempt, never two.
Across a month end, a year end and a leap day (2028-02-29)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from models.db import write_transaction
from models.rules.periods import BEIJING
from models.rules.renew_schedule import attempts, due_attempt, first_attempt, next_attempt
from models.services import ledger, renewal
from models.services.jobs import run_due
from models.services.plans import plan_state
from models.tables import RenewalAttempt, SupportOrder
from tests.helpers.renewals import buy, ends_on_jan_31
from tests.helpers.times import bj


def test_the_first_attempt_is_at_three_seven_days_before_the_end_date():
    assert first_attempt(bj(2024, 2, 1, 23, 59, 59)) == bj(2024, 1, 25, 3, 0)
    assert first_attempt(bj(2024, 3, 5, 23, 59, 59)) == bj(2024, 2, 27, 3, 0)  # across February's end (leap 2024)
    assert first_attempt(bj(2027, 3, 6, 23, 59, 59)) == bj(2027, 2, 27, 3, 0)
    assert first_attempt(bj(2028, 3, 7, 23, 59, 59)) == bj(2028, 2, 29, 3, 0)  # on the leap day
    assert first_attempt(bj(2025, 1, 3, 23, 59, 59)) == bj(2024, 12, 27, 3, 0)  # across the year end


def test_daily_at_three_until_the_end_across_a_month_end_and_a_leap_day():
    end = bj(2028, 3, 3, 23, 59, 59)
    assert attempts(end) == [bj(2028, 2, 25, 3, 0) + timedelta(days=n) for n in range(8)]
    assert bj(2028, 2, 29, 3, 0) in attempts(end) and attempts(end)[-1] == bj(2028, 3, 3, 3, 0)
    # A chain ending in the small hours: its end day's 03:00 is after the end, so no attempt then.
    assert attempts(bj(2024, 3, 1, 2, 0))[-1] == bj(2024, 2, 29, 3, 0)


def test_what_a_run_does_at_each_moment():
    end = bj(2024, 3, 1, 23, 59, 59)  # first attempt 2024-02-23 03:00
    assert due_attempt(end, bj(2024, 2, 22, 23, 0)) is None  # before the first day
    assert due_attempt(end, bj(2024, 2, 23, 2, 59, 59)) is None  # the first day before 03:00
    assert due_attempt(end, bj(2024, 2, 23, 3, 0)) == bj(2024, 2, 23, 3, 0)
    assert due_attempt(end, bj(2024, 2, 29, 18, 0)) == bj(2024, 2, 29, 3, 0)  # late in the day: that day's attempt
    assert due_attempt(end, bj(2024, 3, 1, 3, 0)) == bj(2024, 3, 1, 3, 0)  # the end day
    assert due_attempt(end, bj(2024, 3, 2, 3, 0)) is None  # ended
    assert next_attempt(end, bj(2024, 2, 1, 12, 0)) == bj(2024, 2, 23, 3, 0)
    assert next_attempt(end, bj(2024, 2, 28, 3, 0)) == bj(2024, 2, 29, 3, 0)  # strictly after
    assert next_attempt(end, bj(2024, 2, 28, 16, 0)) == bj(2024, 2, 29, 3, 0)
    assert next_attempt(end, bj(2024, 3, 1, 3, 0)) is None


@given(
    end_day=st.dates(min_value=bj(2024, 1, 1).date(), max_value=bj(2030, 12, 31).date()),
    seconds=st.integers(0, 86_399),
    offset_minutes=st.integers(-9 * 24 * 60, 2 * 24 * 60),
)
def test_a_due_attempt_is_one_of_the_chains_at_three_on_the_runs_day(end_day, seconds, offset_minutes):
    end = bj(end_day.year, end_day.month, end_day.day) + timedelta(seconds=seconds)
    now = end + timedelta(minutes=offset_minutes)
    due = due_attempt(end, now)
    if due is not None:
        assert due in attempts(end) and due <= now <= end
        assert due.date() == now.astimezone(BEIJING).date() and (due.hour, due.minute) == (3, 0)
    else:
        today = now.astimezone(BEIJING).date()
        assert not any(a <= now <= end and a.date() == today for a in attempts(end))
    following = next_attempt(end, now)
    assert following is None or (following > now and following in attempts(end))


async def switch_on(account, clock) -> None:
    state = await plan_state(account.partner, clock.now())
    await renewal.set_auto_renew(account, "on", 1, clock.now())
    assert state.valid_until is not None


async def test_the_job_charges_at_three_and_not_before(demo, clock):
    account = await ends_on_jan_31(clock)  # ends 2024/01/31 23:59:59: first attempt 2024/01/24 03:00
    await switch_on(account, clock)
    clock.moment = bj(2024, 1, 24, 2, 59, 59)
    assert (await run_due(clock.now()))["auto_renewed"] == 0
    clock.moment = bj(2024, 1, 24, 3, 0)
    assert (await run_due(clock.now()))["auto_renewed"] == 1
    [attempt] = await RenewalAttempt.select()
    assert attempt["attempted_on"] == "2024-01-24" and attempt["outcome"] == "renewed"
    assert (await plan_state(account.partner, clock.now())).valid_until == bj(2024, 2, 29, 23, 59, 59)


async def test_a_leap_day_attempt_and_the_next_days_retry(demo, clock):
    clock.moment = bj(2028, 2, 6, 10, 0)  # a month bought 2028/02/06 ends 2028/03/06 23:59:59
    account = await buy(clock)
    await switch_on(account, clock)
    state = await plan_state(account.partner, clock.now())
    assert state.valid_until == bj(2028, 3, 6, 23, 59, 59) and first_attempt(state.valid_until) == bj(2028, 2, 28, 3)
    order_id = (await SupportOrder.select(SupportOrder.id).first())["id"]
    async with write_transaction():  # an empty balance: the attempts fail and are retried daily
        await ledger.debit(account.id, await ledger.balance(account.id), clock.now(), order_id=order_id)
    outcomes = []
    for moment in (bj(2028, 2, 28, 3, 0), bj(2028, 2, 28, 20, 0), bj(2028, 2, 29, 2, 0), bj(2028, 2, 29, 3, 0)):
        clock.moment = moment
        outcomes.append((await run_due(clock.now()))["auto_renew_failed"])
    assert outcomes == [1, 0, 0, 1]
    days = [a["attempted_on"] for a in await RenewalAttempt.select().order_by(RenewalAttempt.id)]
    assert days == ["2028-02-28", "2028-02-29"]
