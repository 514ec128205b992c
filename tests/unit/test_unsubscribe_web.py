"""退订管理 through HTTP: the screen of guide 图 6-2, the refund, refusals, the rules and result pages."""

from __future__ import annotations

import html
import re
from decimal import Decimal

from models.services import coupons
from models.services.accounts import account_by_login
from models.tables import Coupon, LedgerEntry, SupportOrder, Unsubscription
from tests.helpers.http import post_form, sign_in
from tests.helpers.plans import BUYER
from tests.helpers.queries import balance
from tests.helpers.times import bj
from tests.helpers.unsubscribe import add_renewal, buy

D = Decimal

PAGE = "/plan/unsubscribe"
HIDDEN_RE = re.compile(r'<input type="hidden" name="(periods|computed_at|refund_fen|amounts)" value="([^"]*)">')
COLUMNS = ["名称/ID", "产品类型", "产品规格", "区域", "起止时间", "已消费金额(¥)", "手续费(¥)", "退订金额(¥)"]
REASONS = [
    "购买云服务时选择参数错误",
    "业务部署后，退订多购买的云服务",
    "业务测试完毕退订",
    "云服务不好用",
    "云服务不满足业务部署需求",
    "云服务故障无法修复",
    "其他",
]


def hidden(page_text: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in HIDDEN_RE.findall(page_text)}


def text_of(page_text: str) -> str:
    """The page's text, tags removed, whitespace collapsed (for sentences split by markup)."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page_text)))


def cells(page_text: str) -> list[str]:
    return [text_of(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", page_text, re.S)]


async def unsubscribe(client, fields: dict, **data):
    return await post_form(client, PAGE, {**fields, **data}, token_from=PAGE)


async def test_the_guide_screen_and_its_refund(client, demo, clock, settings):
    settings.five_day_quota = 0  # the guide's user had no five-day unsubscribe left
    clock.moment = bj(2019, 12, 11, 17, 4, 33)
    order_id = await buy(BUYER, clock.now())
    clock.moment = bj(2019, 12, 11, 17, 50)
    await sign_in(client, BUYER)
    detail = await client.get("/plan")
    assert 'href="/plan/unsubscribe"' in detail.text
    page = await client.get(PAGE)
    assert page.status_code == 200
    words = text_of(page.text)
    assert "退订规则及手续费细则请查看 退订规则说明 。" in words and 'href="/plan/unsubscribe/rules"' in page.text
    assert "您本次退订属于非5天无理由退订，需收取手续费和已消费金额，已使用的代金券和折扣券不退还。" in words
    assert "本次操作完成后，2019年12月31日前您还可以进行0次五天无理由退订。" in words
    for column in COLUMNS:
        assert '<th scope="col"' in page.text and f">{column}</th>" in page.text
    row = cells(page.text)[:8]
    assert order_id in row[0] and row[1:4] == ["支持计划", "标准级（1个月）", "全局"]
    assert row[4] == "2019/12/11 17:04:33 2020/01/11 23:59:59"
    assert row[5:8] == ["0.00", "850.00", "7,650.00"]
    # The required mark: a red * for the eye, 必填 for a screen reader.
    assert (
        '<legend><span class="required" aria-hidden="true">*</span>请选择退订原因'
        '<span class="visually-hidden">（必填）</span></legend>'
    ) in page.text
    for reason in REASONS:
        assert f">{reason}</label>" in page.text
    for label, value in [
        ("实付金额", "¥8,500.00"),
        ("已消费金额", "-¥0.00"),
        ("手续费", "-¥850.00"),
        ("退订金额", "¥7,650.00"),
        ("退还余额", "¥7,650.00"),
    ]:
        assert f"<dt>{label}</dt><dd>{value}</dd>" in page.text
    assert ">我已确认本次退订金额和相关费用。</label>" in page.text
    assert '<button type="submit" class="danger solid">退订</button>' in page.text
    assert "以上金额按 2019/12/11 17:00:00 计算" in page.text
    assert 'src="/static/unsubscribe.js?v=' in page.text
    fields = hidden(page.text)
    assert fields["computed_at"] == "2019-12-11T17:00:00+08:00"

    before = await balance(BUYER)
    done = await unsubscribe(client, fields, reason="wrong_spec", confirm="yes")
    assert done.status_code == 303 and done.headers["location"].startswith("/plan/unsubscribe/result/")
    result = await client.get(done.headers["location"])
    assert result.status_code == 200 and "退订成功" in result.text
    for label, value in [
        ("实付金额", "¥8,500.00"),
        ("已消费金额", "-¥0.00"),
        ("手续费", "-¥850.00"),
        ("退订金额", "¥7,650.00"),
        ("退还余额", "¥7,650.00"),
        ("退订原因", "购买云服务时选择参数错误"),
    ]:
        assert f"<dt>{label}</dt><dd>{value}</dd>" in result.text
    assert order_id in result.text and "已退订" in result.text
    assert await balance(BUYER) == before + 765_000
    assert "基础级" in (await client.get("/plan")).text
    order = await SupportOrder.select().where(SupportOrder.id == order_id).first()
    assert (order["status"], order["refund_reason"]) == ("refunded", "wrong_spec")


async def test_the_vendor_example_over_http(client, demo, clock):
    await buy(BUYER, clock.now())  # 2024/01/01 10:30
    clock.moment = bj(2024, 1, 15, 18, 40)
    await sign_in(client, BUYER)
    page = await client.get(PAGE)
    assert cells(page.text)[5:8] == ["3,857.52", "850.00", "3,792.48"]
    assert "本次操作完成后，2024年12月31日前您还可以进行10次五天无理由退订。" in text_of(page.text)
    assert "距支付已超过5×24小时" in page.text
    before = await balance(BUYER)
    done = await unsubscribe(client, hidden(page.text), reason="other", comment="预算调整", confirm="yes")
    assert done.status_code == 303
    assert await balance(BUYER) == before + 379_248
    result = await client.get(done.headers["location"])
    assert "<dt>退订原因说明</dt><dd>预算调整</dd>" in result.text and "¥3,792.48" in result.text


async def test_a_five_day_unsubscribe_over_http_gives_the_voucher_back(client, demo, clock):
    account = await account_by_login(BUYER)
    voucher = await coupons.grant(account.id, clock.now(), voucher=D("500"))
    start = await balance(BUYER)
    await buy(BUYER, clock.now(), coupon=voucher)
    clock.advance(days=2)
    await sign_in(client, BUYER)
    page = await client.get(PAGE)
    words = text_of(page.text)
    assert "您本次退订属于5天无理由退订" in words and "非5天无理由" not in words
    assert "本次操作完成后，2024年12月31日前您还可以进行9次五天无理由退订。" in words
    assert cells(page.text)[5:8] == ["0.00", "0.00", "8,000.00"]
    done = await unsubscribe(client, hidden(page.text), reason="test_done", confirm="yes")
    assert done.status_code == 303
    assert await balance(BUYER) == start
    assert (await Coupon.select().where(Coupon.id == voucher).first())["used_order_id"] is None
    assert "五天无理由退订" in (await client.get(done.headers["location"])).text


async def test_a_pending_renewal_shows_as_its_own_row(client, demo, clock):
    await buy(BUYER, clock.now())
    await add_renewal(BUYER, clock.now())
    clock.moment = bj(2024, 1, 15, 18, 40)
    await sign_in(client, BUYER)
    page = await client.get(PAGE)
    rows = cells(page.text)
    assert rows[5:8] == ["3,857.52", "850.00", "3,792.48"]
    assert "续费（未开始）" in rows[8] and rows[13:16] == ["0.00", "0.00", "8,500.00"]
    assert "<dt>退订金额</dt><dd>¥12,292.48</dd>" in page.text


async def test_bad_input_is_a_400_at_the_field_and_changes_nothing(client, demo, clock):
    await buy(BUYER, clock.now())
    clock.moment = bj(2024, 1, 15, 18, 40)
    await sign_in(client, BUYER)
    fields = hidden((await client.get(PAGE)).text)
    before = await balance(BUYER)
    cases = [
        ({"confirm": "yes"}, "reason", "请选择退订原因。"),
        ({"reason": "other", "comment": " ", "confirm": "yes"}, "comment", "选择“其他”时，请填写退订原因说明"),
        ({"reason": "other", "comment": "长" * 501, "confirm": "yes"}, "comment", "不能超过500个字符"),
        ({"reason": "test_done"}, "confirm", "请勾选“我已确认本次退订金额和相关费用。”"),
    ]
    for data, field, message in cases:
        response = await unsubscribe(client, fields, **data)
        assert response.status_code == 400, data
        assert "error-summary" in response.text and f'href="#{field}"' in response.text
        assert f'id="{field}-error"' in response.text and message in response.text
        assert response.text.count("<title>错误：") == 1
    # What was chosen is kept; the comment stays visible with its error.
    kept = await unsubscribe(client, fields, reason="other", comment="", confirm="yes")
    assert 'value="other" checked' in kept.text and 'name="confirm" value="yes" checked' in kept.text
    assert await balance(BUYER) == before and await Unsubscription.count() == 0
    assert "标准级" in (await client.get("/plan")).text


async def test_a_basic_plan_is_refused_with_a_message(client, demo):
    await sign_in(client, BUYER)
    page = await client.get(PAGE)
    assert (
        page.status_code == 409
        and "没有可退订的支持计划" in page.text
        and '<form method="post" action="/plan/unsubscribe"' not in page.text
    )
    posted = await post_form(
        client,
        PAGE,
        {"reason": "test_done", "confirm": "yes", "periods": "1", "computed_at": "2024-01-01T10:00:00+08:00"},
        token_from="/plan",
    )
    assert posted.status_code == 409 and "没有可退订的支持计划" in posted.text
    assert await Unsubscription.count() == 0


async def test_a_double_submit_shows_the_first_result(client, demo, clock):
    await buy(BUYER, clock.now())
    clock.moment = bj(2024, 1, 15, 18, 40)
    await sign_in(client, BUYER)
    fields = hidden((await client.get(PAGE)).text)
    before = await balance(BUYER)
    first = await unsubscribe(client, {**fields, "reason": "test_done", "confirm": "yes"})
    second = await post_form(client, PAGE, {**fields, "reason": "test_done", "confirm": "yes"}, token_from="/plan")
    assert first.status_code == 303
    # The second sending is told what happened, with the first one's result one link away: no silent redirect.
    assert second.status_code == 409 and "location" not in second.headers
    assert (
        "该支持计划已于 2024/01/15 18:40:00 由帐号 partner-b-buyer 退订，退订金额 ¥3,792.48 已退还至余额" in second.text
    )
    assert f'href="{first.headers["location"]}"' in second.text and ">查看退订结果</a>" in second.text
    assert await balance(BUYER) == before + 379_248
    assert await LedgerEntry.count().where(LedgerEntry.kind == "refund") == 1


async def test_submitting_after_the_hour_turned_recomputes_first(client, demo, clock):
    await buy(BUYER, clock.now())
    clock.moment = bj(2024, 1, 15, 18, 59, 30)
    await sign_in(client, BUYER)
    old = hidden((await client.get(PAGE)).text)
    clock.moment = bj(2024, 1, 15, 19, 0, 10)
    before = await balance(BUYER)
    again = await unsubscribe(client, old, reason="test_done", confirm="yes")
    assert again.status_code == 409
    assert "退订金额已重新计算" in again.text and "2024/01/15 19:00:00" in again.text and "发生了变化" in again.text
    assert 'name="confirm" value="yes" checked' not in again.text  # the new amounts must be confirmed again
    assert 'value="test_done" checked' in again.text
    assert await balance(BUYER) == before and await Unsubscription.count() == 0
    fresh = hidden(again.text)
    assert fresh["computed_at"] == "2024-01-15T19:00:00+08:00"
    done = await unsubscribe(client, fresh, reason="test_done", confirm="yes")
    assert done.status_code == 303
    stored = await Unsubscription.select().first()
    # 345 of 758 hours used at 19:00: 8,500 × 345 / 758 = 3,868.73
    assert stored["consumed_fen"] == 386_873 and await balance(BUYER) == before + stored["refund_fen"]


async def test_the_rules_page_states_section_5(client, demo, settings):
    settings.five_day_quota = 7
    await sign_in(client, BUYER)
    rules = await client.get(f"{PAGE}/rules")
    assert rules.status_code == 200 and "<h1>退订规则说明</h1>" in rules.text
    for phrase in ["整小时", "10%", "15%", "5%", "最低为0", "5×24小时", "7次", "代金券", "折扣券", "¥3,792.48"]:
        assert phrase in rules.text, phrase
    assert "%%" not in rules.text  # a message without parameters is not %-formatted: one % is shown as written


async def test_a_result_of_another_company_is_not_found(client, demo, clock):
    await buy(BUYER, clock.now())
    clock.advance(days=20)
    await sign_in(client, BUYER)
    done = await unsubscribe(client, hidden((await client.get(PAGE)).text), reason="test_done", confirm="yes")
    await sign_in(client, "partner-a")
    assert (await client.get(done.headers["location"])).status_code == 404
    await sign_in(client, "partner-b")  # the same company's main account may read it
    assert (await client.get(done.headers["location"])).status_code == 200


async def test_signed_out_goes_to_login(client, demo):
    response = await client.get(PAGE, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_the_english_page_renders(client, demo, clock):
    await buy(BUYER, clock.now())
    clock.advance(days=10)
    await sign_in(client, BUYER)
    client.cookies.set("lang", "en")
    page = await client.get(PAGE)
    assert page.status_code == 200 and '<html lang="en">' in page.text


async def test_the_console_look_of_the_guide_screen(client, demo, clock, settings):
    """图 6-2: the "退订资源 < 退订管理" header, the fee table in its own region, 退订金额 emphasised, and each of
    实付金额, 已消费金额 and 手续费 explained next to it."""
    settings.five_day_quota = 0
    clock.moment = bj(2019, 12, 11, 17, 4, 33)
    await buy(BUYER, clock.now())
    clock.moment = bj(2019, 12, 11, 17, 50)
    await sign_in(client, BUYER)
    text = (await client.get(PAGE)).text
    assert (
        '<h1 class="back-title"><a href="/plan">退订资源</a> <span aria-hidden="true">&lt;</span> <span>退订管理</span></h1>'
        in text
    )
    region = re.search(r'<div class="table-wrap" role="region" aria-label="退订明细" tabindex="0">\s*<table', text)
    assert region and text.index('id="fee-table"') > region.start()
    assert '<div class="row emphasis"><dt>退订金额</dt><dd>¥7,650.00</dd><dd class="explain-cell"><details' in text
    notes = dict(re.findall(r"<dt>([^<]+)</dt><dd>[^<]*</dd><dd class=\"hint note\">([^<]+)</dd>", text))
    assert set(notes) == {"实付金额", "已消费金额", "手续费"}
    assert "扣除优惠券" in notes["实付金额"]
    assert "整小时" in notes["已消费金额"] and "已使用时长 ÷ 周期总时长" in notes["已消费金额"]
    assert "10%" in notes["手续费"] and "15%" in notes["手续费"] and "%%" not in notes["手续费"]
    assert text.index("<dt>实付金额</dt>") < text.index("<dt>退订金额</dt>") < text.index("<dt>退还余额</dt>")


async def test_a_five_day_unsubscribe_explains_that_nothing_is_charged(client, demo, clock):
    await buy(BUYER, clock.now())
    clock.advance(days=1)
    await sign_in(client, BUYER)
    text = (await client.get(PAGE)).text
    notes = dict(re.findall(r"<dt>([^<]+)</dt><dd>[^<]*</dd><dd class=\"hint note\">([^<]+)</dd>", text))
    assert notes["已消费金额"] == "五天无理由退订不收取已消费金额。"
    assert notes["手续费"] == "五天无理由退订不收取手续费。"


async def test_a_stale_tab_after_the_plan_was_unsubscribed_elsewhere_is_a_409_saying_so(client, demo, clock):
    """The page was shown; then a renewal was added and the plan unsubscribed in another tab (other periods than
    this page's): the stale form is told the plan was unsubscribed, with the result linked, nothing refunded."""
    await buy(BUYER, clock.now())
    clock.moment = bj(2024, 1, 15, 18, 40)
    await sign_in(client, BUYER)
    stale = hidden((await client.get(PAGE)).text)
    await add_renewal(BUYER, clock.now())
    other = hidden((await client.get(PAGE)).text)
    assert other["periods"] != stale["periods"]
    done = await unsubscribe(client, other, reason="test_done", confirm="yes")
    assert done.status_code == 303
    before = await balance(BUYER)
    for data in ({"reason": "test_done", "confirm": "yes"}, {"reason": "test_done"}):  # with or without its tick
        response = await unsubscribe(client, stale, **data)
        assert response.status_code == 409 and "location" not in response.headers
        assert '<h2 id="refusal-title">该支持计划已退订</h2>' in response.text
        assert "此页面上的退订未再次执行，没有重复退款。" in response.text
        assert f'href="{done.headers["location"]}"' in response.text and 'href="/plan"' in response.text
        assert '<form method="post" action="/plan/unsubscribe"' not in response.text
    assert await balance(BUYER) == before and await Unsubscription.count() == 1


async def test_a_stale_tab_after_a_renewal_shows_the_new_amounts_first(client, demo, clock):
    await buy(BUYER, clock.now())
    clock.moment = bj(2024, 1, 15, 18, 40)
    await sign_in(client, BUYER)
    stale = hidden((await client.get(PAGE)).text)
    await add_renewal(BUYER, clock.now())  # another tab renewed: one more period to refund
    response = await unsubscribe(client, stale, reason="test_done", confirm="yes")
    assert response.status_code == 409 and "退订金额已重新计算" in response.text
    assert "支持计划已发生变化" in response.text and "<dt>退订金额</dt><dd>¥12,292.48</dd>" in response.text
    assert await Unsubscription.count() == 0


def test_the_templates_put_punctuation_inside_translated_strings():
    """English pages show no Chinese punctuation: in these templates it lives only inside _() strings."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    for path in [*(root / "unsubscribe").glob("*.html"), *(root / "renew").glob("*.html")]:
        source = path.read_text()
        outside = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", "", source, flags=re.S)
        stray = [ch for ch in outside if ch in "：，（）；、。“”"]
        assert not stray, f"{path.name}: {stray}"


def explained(text: str, term: str) -> tuple[list[Decimal], Decimal]:
    """The added lines' exact values of the 怎么算的 next to TERM, and its total."""
    start = text.index(f"<dt>{term}</dt>")
    block = text[start : text.index("</details>", start)]
    values = re.findall(
        r'<tr class="explain-(?:input|rounding)" data-kind="[a-z]+">.*?data-value="([^"]+)"', block, re.S
    )
    total = re.search(r'<tr class="explain-total">.*?data-value="([^"]+)"', block, re.S)
    assert total
    return [Decimal(v) for v in values], Decimal(total.group(1))


async def test_each_amount_explains_itself_and_the_page_says_what_changes_next(client, demo, clock, settings):
    """怎么算的 next to 已消费金额, 手续费 and 退订金额: the lines add up to the amount shown, which the form
    refunds; the refund's next change (the next whole hour) is given with its amount."""
    settings.five_day_quota = 0
    clock.moment = bj(2024, 1, 1, 10, 30)
    await buy(BUYER, clock.now())
    clock.moment = bj(2024, 1, 15, 18, 40)
    await sign_in(client, BUYER)
    text = (await client.get(PAGE)).text
    for term, amount in (("已消费金额", "3857.52"), ("手续费", "850.00"), ("退订金额", "3792.48")):
        values, total = explained(text, term)
        assert total == Decimal(amount) == sum(values, Decimal(0)), term
    assert 'name="refund_fen" value="379248"' in text
    changes = re.search(r'<div class="refund-changes" id="refund-changes">(.*?)</div>', text, re.S)
    assert changes and "2024/01/15 19:00:00（下一个整点）起，退订金额将变为" in changes.group(1)
    assert "减少" in changes.group(1)


async def test_the_five_day_window_is_given_to_the_minute(client, demo, clock):
    clock.moment = bj(2024, 1, 1, 10, 30)
    await buy(BUYER, clock.now())
    clock.moment = bj(2024, 1, 3, 9, 5)
    await sign_in(client, BUYER)
    text = (await client.get(PAGE)).text
    assert "五天无理由退订期还剩3天1小时25分钟，至2024/01/06 10:30:00结束。" in text
    changes = re.search(r'<div class="refund-changes" id="refund-changes">(.*?)</div>', text, re.S)
    assert changes and "（五天无理由退订期结束）起，退订金额将变为" in changes.group(1)
