"""A refund is paid only at the amount the confirmed page showed (SPEC.md §12; issue 11, item 8).

The story of the issue: a Premium plan just bought (¥25,000.00); the 退订 page shows a five-day full refund of
¥25,000.00; another tab downgrades (¥16,500.00 back); the 退订 page is then confirmed. It must refund nothing and
show the new amounts (¥7,650.00: ¥8,500.00 paid, 10% fee, nothing consumed yet) before anything is refunded.
The same for the downgrade page against an unsubscribe, a renewal, another downgrade; and the race of both.
"""

from __future__ import annotations

import asyncio
import html
import re

import httpx
import pytest

from models.services import changes, unsubscribe
from models.services.accounts import account_by_login
from models.tables import Account, Charge, LedgerEntry, Period, SupportOrder, Unsubscription
from tests.helpers.http import csrf_token, post_form, sign_in
from tests.helpers.plans import BUYER
from tests.helpers.queries import balance
from tests.helpers.unsubscribe import add_renewal, buy

PAGE = "/plan/unsubscribe"
DOWNGRADE = "/plan/change/downgrade/spec"
HIDDEN_RE = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')
REFUND_RE = re.compile(r"<dt>退费金额</dt><dd>¥([\d,]+\.\d\d)")
START_BALANCE = 10_000_000
PREMIUM_FEN = 2_500_000
DOWNGRADE_FEN = 1_650_000  # 25,000 × 1 − 8,500 × 1 in the hour of the purchase
AFTER_DOWNGRADE_FEN = 765_000  # 8,500 paid, nothing consumed, 10% fee


def hidden(page_text: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in HIDDEN_RE.findall(page_text) if name not in ("_csrf_token",)}


def text_of(page_text: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page_text)))


def cells(page_text: str) -> list[str]:
    return [text_of(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", page_text, re.S)]


def fen_of(yuan: str) -> int:
    whole, cents = yuan.replace(",", "").split(".")
    return int(whole) * 100 + int(cents)


async def unsubscribe_form(client) -> dict[str, str]:
    page = await client.get(PAGE)
    assert page.status_code == 200, page.text
    return {**hidden(page.text), "reason": "test_done", "confirm": "yes"}


async def downgrade_form(client) -> tuple[dict[str, str], int]:
    """A downgrade spec page as a tab shows it: its form's fields and the refund it shows, in fen."""
    page = await client.get(DOWNGRADE)
    assert page.status_code == 200, page.text
    return {**hidden(page.text), "agree": "yes"}, fen_of(REFUND_RE.search(page.text).group(1))


async def post(client, path: str, fields: dict[str, str]):
    return await post_form(client, path, fields, token_from="/plan")


async def refunds() -> list[tuple[int, str]]:
    rows = await LedgerEntry.select().where(LedgerEntry.kind == "refund").order_by(LedgerEntry.id)
    return [(r["amount_fen"], r["note"]) for r in rows]


async def assert_ledger_holds() -> None:
    """Balance = the sum of the ledger, for every account; every paid order of the buyer's company has charges, as
    much as the cash it moved (debits in, downgrade refunds out; no coupon here); an unsubscription: refund + fee +
    consumed = paid = its periods' charges, and the refund credited."""
    for account in await Account.select(Account.id, Account.balance_fen):
        entries = await LedgerEntry.select(LedgerEntry.amount_fen).where(LedgerEntry.account == account["id"])
        assert account["balance_fen"] == sum(e["amount_fen"] for e in entries), account
    buyer = await account_by_login(BUYER)
    for order in await SupportOrder.select().where(
        SupportOrder.status.is_in(["paid", "refunded"]) & (SupportOrder.partner == buyer.partner)
    ):
        charges = await Charge.select(Charge.amount_fen).where(Charge.order_id == order["id"])
        moved = await LedgerEntry.select(LedgerEntry.amount_fen).where(
            (LedgerEntry.order_id == order["id"]) & (LedgerEntry.note != "unsubscribe")
        )
        assert charges, order  # every paid order has its charges…
        assert sum(c["amount_fen"] for c in charges) == -sum(m["amount_fen"] for m in moved), order  # …its cash
    for done in await Unsubscription.select().where(Unsubscription.plan.partner == buyer.partner):
        assert done["paid_fen"] == done["consumed_fen"] + done["fee_fen"] + done["refund_fen"]
        periods = await Period.select(Period.id).where((Period.plan == done["plan"]) & (Period.status == "refunded"))
        charges = await Charge.select(Charge.amount_fen).where(Charge.period.is_in([p["id"] for p in periods]))
        assert done["paid_fen"] == sum(c["amount_fen"] for c in charges)
        credited = await LedgerEntry.select(LedgerEntry.amount_fen).where(
            (LedgerEntry.note == "unsubscribe") & (LedgerEntry.created_at == done["created_at"])
        )
        assert sum(c["amount_fen"] for c in credited) == done["refund_fen"]


# --- the unsubscribe page ------------------------------------------------------------------------------------------


async def test_an_unsubscribe_shown_before_a_downgrade_refunds_nothing_and_shows_the_new_amounts(client, demo, clock):
    await buy(BUYER, clock.now(), level="premium")
    await sign_in(client, BUYER)
    shown = await unsubscribe_form(client)
    assert shown["refund_fen"] == str(PREMIUM_FEN) and len(shown["amounts"]) == 32
    other_tab, _ = await downgrade_form(client)
    assert (await post(client, DOWNGRADE, other_tab)).status_code == 303
    before = await balance(BUYER)

    stale = await post(client, PAGE, shown)
    assert stale.status_code == 409
    assert 'role="alert"' in stale.text and "退订金额已重新计算" in stale.text
    assert "自此页面显示以来，支持计划已发生变化" in stale.text and "未做任何退订" in stale.text
    assert cells(stale.text)[5:8] == ["0.00", "850.00", "7,650.00"]
    assert "<dt>退还余额</dt><dd>¥7,650.00</dd>" in stale.text
    assert "您本次退订属于非5天无理由退订" in text_of(stale.text)
    assert 'name="confirm" value="yes" checked' not in stale.text  # the new amounts are confirmed afresh
    assert 'value="test_done" checked' in stale.text
    assert await balance(BUYER) == before and await Unsubscription.count() == 0
    assert await refunds() == [(DOWNGRADE_FEN, "downgrade")]

    fresh = {**hidden(stale.text), "reason": "test_done", "confirm": "yes"}
    assert fresh["refund_fen"] == str(AFTER_DOWNGRADE_FEN)
    done = await post(client, PAGE, fresh)
    assert done.status_code == 303, done.text
    assert await balance(BUYER) == before + AFTER_DOWNGRADE_FEN
    assert await refunds() == [(DOWNGRADE_FEN, "downgrade"), (AFTER_DOWNGRADE_FEN, "unsubscribe")]
    await assert_ledger_holds()


@pytest.mark.parametrize("periods", [None, "99999999999999999999", "²"])  # the replay key is not an amount
async def test_confirmed_with_the_shown_amounts_refunds_exactly_them(client, demo, clock, periods):
    await buy(BUYER, clock.now(), level="premium")
    clock.advance(hours=3)
    await sign_in(client, BUYER)
    shown = await unsubscribe_form(client)
    before = await balance(BUYER)
    done = await post(client, PAGE, {**shown, "periods": periods or shown["periods"]})
    assert done.status_code == 303
    stored = await Unsubscription.select().first()
    assert stored["refund_fen"] == int(shown["refund_fen"]) == PREMIUM_FEN  # five-day: all of it
    assert await balance(BUYER) == before + int(shown["refund_fen"])
    await assert_ledger_holds()


@pytest.mark.parametrize(
    "change",
    [
        {"refund_fen": None, "amounts": None},  # a page from before the amounts were carried
        {"amounts": None},
        {"refund_fen": None},
        {"refund_fen": "2500001"},  # hand-made
        {"refund_fen": "765000"},
        {"amounts": "0" * 32},
        {"refund_fen": "²⁵⁰⁰⁰⁰⁰"},  # Unicode digits that isdigit() accepts
        {"amounts": "x" * 5000},
        {"refund_fen": "9" * 40},
        {"computed_at": "0001-01-01T00:00:00+14:00"},  # beyond Beijing time's range
    ],
)
async def test_a_form_without_its_amounts_is_refused_with_the_fresh_page(client, demo, clock, change):
    await buy(BUYER, clock.now(), level="premium")
    await sign_in(client, BUYER)
    shown = await unsubscribe_form(client)
    fields = {k: v for k, v in {**shown, **change}.items() if v is not None}
    before = await balance(BUYER)
    refused = await post(client, PAGE, fields)
    assert refused.status_code == 409, refused.text
    assert 'role="alert"' in refused.text and "未做任何退订" in refused.text
    if "refund_fen" not in fields or "amounts" not in fields:
        assert "没有带回它显示的退订金额" in refused.text
    assert await balance(BUYER) == before and await Unsubscription.count() == 0
    again = await post(client, PAGE, {**hidden(refused.text), "reason": "test_done", "confirm": "yes"})
    assert again.status_code == 303 and await balance(BUYER) == before + PREMIUM_FEN


async def test_the_service_refuses_stale_amounts_inside_the_refunding_transaction(demo, clock):
    await buy(BUYER, clock.now(), level="premium")
    account = await account_by_login(BUYER)
    seen = await unsubscribe.quote(account, clock.now(), 10)
    quoted = await changes.quote(account, changes.DOWNGRADE, clock.now())
    await changes.downgrade(account, quoted.quote_id, "dg", clock.now())
    before = await balance(BUYER)

    async def submit(shown: unsubscribe.Shown | None) -> unsubscribe.Outcome:
        return await unsubscribe.submit(
            account,
            reason="test_done",
            comment="",
            confirmed=True,
            period_key=seen.period_key,
            computed_at=seen.computed_at,
            shown=shown,
            now=clock.now(),
            quota=10,
        )

    for shown, why in [(seen.shown, "plan_changed"), (None, "missing")]:
        with pytest.raises(unsubscribe.QuoteStale) as raised:
            await submit(shown)
        assert raised.value.status_code == 409 and raised.value.why == why and raised.value.changed
        assert raised.value.fresh.shown.refund_fen == AFTER_DOWNGRADE_FEN and not raised.value.fresh.five_day
    assert await balance(BUYER) == before and await Unsubscription.count() == 0
    fresh = raised.value.fresh
    await submit(fresh.shown)
    assert await balance(BUYER) == before + fresh.shown.refund_fen
    await assert_ledger_holds()


# --- the downgrade page --------------------------------------------------------------------------------------------


async def test_a_downgrade_after_an_unsubscribe_is_a_409_page_and_refunds_nothing(client, demo, clock):
    await buy(BUYER, clock.now(), level="premium")
    await sign_in(client, BUYER)
    tab, shown_fen = await downgrade_form(client)
    assert shown_fen == DOWNGRADE_FEN
    assert (await post(client, PAGE, await unsubscribe_form(client))).status_code == 303
    after = await balance(BUYER)
    for fields in (tab, {**tab, "agree": ""}):  # confirmed, or sent without the agreement ticked
        refused = await post(client, DOWNGRADE, fields)
        assert refused.status_code == 409, refused.text
        assert 'role="alert"' in refused.text and "<title>错误：" in refused.text
        assert "该支持计划在此页面显示后已发生变化" in refused.text and "也没有退费" in refused.text
        assert "本次降级未执行。" in refused.text and "<dt>当前规格</dt><dd>基础级</dd>" in refused.text
    assert await balance(BUYER) == after
    assert await SupportOrder.count().where(SupportOrder.kind == "downgrade") == 0
    assert await refunds() == [(PREMIUM_FEN, "unsubscribe")]
    await assert_ledger_holds()


async def test_a_second_tab_s_downgrade_is_a_409_page(client, demo, clock):
    await buy(BUYER, clock.now(), level="premium")
    await sign_in(client, BUYER)
    (first, _), (second, _) = await downgrade_form(client), await downgrade_form(client)
    assert first["request_key"] != second["request_key"] and first["quote_id"] != second["quote_id"]
    assert (await post(client, DOWNGRADE, first)).status_code == 303
    assert (await post(client, DOWNGRADE, first)).status_code == 303  # the same form twice: its result
    refused = await post(client, DOWNGRADE, second)
    assert refused.status_code == 409 and "本次降级已不适用" in refused.text
    assert "<dt>当前规格</dt><dd>标准级</dd>" in refused.text
    assert await refunds() == [(DOWNGRADE_FEN, "downgrade")]
    await assert_ledger_holds()


async def test_a_downgrade_quote_overtaken_by_a_renewal_is_shown_again_before_refunding(client, demo, clock):
    await buy(BUYER, clock.now(), level="premium")
    await sign_in(client, BUYER)
    tab, _ = await downgrade_form(client)
    await add_renewal(BUYER, clock.now(), amount_fen=PREMIUM_FEN)  # another tab renewed, within the 15 minutes
    before = await balance(BUYER)
    changed = await post(client, DOWNGRADE, tab)
    assert changed.status_code == 409
    assert "支持计划在报价后已发生变化，退费金额已重新计算：原为 ¥16,500.00，现为 ¥33,000.00" in changed.text
    assert 'role="alert"' in changed.text
    assert await balance(BUYER) == before and await SupportOrder.count().where(SupportOrder.kind == "downgrade") == 0
    again = {**hidden(changed.text), "agree": "yes"}
    assert again["quote_id"] != tab["quote_id"] and fen_of(REFUND_RE.search(changed.text).group(1)) == 3_300_000
    done = await post(client, DOWNGRADE, again)
    assert done.status_code == 303
    assert await balance(BUYER) == before + 3_300_000
    await assert_ledger_holds()


async def test_a_downgrade_form_without_its_quote_is_refused_with_the_amount_now(client, demo, clock):
    await buy(BUYER, clock.now(), level="premium")
    await sign_in(client, BUYER)
    tab, _ = await downgrade_form(client)
    for quote_id in (None, "", "999999", "1" * 30):
        fields = {k: v for k, v in {**tab, "quote_id": quote_id}.items() if v is not None}
        refused = await post(client, DOWNGRADE, fields)
        assert refused.status_code == 409, (quote_id, refused.text)
        assert "报价已失效" in refused.text and fen_of(REFUND_RE.search(refused.text).group(1)) == DOWNGRADE_FEN
    assert await refunds() == [] and await balance(BUYER) == START_BALANCE - PREMIUM_FEN


# --- the race ----------------------------------------------------------------------------------------------------


@pytest.fixture
def sender(request, client, racer):
    """The `client` fixture (it answers gathered requests one after another) or `racer` (it runs them at once)."""
    return {"client": client, "racer": racer}[request.param]


@pytest.mark.parametrize("sender", ["client", "racer"], indirect=True)
@pytest.mark.parametrize("first", ["unsubscribe", "downgrade"])
async def test_downgrade_and_unsubscribe_of_one_period_raced(sender, demo, clock, first):
    """60 confirmations gathered from 1 unsubscribe page and 5 downgrade tabs (each sent several times)."""
    client = sender
    await buy(BUYER, clock.now(), level="premium")
    await sign_in(client, BUYER)
    unsub = await unsubscribe_form(client)
    tabs = [await downgrade_form(client) for _ in range(5)]
    assert {fen for _, fen in tabs} == {DOWNGRADE_FEN}
    token = await csrf_token(client, PAGE)
    sent: list[tuple[str, dict[str, str]]] = []
    for i in range(30):
        pair = [("unsubscribe", unsub), ("downgrade", tabs[i % len(tabs)][0])]
        sent.extend(pair if first == "unsubscribe" else pair[::-1])

    async def confirm(kind: str, fields: dict[str, str]) -> httpx.Response:
        path = PAGE if kind == "unsubscribe" else DOWNGRADE
        return await client.post(path, data={**fields, "_csrf_token": token}, follow_redirects=False)

    answers = await asyncio.gather(*(confirm(kind, fields) for kind, fields in sent))
    statuses = [a.status_code for a in answers]
    assert all(s < 500 for s in statuses), [
        (k, a.status_code, a.text[:300]) for (k, _), a in zip(sent, answers, strict=True)
    ]
    assert set(statuses) <= {303, 409}

    done_unsub = await Unsubscription.count()
    done_down = await SupportOrder.count().where(SupportOrder.kind == "downgrade")
    assert (done_unsub, done_down) in [(1, 0), (0, 1)]  # whichever came first; the other was refused
    by_kind: dict[str, list] = {"unsubscribe": [], "downgrade": []}
    for (kind, fields), answer in zip(sent, answers, strict=True):
        by_kind[kind].append((fields, answer))
    if done_unsub:
        assert await refunds() == [(int(unsub["refund_fen"]), "unsubscribe")]
        # One sending did it; the others, replayed, are told the plan was unsubscribed and linked to that result.
        (done,) = [a.headers["location"] for _, a in by_kind["unsubscribe"] if a.status_code == 303]
        for _, answer in by_kind["unsubscribe"]:
            assert answer.status_code == 303 or ("该支持计划已退订" in answer.text and f'href="{done}"' in answer.text)
        for _, answer in by_kind["downgrade"]:
            assert answer.status_code == 409 and "本次降级已不适用" in answer.text
    else:
        (winner,) = {fields["request_key"] for fields, answer in by_kind["downgrade"] if answer.status_code == 303}
        (shown_fen,) = {fen for fields, fen in tabs if fields["request_key"] == winner}
        assert await refunds() == [(shown_fen, "downgrade")]  # one tab's form won; sent again it shows its result
        for fields, answer in by_kind["downgrade"]:
            assert (answer.status_code == 303) == (fields["request_key"] == winner)
        for _, answer in by_kind["unsubscribe"]:
            assert answer.status_code == 409 and "¥7,650.00" in answer.text and "未做任何退订" in answer.text
    await assert_ledger_holds()
    assert await balance(BUYER) == START_BALANCE - PREMIUM_FEN + sum(fen for fen, _ in await refunds())

    # Then what the rules still allow, at the amount its page shows: an unsubscribe of the downgraded plan.
    if done_down:
        again = await unsubscribe_form(client)
        assert again["refund_fen"] == str(AFTER_DOWNGRADE_FEN)
        assert (await post(client, PAGE, again)).status_code == 303
        assert await refunds() == [(DOWNGRADE_FEN, "downgrade"), (AFTER_DOWNGRADE_FEN, "unsubscribe")]
        await assert_ledger_holds()
    assert (await client.get(PAGE)).status_code == 409  # nothing left to refund
