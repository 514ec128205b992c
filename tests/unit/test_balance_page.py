"""余额与充值 (issue 12 §2): no operator command on a partner's page, how to top up in partner terms, the ledger with
each amount signed and stacked as labelled rows on phones."""

from __future__ import annotations

from models.enums import LedgerKind
from models.services import accounts, ledger
from models.services.accounts import account_by_login
from tests.helpers.http import sign_in
from tests.helpers.plans import buy_plan
from tests.helpers.times import START


async def test_the_balance_page_says_how_to_top_up_without_an_operator_command(client, demo):
    await sign_in(client, "partner-a")
    page = await client.get("/balance")
    assert page.status_code == 200
    assert "partner-console" not in page.text and "balance top-up" not in page.text
    assert "联系平台的运营人员" in page.text and "对公银行转账" in page.text and "（partner-a）" in page.text
    assert '<nav aria-label="面包屑">' in page.text and "<h1>余额与充值</h1>" in page.text
    assert "可用额度 <strong>¥100,000.00</strong>" in page.text


async def test_the_ledger_signs_each_amount_and_links_its_order(client, demo):
    account = await buy_plan("partner-a-ops", "standard", 1, START)  # -¥8,500.00
    await ledger.credit(account.id, 50_000, START, kind=LedgerKind.TOP_UP, note="bank transfer")  # +¥500.00
    await sign_in(client, "partner-a-ops")
    page = (await client.get("/balance")).text
    assert '<table class="table stack"' in page and 'data-label="金额"' in page and 'data-label="余额"' in page
    assert ">+¥500.00</td>" in page and ">-¥8,500.00</td>" in page
    [order_id] = [e.order_id for e in await ledger.entries(account.id) if e.kind == LedgerKind.CHARGE]
    assert f'<a href="/orders/{order_id}">{order_id}</a>' in page
    assert "“+”为收入" in page


async def test_an_empty_ledger_says_so(client, demo):
    await accounts.create_partner("new-partner", "demo-pass-2026", "新伙伴有限公司", START, phone="13700000000")
    await sign_in(client, "new-partner")
    assert await ledger.entries((await account_by_login("new-partner")).id) == []
    page = (await client.get("/balance")).text
    assert "收支明细" in page and "暂无记录" in page and "<table" not in page
