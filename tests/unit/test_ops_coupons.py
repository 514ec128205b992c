"""优惠券 in the operator console (SPEC.md §15): grant a 代金券 or 折扣券 to an account, list them, 作废 an unused one.
The service (models.services.coupons) and the screen (/ops/coupons): one audit row per grant or revoke, a grant
form sent twice grants once, a used coupon cannot be revoked (409), a revoked coupon is never offered nor accepted
at payment, bad input is a 4xx with the message next to its field, a partner session gets 404."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from models.enums import AuditAction, CouponKind, CouponState
from models.services import coupons, payments, purchase
from models.services.accounts import account_by_login
from models.services.coupons import GrantRequest
from models.services.errors import Conflict, DomainError
from models.services.operators import find_operator
from models.tables import AuditEntry, Coupon, LedgerEntry
from tests.helpers.http import csrf_token, sign_in
from tests.helpers.ops import make_operator, ops_post, sign_in_operator

BUYER = "partner-b-buyer"


@pytest.fixture
async def operator(demo, clock):
    return await find_operator(await make_operator(clock.now()))


async def audit_rows(action: AuditAction) -> list[dict]:
    return await AuditEntry.select().where(AuditEntry.action == action).order_by(AuditEntry.id)


def voucher(amount="100", minimum="", expires="", key=None, login=BUYER) -> GrantRequest:
    return GrantRequest(login=login, kind="voucher", amount=amount, minimum=minimum, expires=expires, request_key=key)


# --- the service ---


async def test_grant_writes_the_coupon_and_one_audit_row(operator, clock):
    entries = await LedgerEntry.count()
    granted = await coupons.grant_by(operator, voucher("100", "500", "2099-12-31"), clock.now())
    assert granted.created and granted.login == BUYER
    coupon = granted.coupon
    assert coupon.kind == CouponKind.VOUCHER and coupon.amount_fen == 10_000 and coupon.min_amount_fen == 50_000
    assert coupon.expires_at is not None and coupon.expires_at.isoformat().startswith("2099-12-31T15:59:59")
    [row] = await audit_rows(AuditAction.GRANT_COUPON)
    buyer = await account_by_login(BUYER)
    assert row["operator"] == operator.id and row["account"] == buyer.id
    assert f"优惠券 #{coupon.id}" in row["detail"] and "¥100.00" in row["detail"]
    assert await LedgerEntry.count() == entries  # a coupon moves no money


async def test_a_discount_coupon_is_a_rate_below_one(operator, clock):
    wanted = GrantRequest(login=BUYER, kind="discount", rate="0.85")
    granted = await coupons.grant_by(operator, wanted, clock.now())
    assert granted.coupon.kind == CouponKind.DISCOUNT and granted.coupon.rate_permille == 850
    for rate in ["1", "0", "1.5", "-0.1", "0.9999", "abc", "NaN", ""]:
        with pytest.raises(DomainError) as refused:
            await coupons.grant_by(operator, GrantRequest(login=BUYER, kind="discount", rate=rate), clock.now())
        assert refused.value.field == "rate"
    assert await Coupon.count() == 1


async def test_the_same_grant_form_twice_grants_once(operator, clock):
    first = await coupons.grant_by(operator, voucher(key="form-1"), clock.now())
    again = await coupons.grant_by(operator, voucher(key="form-1"), clock.now())
    assert first.created and not again.created and again.coupon.id == first.coupon.id
    assert await Coupon.count() == 1 and len(await audit_rows(AuditAction.GRANT_COUPON)) == 1
    other = await coupons.grant_by(operator, voucher(key="form-2"), clock.now())
    assert other.coupon.id != first.coupon.id and await Coupon.count() == 2


@pytest.mark.parametrize(
    ("wanted", "field"),
    [
        (GrantRequest(login="", kind="voucher", amount="5"), "login"),
        (GrantRequest(login="nobody-here", kind="voucher", amount="5"), "login"),
        (GrantRequest(login=BUYER, kind="", amount="5"), "kind"),
        (GrantRequest(login=BUYER, kind="cash", amount="5"), "kind"),
        (GrantRequest(login=BUYER, kind="voucher", amount=""), "amount"),
        (GrantRequest(login=BUYER, kind="voucher", amount="-5"), "amount"),
        (GrantRequest(login=BUYER, kind="voucher", amount="1.234"), "amount"),
        (GrantRequest(login=BUYER, kind="voucher", amount="5", minimum="abc"), "minimum"),
        (GrantRequest(login=BUYER, kind="voucher", amount="5", expires="2024-02-30"), "expires"),
        (GrantRequest(login=BUYER, kind="voucher", amount="5", expires="2000-01-01"), "expires"),
        (GrantRequest(login=BUYER, kind="voucher", amount="5", expires="0001-01-01T00:00"), "expires"),
    ],
)
async def test_bad_grants_are_refused_on_their_field(operator, clock, wanted, field):
    with pytest.raises(DomainError) as refused:
        await coupons.grant_by(operator, wanted, clock.now())
    assert refused.value.field == field and refused.value.status_code == 400
    assert await Coupon.count() == 0 and await AuditEntry.count() == 0


async def test_the_list_filters_by_account_and_state(operator, clock):
    now = clock.now()
    unused = (await coupons.grant_by(operator, voucher("10"), now)).coupon
    expiring = (
        await coupons.grant_by(operator, voucher("20", expires=(now + timedelta(hours=1)).isoformat()), now)
    ).coupon
    revoked = (await coupons.grant_by(operator, voucher("30"), now)).coupon
    await coupons.revoke(operator, revoked.id, now)
    other = (await coupons.grant_by(operator, voucher("40", login="partner-a"), now)).coupon
    later = now + timedelta(hours=2)

    everything = await coupons.listing(later)
    assert [c.coupon.id for c in everything.coupons] == [other.id, revoked.id, expiring.id, unused.id]
    states = {c.coupon.id: c.state for c in everything.coupons}
    assert states == {
        unused.id: CouponState.UNUSED,
        expiring.id: CouponState.EXPIRED,
        revoked.id: CouponState.REVOKED,
        other.id: CouponState.UNUSED,
    }
    assert [c.coupon.id for c in (await coupons.listing(later, login=BUYER)).coupons] == [
        revoked.id,
        expiring.id,
        unused.id,
    ]
    for state in CouponState:
        listed = await coupons.listing(later, state=state)
        assert all(c.state == state for c in listed.coupons) and listed.total == list(states.values()).count(state)
    assert (await coupons.listing(later, login=BUYER, state=CouponState.UNUSED)).total == 1


async def test_revoke_writes_one_audit_row_and_a_second_changes_nothing(operator, clock):
    coupon = (await coupons.grant_by(operator, voucher(), clock.now())).coupon
    revoked = await coupons.revoke(operator, coupon.id, clock.now())
    again = await coupons.revoke(operator, coupon.id, clock.now())
    assert revoked.revoked_at == again.revoked_at == clock.now()
    [row] = await audit_rows(AuditAction.REVOKE_COUPON)
    assert row["account"] == coupon.account and f"优惠券 #{coupon.id}" in row["detail"]


async def pay_with(coupon_id: int | None, clock, login=BUYER) -> str:
    buyer = await account_by_login(login)
    order_id = await purchase.place(buyer, "standard", 1, None, clock.now())
    await payments.choose(buyer, order_id, "balance", coupon_id, clock.now())
    await payments.settle(order_id, clock.now(), payer_id=buyer.id)
    return order_id


async def test_a_used_coupon_cannot_be_revoked(operator, clock):
    coupon = (await coupons.grant_by(operator, voucher("100"), clock.now())).coupon
    order_id = await pay_with(coupon.id, clock)
    with pytest.raises(Conflict) as refused:
        await coupons.revoke(operator, coupon.id, clock.now())
    assert refused.value.status_code == 409 and refused.value.params == {"order": order_id}
    assert len(await audit_rows(AuditAction.REVOKE_COUPON)) == 0


async def test_a_coupon_chosen_by_a_waiting_order_cannot_be_revoked(operator, clock):
    coupon = (await coupons.grant_by(operator, voucher("100"), clock.now())).coupon
    buyer = await account_by_login(BUYER)
    order_id = await purchase.place(buyer, "standard", 1, None, clock.now())
    await payments.choose(buyer, order_id, "contract", coupon.id, clock.now())
    with pytest.raises(Conflict) as refused:
        await coupons.revoke(operator, coupon.id, clock.now())
    assert refused.value.params == {"order": order_id}


async def test_a_revoked_coupon_is_never_offered_nor_accepted_at_payment(operator, clock):
    coupon = (await coupons.grant_by(operator, voucher("100"), clock.now())).coupon
    buyer = await account_by_login(BUYER)
    assert [c.id for c in await coupons.usable(buyer.id, Decimal("8500"), clock.now())] == [coupon.id]
    await coupons.revoke(operator, coupon.id, clock.now())
    assert await coupons.usable(buyer.id, Decimal("8500"), clock.now()) == []
    order_id = await purchase.place(buyer, "standard", 1, None, clock.now())
    with pytest.raises(DomainError) as refused:
        await payments.choose(buyer, order_id, "balance", coupon.id, clock.now())
    assert refused.value.field == "coupon"
    # and at the last step too: a coupon revoked by hand after it was chosen is not spent
    with pytest.raises(DomainError) as spent:
        await coupons.mark_used(coupon.id, order_id)
    assert spent.value.message == coupons.REVOKED
    assert (await coupons.get_coupon(coupon.id)).used_order_id is None


# --- the screen ---


async def ops_client(client, clock):
    await make_operator(clock.now())
    await sign_in_operator(client)
    return client


async def test_the_screen_grants_lists_and_revokes(client, demo, clock):
    await ops_client(client, clock)
    listed = await client.get("/ops/coupons")
    assert listed.status_code == 200 and "no-store" in listed.headers["cache-control"]
    assert 'aria-current="page"' in listed.text and "发放优惠券" in listed.text
    form = {"login": BUYER, "kind": "voucher", "amount": "200", "minimum": "1000", "rate": "", "expires": ""}
    granted = await ops_post(client, "/ops/coupons", {**form, "request_key": "k1"}, token_from="/ops/coupons")
    assert granted.status_code == 303, granted.text
    again = await ops_post(client, "/ops/coupons", {**form, "request_key": "k1"}, token_from="/ops/coupons")
    assert again.status_code == 303 and await Coupon.count() == 1
    shown = await client.get(granted.headers["location"])
    assert 'role="status"' in shown.text and BUYER in shown.text and "¥200.00" in shown.text
    [coupon] = await Coupon.select()
    filtered = await client.get(f"/ops/coupons?login={BUYER}&state=unused")
    assert f"/ops/coupons/{coupon['id']}/revoke" in filtered.text
    revoked = await ops_post(client, f"/ops/coupons/{coupon['id']}/revoke", {}, token_from="/ops/coupons")
    assert revoked.status_code == 303
    assert (await coupons.get_coupon(coupon["id"])).revoked_at is not None
    after = await client.get("/ops/coupons?state=revoked")
    assert "已作废" in after.text and f"/ops/coupons/{coupon['id']}/revoke" not in after.text
    assert len(await audit_rows(AuditAction.GRANT_COUPON)) == len(await audit_rows(AuditAction.REVOKE_COUPON)) == 1


async def test_the_screen_says_what_is_wrong_next_to_the_field(client, demo, clock):
    await ops_client(client, clock)
    form = {"login": "nobody-here", "kind": "voucher", "amount": "abc", "request_key": "k2"}
    refused = await ops_post(client, "/ops/coupons", form, token_from="/ops/coupons")
    assert refused.status_code == 400
    assert 'class="error-summary"' in refused.text and 'href="#login"' in refused.text
    assert 'aria-invalid="true"' in refused.text and 'value="nobody-here"' in refused.text
    bad_rate = await ops_post(
        client, "/ops/coupons", {"login": BUYER, "kind": "discount", "rate": "1.2"}, token_from="/ops/coupons"
    )
    assert bad_rate.status_code == 400 and 'href="#rate"' in bad_rate.text
    bad_state = await client.get("/ops/coupons?state=lost")
    assert bad_state.status_code == 400 and 'href="#state"' in bad_state.text
    assert await Coupon.count() == 0


async def test_revoking_a_used_coupon_is_a_409_page(client, demo, clock):
    operator = await find_operator(await make_operator(clock.now()))
    coupon = (await coupons.grant_by(operator, voucher("100"), clock.now())).coupon
    order_id = await pay_with(coupon.id, clock)
    await sign_in_operator(client)
    refused = await ops_post(client, f"/ops/coupons/{coupon.id}/revoke", {}, token_from="/ops/coupons")
    assert refused.status_code == 409 and order_id in refused.text and 'role="alert"' in refused.text
    missing = await ops_post(client, "/ops/coupons/999999/revoke", {}, token_from="/ops/coupons")
    assert missing.status_code == 404


async def test_a_partner_session_gets_404_and_a_post_without_csrf_is_refused(client, demo, clock):
    await sign_in(client, BUYER)
    assert (await client.get("/ops/coupons")).status_code == 404
    token = await csrf_token(client, "/plan")
    posted = await client.post(
        "/ops/coupons", data={"login": BUYER, "kind": "voucher", "amount": "5", "_csrf_token": token}
    )
    assert posted.status_code == 404 and await Coupon.count() == 0
    client.cookies.clear()
    await ops_client(client, clock)
    no_token = await client.post("/ops/coupons", data={"login": BUYER, "kind": "voucher", "amount": "5"})
    assert no_token.status_code == 403 and await Coupon.count() == 0


async def test_the_command_line_grants_through_the_same_service(db, demo, clock):
    from tests.unit.test_cli import cli

    granted = cli(db, "coupon", "grant", BUYER, "--voucher", "50", "--minimum", "500", "--expires", "2099-01-31")
    assert granted.returncode == 0 and f"to {BUYER}" in granted.stdout, granted.stderr
    past = cli(db, "coupon", "grant", BUYER, "--discount", "0.9", "--expires", "2000-01-01")
    assert past.returncode == 2 and past.stderr.count("\n") == 1
    [coupon] = await Coupon.select()
    assert coupon["amount_fen"] == 5_000 and coupon["min_amount_fen"] == 50_000
    [row] = await audit_rows(AuditAction.GRANT_COUPON)
    assert f"优惠券 #{coupon['id']}" in row["detail"]
    assert await find_operator(row["operator"]) is None  # the built-in `cli` operator cannot sign in
    named = cli(db, "coupon", "grant", BUYER, "--voucher", "5", "--operator", "nobody-here")
    assert named.returncode == 2 and "nobody-here" in named.stderr and await Coupon.count() == 1
