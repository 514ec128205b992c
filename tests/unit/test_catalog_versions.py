"""The versioned price catalog (价格目录, SPEC.md §2, §15): the catalog at a moment, new versions, orders and quotes
that keep the version they were priced with, the in-process snapshot, and the /ops/catalog screen."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.records import Operator
from models.rules.pricing import DEFAULT_CATALOG, Catalog
from models.services import catalog, changes, orders, packs, payments, purchase, renewal
from models.services.accounts import account_by_login
from models.services.catalog import BEGINNING, NewVersion, Version, Versions
from models.services.errors import DomainError
from models.services.jobs import run_due
from models.services.plans import plan_state
from models.tables import AuditEntry, CatalogVersion, SupportOrder
from tests.helpers.http import sign_in
from tests.helpers.ops import make_operator, ops_post, sign_in_operator
from tests.helpers.plans import BUYER, buy_plan
from tests.helpers.times import START, bj

#: 尊享级 raised from ¥25,000.00 to ¥30,000.00 a month; the rest as in version 1.
RAISED = NewVersion(
    standard_monthly_fen=850_000,
    premium_monthly_fen=3_000_000,
    pack_price_fen=250_000,
    yearly_discount_bp=500,
    effective_at=START + timedelta(hours=1),
)


async def operator(now=START) -> Operator:
    return Operator(id=await make_operator(now), login="ops-test")


async def raise_premium(effective_at=RAISED.effective_at, now=START) -> Version:
    new = replace(RAISED, effective_at=effective_at)
    return await catalog.add_version(await operator(now), new, now)


async def order_row(order_id: str) -> dict:
    return await SupportOrder.select().where(SupportOrder.id == order_id).first()


# --- the rule: the newest version with effective_at <= at ----------------------------------------------------


def version(id_: int, effective_at, premium: int = 2_500_000) -> Version:
    return Version(
        id=id_,
        catalog=Catalog(premium_monthly_fen=premium, version=id_),
        effective_at=effective_at,
    )


@given(
    st.lists(st.integers(min_value=-500, max_value=500), max_size=8),
    st.integers(min_value=-600, max_value=600),
)
def test_the_catalog_at_a_moment_is_the_newest_version_in_force(offsets, probe):
    """For any sequence of versions (added in this order, ids 2, 3, ...; equal effective times allowed), the catalog
    at t is the one with the latest effective time <= t, the one added last among equals; before all, version 1."""
    entries = [version(2 + i, START + timedelta(minutes=m)) for i, m in enumerate(offsets)]
    at = START + timedelta(minutes=probe)
    in_force = [v for v in entries if v.effective_at <= at]
    expected = max(in_force, key=lambda v: (v.effective_at, v.id)) if in_force else catalog.SEED
    known = Versions.of(list(reversed(entries)))  # the order rows come in does not matter
    assert known.version_at(at) == expected
    assert known.at(at).version == expected.id
    assert [v.id for v in known.upcoming(at)] == [
        v.id for v in sorted(entries, key=lambda v: (v.effective_at, v.id)) if v.effective_at > at
    ]


async def test_an_empty_table_is_version_1_and_the_first_version_added_is_2(db):
    assert await catalog.catalog_at(START) == DEFAULT_CATALOG
    assert DEFAULT_CATALOG.version == 1
    added = await raise_premium()
    assert added.id == 2
    rows = await CatalogVersion.select().order_by(CatalogVersion.id)
    assert [(r["id"], r["effective_at"], r["premium_monthly_fen"]) for r in rows] == [
        (1, BEGINNING, 2_500_000),
        (2, RAISED.effective_at, 3_000_000),
    ]
    assert await catalog.catalog_at(START) == DEFAULT_CATALOG
    later = await catalog.catalog_at(RAISED.effective_at)
    assert (later.version, later.premium_monthly_fen, later.yearly_discount) == (2, 3_000_000, Decimal("0.05"))


async def test_catalog_at_agrees_with_the_rule_over_stored_versions(db):
    ops = await operator()
    offsets = [30, 10, 10, 90]  # out of order, two at the same time: the one added last wins
    for i, minutes in enumerate(offsets):
        new = replace(RAISED, premium_monthly_fen=2_600_000 + i, effective_at=START + timedelta(minutes=minutes))
        await catalog.add_version(ops, new, START)
    expect = {0: 1, 9: 1, 10: 4, 29: 4, 30: 2, 89: 2, 90: 5, 10_000: 5}
    for minutes, version_id in expect.items():
        assert (await catalog.catalog_at(START + timedelta(minutes=minutes))).version == version_id, minutes
    current, upcoming = await catalog.current_and_upcoming(START + timedelta(minutes=15))
    assert current.id == 4 and [v.id for v in upcoming] == [2, 5]


# --- adding a version ---------------------------------------------------------------------------------------


async def test_an_effective_time_in_the_past_is_refused_and_nothing_is_written(db):
    with pytest.raises(DomainError) as refused:
        await raise_premium(effective_at=START - timedelta(seconds=1))
    assert refused.value.field == "effective_at" and refused.value.status_code == 400
    assert "不能早于当前时间" in refused.value.message
    assert await CatalogVersion.count() == 0 and await AuditEntry.count() == 0


async def test_adding_a_version_writes_one_audit_row_and_a_form_sent_twice_adds_one(db):
    ops = await operator()
    first = await catalog.add_version(ops, RAISED, START, request_key="k-1")
    again = await catalog.add_version(ops, RAISED, START, request_key="k-1")
    assert first == again and first.created_by == "ops-test"
    assert await CatalogVersion.count() == 2  # version 1 and this one
    (entry,) = await AuditEntry.select()
    assert entry["action"] == "catalog_version" and entry["operator"] == ops.id
    assert (
        "版本 2" in entry["detail"] and "尊享级 ¥30,000.00/月" in entry["detail"] and "包年折扣 5%" in entry["detail"]
    )


@pytest.mark.parametrize(
    "change, field",
    [
        ({"premium_monthly_fen": 850_000}, "premium_monthly"),  # not above Standard
        ({"standard_monthly_fen": 0}, "standard_monthly"),
        ({"pack_price_fen": -1}, "pack_price"),
        ({"yearly_discount_bp": 10_000}, "yearly_discount"),
    ],
)
async def test_prices_that_cannot_be_charged_are_refused_at_their_field(db, change, field):
    with pytest.raises(DomainError) as refused:
        await catalog.add_version(await operator(), replace(RAISED, **change), START)
    assert refused.value.field == field
    assert await CatalogVersion.count() == 0


def test_the_form_reads_yuan_percent_and_beijing_time_and_the_current_minute_is_now():
    now = bj(2024, 1, 1, 10, 30, 40)
    new = catalog.parse_form(
        standard_monthly="9,000.50",
        premium_monthly="30000",
        pack_price="¥2,100",
        yearly_discount="7.5",
        effective_at="2024-01-01T10:30",
        now=now,
    )
    assert new == NewVersion(900_050, 3_000_000, 210_000, 750, now)
    later = catalog.parse_form(
        standard_monthly="1",
        premium_monthly="2",
        pack_price="3",
        yearly_discount="",
        effective_at="2024-02-01T00:00",
        now=now,
    )
    assert later.effective_at == bj(2024, 2, 1) and later.yearly_discount_bp == 0
    for field, value in [
        ("standard_monthly", ""),
        ("premium_monthly", "abc"),
        ("pack_price", "1.234"),
        ("yearly_discount", "100"),
        ("effective_at", "2024-01-01T10:29"),
        ("effective_at", "tomorrow"),
    ]:
        form = {
            "standard_monthly": "1",
            "premium_monthly": "2",
            "pack_price": "3",
            "yearly_discount": "0",
            "effective_at": "2024-01-01T10:31",
            field: value,
        }
        with pytest.raises(DomainError) as refused:
            catalog.parse_form(**form, now=now)
        assert refused.value.field == field, (field, value)


# --- orders and quotes keep their version -------------------------------------------------------------------


async def test_an_order_keeps_its_version_and_price_after_a_new_version(demo, clock):
    buyer = await account_by_login(BUYER)
    before = await purchase.place(buyer, "premium", 1, None, START)
    assert (await order_row(before))["catalog_version"] == 1
    await raise_premium()
    paid_at = RAISED.effective_at + timedelta(hours=1)
    await payments.settle(before, paid_at, payer_id=buyer.id)  # paid after the new version took effect
    row = await order_row(before)
    assert (row["status"], row["list_fen"], row["due_fen"], row["catalog_version"]) == ("paid", 2_500_000, 2_500_000, 1)
    # Another company's order after the effective time: the new price, the new version.
    other = await account_by_login("partner-a-ops")
    after = await purchase.place(other, "premium", 12, None, paid_at)
    row = await order_row(after)
    assert (row["list_fen"], row["catalog_version"]) == (34_200_000, 2)  # 12 x 30,000 less 5 %


async def test_orders_before_the_effective_time_use_the_old_version_after_it_the_new(demo, clock):
    await raise_premium()
    buyer = await account_by_login(BUYER)
    just_before = RAISED.effective_at - timedelta(seconds=1)
    assert purchase.amount("premium", 1, await catalog.catalog_at(just_before)) == Decimal("25000.00")
    state = await plan_state(buyer.partner, RAISED.effective_at)
    assert (state.catalog.version, state.catalog.premium_monthly_fen) == (2, 3_000_000)
    assert state.catalog_at(just_before) == DEFAULT_CATALOG


async def test_renewals_and_packs_are_priced_and_stamped_with_the_version_in_force(demo, clock):
    buyer = await buy_plan(BUYER, "standard", 1, START)
    await raise_premium()
    at = RAISED.effective_at
    pack = await packs.place(buyer, 2, None, at)
    assert ((await order_row(pack))["list_fen"], (await order_row(pack))["catalog_version"]) == (500_000, 2)
    offer = await packs.offer(buyer, "3", at)
    assert (offer.amount_fen, offer.unit_fen) == (750_000, 250_000)
    renewal_id = await renewal.place(buyer, 12, None, at)
    row = await order_row(renewal_id)
    assert (row["list_fen"], row["catalog_version"]) == (9_690_000, 2)  # 12 x 8,500 less the new 5 %
    # Before the effective time the renew page priced with version 1.
    page = await renewal.renew_page(buyer, START + timedelta(minutes=5))
    assert renewal.quote_for(page.last, 12, page.state.catalog).amount_fen == 10_200_000


async def test_the_auto_renew_job_charges_the_price_in_force_and_records_its_version(demo, clock):
    """The job (models/services/auto_renew.py) prices through renewal.quote_for with the catalog its plan_state read."""
    buyer = await buy_plan(BUYER, "standard", 1, START)
    await renewal.set_auto_renew(buyer, "on", 1, START)
    ops = Operator(id=await make_operator(START), login="ops-test")
    await catalog.add_version(ops, replace(RAISED, standard_monthly_fen=900_000), START)
    assert (await run_due(bj(2024, 1, 25, 3, 0)))["auto_renewed"] == 1
    row = await SupportOrder.select().where(SupportOrder.kind == "renewal").first()
    assert (row["status"], row["due_fen"], row["catalog_version"]) == ("paid", 900_000, 2)


async def test_an_upgrade_quoted_before_a_new_version_is_charged_its_quote_within_the_freeze(demo, clock):
    """规格确认 at 10:50, 尊享级's price raised from 10:55, 确认变更 at 11:00: the quote's amount (quote = charge)."""
    await buy_plan(BUYER, "standard", 1, START)
    buyer = await account_by_login(BUYER)
    quoted_at = START + timedelta(minutes=20)
    quoted = await changes.quote(buyer, changes.UPGRADE, quoted_at)
    await raise_premium(effective_at=quoted_at + timedelta(minutes=5), now=quoted_at)
    order_id = await changes.place_upgrade(buyer, quoted.quote_id, None, quoted_at + timedelta(minutes=10))
    order = await orders.get(order_id)
    assert order.list_fen == quoted.amount_fen and order.quoted_at == quoted_at
    assert (await order_row(order_id))["catalog_version"] == 1  # priced with the version of its quote


async def test_an_upgrade_after_a_new_version_is_priced_and_stamped_with_it(demo, clock):
    await buy_plan(BUYER, "standard", 1, START)
    buyer = await account_by_login(BUYER)
    raised = await raise_premium(effective_at=START + timedelta(minutes=1), now=START)
    later = START + timedelta(hours=2)
    quoted = await changes.quote(buyer, changes.UPGRADE, later)
    order_id = await changes.place_upgrade(buyer, quoted.quote_id, None, later)
    in_force = changes.compute(await plan_state(buyer.partner, later), later)  # priced with the new version
    assert (await order_row(order_id))["catalog_version"] == raised.id == quoted.catalog_version
    assert (await orders.get(order_id)).list_fen == quoted.amount_fen == in_force.amount_fen


# --- the snapshot of each process ---------------------------------------------------------------------------


async def test_another_workers_version_is_seen_once_the_snapshot_is_older_than_the_ttl(db, monkeypatch):
    ticks = [1000.0]
    monkeypatch.setattr(catalog, "_monotonic", lambda: ticks[0])
    catalog.forget()
    assert (await catalog.catalog_at(START)).version == 1
    # Another worker adds a version effective now (behind this process's back: no forget()).
    await CatalogVersion.insert(catalog._seed_row())
    await CatalogVersion.insert(
        CatalogVersion(
            standard_monthly_fen=900_000,
            premium_monthly_fen=3_000_000,
            pack_price_fen=200_000,
            yearly_discount_bp=0,
            effective_at=START,
            created_at=START,
        )
    )
    ticks[0] += catalog.TTL  # not older than the TTL yet: the snapshot still holds
    assert (await catalog.catalog_at(START)).version == 1
    ticks[0] += 0.5
    assert (await catalog.catalog_at(START)).version == 2


async def test_this_process_sees_its_own_version_at_once(db, monkeypatch):
    monkeypatch.setattr(catalog, "_monotonic", lambda: 5.0)  # time stands still: only forget() refreshes
    catalog.forget()
    assert (await catalog.catalog_at(RAISED.effective_at)).version == 1
    await raise_premium()
    assert (await catalog.catalog_at(RAISED.effective_at)).version == 2


# --- the screen ---------------------------------------------------------------------------------------------

FORM = {
    "standard_monthly": "8500.00",
    "premium_monthly": "30000.00",
    "pack_price": "2000.00",
    "yearly_discount": "0",
    "effective_at": "2024-01-01T11:00",
    "request_key": "catalog-form-1",
}


async def test_the_catalog_screen_shows_the_current_version_and_its_form(client, clock):
    await make_operator(clock.now())
    await sign_in_operator(client)
    shown = await client.get("/ops/catalog")
    assert shown.status_code == 200
    for text in (
        "价格目录",
        "当前版本",
        "版本 1",
        "¥8,500.00/月",
        "¥25,000.00/月",
        "¥2,000.00/个",
        "最初版本（始终有效）",
    ):
        assert text in shown.text, text
    for label in (
        "标准级月价（元）",
        "尊享级月价（元）",
        "工单增购包单价（元）",
        "包年折扣（百分比）",
        "生效时间（北京时间）",
    ):
        assert f">{label}</label>" in shown.text, label
    assert 'value="2024-01-01T10:30"' in shown.text  # effective now by default
    assert 'aria-current="page">价格目录' in shown.text


async def test_the_form_refused_says_why_at_the_field_and_keeps_what_was_typed(client, clock):
    await make_operator(clock.now())
    await sign_in_operator(client)
    refused = await ops_post(client, "/ops/catalog", {**FORM, "effective_at": "2024-01-01T09:00"})
    assert refused.status_code == 400
    assert 'class="error-summary"' in refused.text and 'href="#effective_at"' in refused.text
    assert (
        'id="effective_at-error"' in refused.text and "生效时间不能早于当前时间（2024/01/01 10:30:00）" in refused.text
    )
    assert 'value="30000.00"' in refused.text
    low = await ops_post(client, "/ops/catalog", {**FORM, "premium_monthly": "100"})
    assert low.status_code == 400 and "尊享级的月价须高于标准级的月价" in low.text
    assert await CatalogVersion.count() == 0


async def test_a_new_version_from_the_screen_once_however_often_sent(client, clock):
    await make_operator(clock.now())
    await sign_in_operator(client)
    for _ in range(2):
        added = await ops_post(client, "/ops/catalog", FORM)
        assert added.status_code == 303 and added.headers["location"] == "/ops/catalog"
    assert await CatalogVersion.count() == 2 and await AuditEntry.count() == 1
    shown = await client.get("/ops/catalog")
    assert 'role="status"' in shown.text and "已创建价格目录版本 2，将于 2024/01/01 11:00:00 生效" in shown.text
    assert "待生效版本" in shown.text and "¥30,000.00/月" in shown.text and "ops-test" in shown.text
    clock.advance(minutes=30)
    later = await client.get("/ops/catalog")
    assert "版本 2" in later.text and "没有待生效的版本。" in later.text


async def test_the_change_page_shows_the_new_price_once_the_version_is_in_force(client, demo, clock):
    await sign_in(client, BUYER)
    assert "¥25,000.00 / 1个月" in (await client.get("/plan/change")).text
    ops = Operator(id=await make_operator(clock.now()), login="ops-test")
    await catalog.add_version(ops, replace(RAISED, effective_at=clock.now()), clock.now())
    page = (await client.get("/plan/change")).text
    assert "¥30,000.00 / 1个月" in page and "¥25,000.00" not in page


# --- the migration and the command line ------------------------------------------------------------------------


async def test_the_migration_seeds_version_1_and_the_command_line_adds_a_version_with_its_audit_row(tmp_path):
    """`partner-console migrate` makes version 1 (SPEC.md §2's prices since the beginning); `catalog add` the same
    rules as the screen (a past effective time is one line on stderr), recorded under the built-in operator."""
    from tests.unit.test_cli import assert_one_line_error, cli
    from tests.unit.test_migrations import migrate

    url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    migrate(url)
    shown = cli(url, "catalog", "show", CONSOLE_NOW="2024-01-01T10:30:00+08:00")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == (
        "version 1 (current): standard ¥8,500.00/month, premium ¥25,000.00/month, pack ¥2,000.00, "
        "yearly discount 0%, since the beginning\n"
    )
    past = cli(url, "catalog", "add", "--standard", "8500", "--premium", "30000", "--pack", "2000",
               "--effective", "2024-01-01T09:00", CONSOLE_NOW="2024-01-01T10:30:00+08:00")  # fmt: skip
    assert_one_line_error(past, "2024/01/01 10:30:00")  # the effective time may not be earlier than now
    added = cli(url, "catalog", "add", "--standard", "8500", "--premium", "30000", "--pack", "2000",
                "--discount", "5", "--effective", "2024-02-01T00:00", CONSOLE_NOW="2024-01-01T10:30:00+08:00")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("version 2: standard ¥8,500.00/month, premium ¥30,000.00/month")
    assert "yearly discount 5%, from 2024/02/01 00:00:00" in added.stdout
    with sqlite3.connect(tmp_path / "migrated.sqlite3") as conn:
        assert conn.execute("SELECT id, premium_monthly_fen FROM catalog_version ORDER BY id").fetchall() == [
            (1, 2_500_000),
            (2, 3_000_000),
        ]
        ((action, detail),) = conn.execute("SELECT action, detail FROM audit_entry").fetchall()
        assert action == "catalog_version" and detail.startswith("版本 2：")
