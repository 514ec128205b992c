"""The operator's 合作伙伴, 余额充值 and 操作日志 screens (SPEC.md §15): each write is the CLI's service, one transaction
with exactly one audit row (and, for a top-up, exactly one ledger row); bad input is a 4xx with its message; a
double submit of a top-up credits once."""

from __future__ import annotations

import asyncio

import pytest

from models.enums import AuditAction, LedgerKind
from models.services import audit, ops_partners
from models.services.errors import DomainError
from models.tables import Account, AuditEntry, LedgerEntry, Partner
from tests.helpers.ops import make_operator, ops_post, sign_in_operator


@pytest.fixture
async def ops(client, demo, clock):
    await make_operator(clock.now())
    await sign_in_operator(client)
    return client


async def audit_rows(action: AuditAction | None = None) -> list[dict]:
    query = AuditEntry.select(AuditEntry.all_columns(), AuditEntry.operator.login.as_alias("who"))
    if action:
        query = query.where(AuditEntry.action == action)
    return await query.order_by(AuditEntry.id)  # in the order written (PostgreSQL keeps no order without one)


async def partner_id_of(login: str) -> int:
    return (await Account.select(Account.partner).where(Account.login == login).first())["partner"]


async def test_the_list_searches_by_login_and_company(ops):
    page = await ops.get("/ops/partners")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "partner-a" in page.text and "partner-b" in page.text
    assert 'aria-current="page">合作伙伴' in page.text
    by_company = await ops.get("/ops/partners", params={"q": "海川"})
    assert "partner-b" in by_company.text and "partner-a<" not in by_company.text
    assert "找到 1 个合作伙伴" in by_company.text
    by_member = await ops.get("/ops/partners", params={"q": "a-ops"})
    assert ">partner-a<" in by_member.text
    nothing = await ops.get("/ops/partners", params={"q": "不存在的公司"})
    assert "没有找到符合条件的合作伙伴" in nothing.text


async def test_a_partners_page_shows_members_plan_and_ledger(ops):
    pid = await partner_id_of("partner-b")
    page = await ops.get(f"/ops/partners/{pid}")
    assert page.status_code == 200
    for text in (
        "海川数据有限公司",
        "partner-b-buyer",
        "partner-b-other",
        "与主帐号不同",
        "基础级",
        "未认证",
        "收支明细",
    ):
        assert text in page.text, text
    assert (await ops.get("/ops/partners/999999")).status_code == 404


async def test_create_a_partner_and_a_member_each_with_one_audit_row(ops):
    created = await ops_post(
        ops,
        "/ops/partners/new",
        {"login": "new-main", "password": "new-pass-2026", "company": "新公司", "phone": "", "email": ""},
    )
    assert created.status_code == 303
    assert (await ops.get(created.headers["location"])).status_code == 200
    member = await ops_post(
        ops,
        "/ops/partners/new-member",
        {
            "partner": "new-main",
            "login": "new-member",
            "password": "new-pass-2026",
            "company": "新公司",
            "phone": "13700000000",
            "email": "m@new.example",
        },
    )
    assert member.status_code == 303
    assert member.headers["location"] == created.headers["location"]
    rows = await audit_rows()
    assert [(r["action"], r["who"]) for r in rows] == [
        (AuditAction.CREATE_PARTNER, "ops-test"),
        (AuditAction.CREATE_MEMBER, "ops-test"),
    ]
    main = await Account.select().where(Account.login == "new-main").first()
    assert main["is_main"] and rows[0]["account"] == main["id"]
    assert (await Account.select().where(Account.login == "new-member").first())["partner"] == main["partner"]


async def test_bad_create_input_is_a_4xx_with_the_message_next_to_the_field(ops):
    taken = await ops_post(
        ops, "/ops/partners/new", {"login": "partner-a", "password": "new-pass-2026", "company": "X"}
    )
    assert taken.status_code == 409 and "帐号 partner-a 已被占用" in taken.text and 'href="#login"' in taken.text
    short = await ops_post(ops, "/ops/partners/new", {"login": "okay-login", "password": "short", "company": "X"})
    assert short.status_code == 400 and "密码至少8个字符" in short.text and 'aria-invalid="true"' in short.text
    no_main = await ops_post(
        ops,
        "/ops/partners/new-member",
        {"partner": "nobody", "login": "m-1", "password": "new-pass-2026", "company": "X", "phone": "1", "email": "e"},
    )
    assert no_main.status_code == 404 and "主帐号 nobody 不存在" in no_main.text
    assert await AuditEntry.count() == 0
    assert not await Account.exists().where(Account.login.is_in(["okay-login", "m-1"]))


async def test_certify_and_uncertify_each_write_one_audit_row(ops):
    pid = await partner_id_of("partner-b")
    path = f"/ops/partners/{pid}/certification"
    done = await ops_post(ops, path, {"certified": "yes", "reason": "资质审核通过"}, token_from=f"/ops/partners/{pid}")
    assert done.status_code == 303
    assert (await Partner.select(Partner.certified).where(Partner.id == pid).first())["certified"] is True
    page = await ops.get(f"/ops/partners/{pid}")
    assert "已认证该合作伙伴" in page.text and ">取消认证</button>" in page.text
    again = await ops_post(ops, path, {"certified": "yes"}, token_from=f"/ops/partners/{pid}")
    assert again.status_code == 409 and "已是已认证状态" in again.text
    undone = await ops_post(ops, path, {"certified": "no", "reason": ""}, token_from=f"/ops/partners/{pid}")
    assert undone.status_code == 303
    assert (await Partner.select(Partner.certified).where(Partner.id == pid).first())["certified"] is False
    rows = await audit_rows()
    assert [(r["action"], r["reason"]) for r in rows] == [
        (AuditAction.CERTIFY, "资质审核通过"),
        (AuditAction.UNCERTIFY, ""),
    ]


async def test_a_top_up_credits_through_the_ledger_with_one_audit_row(ops):
    before = (await Account.select().where(Account.login == "partner-b").first())["balance_fen"]
    ledger_before = await LedgerEntry.count()
    response = await ops_post(
        ops,
        "/ops/top-ups",
        {"login": "partner-b", "amount": "1,234.56", "reason": "线下汇款到账", "request_key": "top-1"},
    )
    assert response.status_code == 200
    assert 'role="status"' in response.text and "充值成功" in response.text and "¥1,234.56" in response.text
    account = await Account.select().where(Account.login == "partner-b").first()
    assert account["balance_fen"] == before + 123456
    assert await LedgerEntry.count() == ledger_before + 1
    entry = await LedgerEntry.select().order_by(LedgerEntry.id, ascending=False).first()
    assert entry["kind"] == LedgerKind.TOP_UP and entry["amount_fen"] == 123456
    assert "ops-test" in entry["note"] and "线下汇款到账" in entry["note"]
    rows = await audit_rows(AuditAction.TOP_UP)
    assert len(rows) == 1 and rows[0]["account"] == account["id"] and rows[0]["reason"] == "线下汇款到账"


async def test_a_double_submitted_top_up_credits_once(ops):
    form = {"login": "partner-b", "amount": "100", "reason": "重复提交测试", "request_key": "same-key"}
    first = await ops_post(ops, "/ops/top-ups", form)
    second = await ops_post(ops, "/ops/top-ups", form)
    assert first.status_code == second.status_code == 200
    assert "此表单已提交过，未重复充值" in second.text
    assert len(await audit_rows(AuditAction.TOP_UP)) == 1
    notes = await LedgerEntry.select().where(LedgerEntry.note.like("%重复提交测试%"))
    assert len(notes) == 1


async def test_concurrent_top_ups_with_one_key_credit_once(demo, clock):
    operator_id = await make_operator(clock.now())
    from models.records import Operator

    operator = Operator(id=operator_id, login="ops-test")
    results = await asyncio.gather(
        *(
            ops_partners.top_up(
                operator, clock.now(), login="partner-a", amount="50", reason="并发", request_key="race"
            )
            for _ in range(4)
        )
    )
    assert sorted(r.repeated for r in results) == [False, True, True, True]
    assert len(await audit_rows(AuditAction.TOP_UP)) == 1
    assert await LedgerEntry.count().where(LedgerEntry.note.like("%并发%")) == 1


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"login": "partner-b", "amount": "0", "reason": "x"}, "充值金额"),
        ({"login": "partner-b", "amount": "-5", "reason": "x"}, "充值金额"),
        ({"login": "partner-b", "amount": "abc", "reason": "x"}, "充值金额无效"),
        ({"login": "partner-b", "amount": "1.234", "reason": "x"}, "充值金额无效"),
        ({"login": "partner-b", "amount": "99999999", "reason": "x"}, "单笔充值金额不能超过"),
        ({"login": "partner-b", "amount": "10", "reason": "  "}, "请填写原因"),
        ({"login": "partner-b", "amount": "10", "reason": "长" * 201}, "原因最多200个字符"),
        ({"login": "nobody-here", "amount": "10", "reason": "x"}, "帐号 nobody-here 不存在"),
        ({"login": "", "amount": "10", "reason": "x"}, "请输入帐号"),
    ],
)
async def test_bad_top_up_input_is_refused_and_nothing_moves(ops, form, message):
    ledger_before = await LedgerEntry.count()
    response = await ops_post(ops, "/ops/top-ups", form)
    assert 400 <= response.status_code < 500
    assert message in response.text and "存在问题" in response.text
    assert await LedgerEntry.count() == ledger_before
    assert await AuditEntry.count() == 0


async def test_a_top_up_without_csrf_token_is_refused(ops):
    response = await ops.post(
        "/ops/top-ups", data={"login": "partner-b", "amount": "10", "reason": "x"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert await AuditEntry.count() == 0


async def test_the_audit_log_lists_each_action_newest_first_and_filters(ops, clock):
    await ops_post(ops, "/ops/top-ups", {"login": "partner-b", "amount": "10", "reason": "第一笔", "request_key": "a1"})
    await ops_post(ops, "/ops/top-ups", {"login": "partner-a", "amount": "20", "reason": "第二笔", "request_key": "a2"})
    pid = await partner_id_of("partner-b")
    await ops_post(ops, f"/ops/partners/{pid}/certification", {"certified": "yes"}, token_from=f"/ops/partners/{pid}")
    page = await ops.get("/ops/audit")
    assert page.status_code == 200
    assert "共 3 条记录" in page.text
    assert page.text.index("认证") < page.text.index("第二笔") < page.text.index("第一笔")
    only_b = await ops.get("/ops/audit", params={"account": "partner-b", "action": "top_up"})
    assert "共 1 条记录" in only_b.text and "第一笔" in only_b.text and "第二笔" not in only_b.text
    today = clock.now().date().isoformat()
    dated = await ops.get("/ops/audit", params={"from": today, "to": today})
    assert "共 3 条记录" in dated.text
    bad = await ops.get("/ops/audit", params={"from": "2024-13-01", "action": "nope", "account": "ghost"})
    assert bad.status_code == 400
    for text in ("起始日期无效", "请选择列表中的操作", "帐号 ghost 不存在"):
        assert text in bad.text


async def test_audit_entries_page_by_50(db, clock):
    operator_id = await make_operator(clock.now())
    from models.records import Operator

    operator = Operator(id=operator_id, login="ops-test")
    for n in range(53):
        await audit.record(operator, AuditAction.CERTIFY, clock.now(), detail=f"n={n}")
    first = await audit.entries()
    second = await audit.entries(page=2)
    assert (len(first.entries), len(second.entries), first.pages) == (50, 3, 2)
    assert first.entries[0].detail == "n=52" and second.entries[-1].detail == "n=0"


async def test_check_amount_rules():
    assert ops_partners.check_amount("8500") == 850000
    assert ops_partners.check_amount("0.01") == 1
    assert ops_partners.check_amount("10000000") == 1_000_000_000
    for bad in ("", "0", "0.00", "10000000.01", "1e3", "NaN"):
        with pytest.raises(DomainError):
            ops_partners.check_amount(bad)


async def test_the_list_pages_by_20_keeping_the_search(ops, clock):
    from models.services.accounts import create_partner

    for n in range(22):
        await create_partner(f"paged-{n:02d}", "paged-pass-2026", f"分页公司{n:02d}", clock.now())
    first = await ops.get("/ops/partners", params={"q": "paged-"})
    assert "找到 22 个合作伙伴" in first.text
    assert "paged-21" in first.text and "paged-01<" not in first.text
    assert 'href="/ops/partners?q=paged-&amp;page=2"' in first.text
    second = await ops.get("/ops/partners", params={"q": "paged-", "page": "2"})
    assert "paged-01<" in second.text and "paged-00<" in second.text and "paged-21<" not in second.text
    assert (await ops.get("/ops/partners", params={"page": "x²"})).status_code == 200


async def test_an_operator_session_ends_after_its_age(ops, clock, settings):
    assert (await ops.get("/ops/partners")).status_code == 200
    clock.advance(seconds=settings.session_max_age + 1)
    response = await ops.get("/ops/partners", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/ops/login")
