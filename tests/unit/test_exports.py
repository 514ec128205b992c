"""The CSV exports (issue 13): the filtered order list (all pages) and the balance ledger — UTF-8 with a BOM, the
header in the page's language, ISO 8601 times in Beijing time, signed decimal yuan — and their sums agree with
the ledger."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

from models.db import write_transaction
from models.enums import LedgerKind, OrderKind
from models.i18n import translations
from models.services import accounts, ledger, orders
from models.services.accounts import account_by_login
from tests.helpers.http import sign_in
from tests.helpers.orders import premium_renewed_downgraded
from tests.helpers.times import START

BUYER = "partner-b-buyer"


def rows_of(response) -> list[list[str]]:
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM, so Excel reads UTF-8
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


async def test_the_ledger_export_sums_to_the_balance_change(client, demo, clock):
    initial = (await account_by_login(BUYER)).balance_fen
    [top_up] = await ledger.entries((await account_by_login(BUYER)).id)  # the demo's top-up
    assert top_up.kind == LedgerKind.TOP_UP and top_up.balance_after_fen == initial
    made = await premium_renewed_downgraded(BUYER, clock)
    final = (await account_by_login(BUYER)).balance_fen
    await sign_in(client, BUYER)
    response = await client.get("/balance/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="ledger-20240106.csv"'
    header, *rows = rows_of(response)
    assert header == ["时间", "类型", "订单号", "金额", "余额"]
    # the downgrade refunds each period it shortens (the bought one and the renewal) on its own row
    assert [r[2] for r in rows] == ["", made["purchase"], made["renewal"], made["downgrade"], made["downgrade"]]
    assert rows[1][0] == "2024-01-01T10:30:00+08:00" and rows[2][0] == "2024-01-03T10:30:00+08:00"
    assert [r[1] for r in rows] == ["充值", "扣费", "扣费", "退款", "退款"]
    assert all(len(r[3].split(".")[1]) == 2 and len(r[4].split(".")[1]) == 2 for r in rows)
    assert Decimal(rows[0][3]) == Decimal(initial) / 100 and Decimal(rows[0][4]) == Decimal(initial) / 100
    moves = rows[1:]  # purchase, renewal, downgrade (two refunds)
    amounts = [Decimal(r[3]) for r in moves]
    assert amounts[0] < 0 and amounts[1] < 0 and amounts[2] > 0 and amounts[3] > 0
    assert moves[0][3] == "-" + f"{Decimal(-int(amounts[0] * 100)) / 100:.2f}".lstrip("-")
    assert sum(amounts) == Decimal(final - initial) / 100
    # each row's balance follows from the one before
    balance = Decimal(initial) / 100
    for row in moves:
        balance += Decimal(row[3])
        assert Decimal(row[4]) == balance
    assert Decimal(moves[-1][4]) == Decimal(final) / 100


async def test_the_orders_export_sums_to_the_ledger_of_its_orders(client, demo, clock):
    made = await premium_renewed_downgraded(BUYER, clock)
    buyer = await account_by_login(BUYER)
    await sign_in(client, BUYER)
    response = await client.get("/orders/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="orders-20240106.csv"'
    header, *rows = rows_of(response)
    assert header == ["订单号", "类型", "产品规格", "金额", "状态", "支付方式", "创建时间", "支付/退款时间"]
    by_id = {r[0]: r for r in rows}
    assert set(by_id) == set(made.values())
    assert by_id[made["downgrade"]][1] == "降级" and Decimal(by_id[made["downgrade"]][3]) < 0
    assert by_id[made["purchase"]][2] == "尊享级（1个月）" and by_id[made["purchase"]][4] == "已支付"
    assert by_id[made["purchase"]][6] == "2024-01-01T10:30:00+08:00" == by_id[made["purchase"]][7]
    entries = await ledger.entries(buyer.id, 1000)
    ledger_sum = sum(e.amount_fen for e in entries if e.order_id in made.values())
    # the ledger's sign is the balance's: a charge is money out; the order export's is the order's
    assert sum(Decimal(r[3]) for r in rows) == -Decimal(ledger_sum) / 100


async def test_the_orders_export_takes_the_filters_and_every_page(client, demo, clock):
    await accounts.create_partner("fin-user", "demo-pass-2026", "财务测试有限公司", START, phone="13700000001")
    account = await account_by_login("fin-user")
    async with write_transaction():
        for i in range(45):
            await orders.create_order(
                account=account, kind=OrderKind.PACK, now=START + timedelta(hours=i), list_fen=100_001, pack_count=1
            )
        await orders.create_order(
            account=account, kind=OrderKind.PURCHASE, now=START, list_fen=5, level="basic", months=1
        )
    await sign_in(client, "fin-user")
    _header, *rows = rows_of(await client.get("/orders/export.csv?kind=pack"))
    assert len(rows) == 45 and {r[1] for r in rows} == {"工单增购包"} and {r[3] for r in rows} == {"1000.01"}
    assert rows[0][6] > rows[-1][6]  # newest first, as the list
    assert rows[0][7] == "" and rows[0][4] == "待支付"
    bad = await client.get("/orders/export.csv?from=nope")
    assert bad.status_code == 400 and "起始日期无效" in bad.text


async def test_the_english_header_with_lang_en(client, demo, clock):
    await ledger_top_up()
    await sign_in(client, BUYER)
    client.cookies.set("lang", "en")
    header, *rows = rows_of(await client.get("/balance/export.csv"))
    assert header == ["Time", "Type", "Order ID", "Amount", "Balance"]
    assert rows[-1][1] == "Top-up" or rows[-1][1] == translations("en").gettext("充值")
    assert rows[-1][3] == "500.00"
    header, *_rows = rows_of(await client.get("/orders/export.csv"))
    assert header[:7] == ["Order ID", "Type", "Level", "Amount", "Status", "Payment method", "Created at"]
    assert header[7] == translations("en").gettext("支付/退款时间")  # English once the catalogs have it


async def ledger_top_up() -> None:
    account = await account_by_login(BUYER)
    async with write_transaction():
        await ledger.credit(account.id, 50_000, START, kind=LedgerKind.TOP_UP, note="bank transfer")
