"""Prepared queries (models.prepared, issue 16) answer as the Piccolo queries they replace would, on both
engines: the same rows with the same types, values (enums, times) put in place on each run, inside the current
transaction when there is one, and one compile per engine type however often they run."""

from __future__ import annotations

from datetime import timedelta

from models.db import recorded_queries, write_transaction
from models.enums import Channel, OrderKind, OrderStatus, Severity, TicketType
from models.prepared import Param, Prepared
from models.services.accounts import account_by_login, find_account, find_account_and_unread
from models.services.inbox import unread_count
from models.services.plans import month_usage, month_window
from models.tables import Account as AccountTable
from models.tables import Outbox, SupportOrder, Ticket
from tests.helpers.times import START

_BY_KIND_SINCE = Prepared(
    lambda: (
        SupportOrder.select(SupportOrder.id, SupportOrder.kind, SupportOrder.created_at)
        .where(
            (SupportOrder.kind == Param("kind")) & (SupportOrder.created_at >= Param("since"))  # type: ignore[arg-type]
        )
        .order_by(SupportOrder.id)
    )
)


async def test_the_account_is_the_piccolo_querys_row(db, demo):
    for login in ("partner-a", "partner-b-buyer"):
        account = await account_by_login(login)
        assert await find_account(account.id) == account
    assert await find_account(10**6) is None


async def test_values_are_put_in_place_on_every_run(db, demo, clock):
    buyer = await account_by_login("partner-b-buyer")
    assert await _BY_KIND_SINCE.rows(kind=OrderKind.PACK, since=START - timedelta(days=1)) == []
    for number, kind in enumerate((OrderKind.PACK, OrderKind.PURCHASE, OrderKind.PACK)):
        await SupportOrder.insert(
            SupportOrder(
                id=f"PREPARED{number}",
                account=buyer.id,
                partner=buyer.partner,
                kind=kind,
                level="standard",
                months=1,
                pack_count=1,
                list_fen=100,
                due_fen=100,
                status=OrderStatus.PENDING,
                created_at=clock.now(),
            )
        )
    expected = (
        await SupportOrder.select(SupportOrder.id, SupportOrder.kind, SupportOrder.created_at)
        .where((SupportOrder.kind == OrderKind.PACK) & (SupportOrder.created_at >= START - timedelta(days=1)))
        .order_by(SupportOrder.id)
    )
    got = await _BY_KIND_SINCE.rows(kind=OrderKind.PACK, since=START - timedelta(days=1))
    assert got == expected and len(got) == 2
    assert got[0]["created_at"] == clock.now()  # a time, not text
    assert await _BY_KIND_SINCE.rows(kind=OrderKind.PURCHASE, since=START - timedelta(days=1)) != got
    assert await _BY_KIND_SINCE.rows(kind=OrderKind.PACK, since=START + timedelta(days=1)) == []


async def test_inside_a_transaction_it_sees_the_transactions_writes(db, demo):
    account = await account_by_login("partner-a")
    before = await unread_count(account.id)
    async with write_transaction():
        await Outbox.insert(Outbox(account=account.id, channel=Channel.INBOX, subject="s", body="b", created_at=START))
        assert await unread_count(account.id) == before + 1
    async with write_transaction():
        await AccountTable.update({AccountTable.company_name: "新名"}).where(AccountTable.id == account.id)
        assert (await find_account(account.id)).company_name == "新名"


async def test_it_is_built_and_compiled_once_and_each_run_is_one_query(db, demo):
    builds = []

    def build():  # type: ignore[no-untyped-def]
        builds.append(1)
        return AccountTable.select(AccountTable.login).where(AccountTable.id == Param("id")).limit(1)

    by_id = Prepared(build)
    account = await account_by_login("partner-a")
    with recorded_queries() as seen:
        for _ in range(5):
            assert await by_id.first(id=account.id) == {"login": "partner-a"}
    assert len(seen) == 5 and len(builds) == 1


async def test_the_account_and_its_unread_count_in_one_query_are_the_two_queries_answers(db, demo):
    account = await account_by_login("partner-a")
    assert await find_account_and_unread(account.id) == (account, await unread_count(account.id))
    await Outbox.insert(
        Outbox(account=account.id, channel=Channel.INBOX, subject="s", body="b", created_at=START),
        Outbox(account=account.id, channel=Channel.EMAIL, subject="s", body="b", created_at=START),  # not the inbox
        Outbox(account=account.id, channel=Channel.INBOX, subject="s", body="b", created_at=START, read_at=START),
    )
    with recorded_queries() as seen:
        found, unread = await find_account_and_unread(account.id)
    assert len(seen) == 1 and found == account
    assert unread == await unread_count(account.id) and unread >= 1
    assert await find_account_and_unread(10**6) == (None, 0)


async def test_the_months_packs_and_tickets_in_one_query_count_only_that_month_and_company(db, demo, clock):
    buyer = await account_by_login("partner-b-buyer")
    now = clock.now()
    assert await month_usage(buyer.partner, now) == (0, 0)
    start, end = month_window(now)
    for number, (paid_at, count) in enumerate(((now, 2), (start, 3), (end, 5), (start - timedelta(seconds=1), 7))):
        await SupportOrder.insert(
            SupportOrder(
                id=f"USAGE{number}",
                account=buyer.id,
                partner=buyer.partner,
                kind=OrderKind.PACK,
                pack_count=count,
                status=OrderStatus.PAID,
                created_at=paid_at,
                paid_at=paid_at,
            )
        )
    for created_at, kind in ((now, TicketType.TECHNICAL), (now, TicketType.BUSINESS), (end, TicketType.TECHNICAL)):
        await Ticket.insert(
            Ticket(
                account=buyer.id,
                partner=buyer.partner,
                kind=kind,
                severity=Severity.GENERAL,
                title="t",
                description="d",
                created_at=created_at,
            )
        )
    assert await month_usage(buyer.partner, now) == (2 + 3, 1)  # the month's first second in, the next month's out
