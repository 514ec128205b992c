"""The purchase and change pages show what each level gives before it is chosen (issue 12 §1): the level cards
(price for the chosen term, key service items, the current level marked), the 规格对比 table, the downgrade's
losses on 规格确认, a preview that names what it was computed for and marks the inputs it was not computed for,
and a confirmation from a stale tab answered with why."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from models.rules.periods import TERMS
from models.rules.service_items import COMPARED_LEVELS, changed_items, compared_items
from models.services import purchase
from models.services.accounts import account_by_login
from models.tables import SupportOrder
from tests.helpers.http import place_order, post_form, sign_in
from tests.helpers.plans import BUYER, buy_plan
from tests.helpers.times import bj

LATER = bj(2024, 1, 15, 18, 40)


class Page(HTMLParser):
    """Just enough of the page: the text of each element with an id, and the attributes of every input and
    option (with the option's text)."""

    VOID = {"input", "br", "img", "meta", "link", "hr", "source", "col", "wbr"}

    def __init__(self, html: str) -> None:
        super().__init__()
        self.open: list[tuple[str, str | None]] = []
        self.text_of: dict[str, str] = {}
        self.inputs: list[dict[str, str | None]] = []
        self.options: list[dict[str, str | None]] = []
        self.headers: list[str] = []
        self._header: list[str] | None = None
        self._option: dict[str, str | None] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs_d = dict(attrs)
        if tag == "input":
            self.inputs.append(attrs_d)
        if tag == "option":
            self._option = {**attrs_d, "text": ""}
            self.options.append(self._option)
        if tag == "th" and attrs_d.get("scope") == "col":
            self._header = []
        if tag not in self.VOID:
            self.open.append((tag, attrs_d.get("id")))
            if attrs_d.get("id"):
                self.text_of.setdefault(attrs_d["id"], "")

    def handle_endtag(self, tag):
        if tag == "option":
            self._option = None
        if tag == "th" and self._header is not None:
            self.headers.append("".join(self._header).strip())
            self._header = None
        while self.open:
            name, _ = self.open.pop()
            if name == tag:
                break

    def handle_data(self, data):
        for _, element_id in self.open:
            if element_id:
                self.text_of[element_id] += data
        if self._option is not None:
            self._option["text"] += data
        if self._header is not None:
            self._header.append(data)

    def text(self, element_id: str) -> str:
        return re.sub(r"\s+", " ", self.text_of[element_id]).strip()

    def radio(self, value: str) -> dict[str, str | None]:
        return next(i for i in self.inputs if i.get("name") == "level" and i.get("value") == value)


def yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


async def pay(client, order_id: str) -> None:
    from models.services import payments

    buyer = await account_by_login(BUYER)
    order = await SupportOrder.select(SupportOrder.created_at).where(SupportOrder.id == order_id).first()
    await payments.choose(buyer, order_id, "balance", None, order["created_at"])
    await payments.settle(order_id, order["created_at"], payer_id=buyer.id)


# --- the purchase (from Basic) ----------------------------------------------------------------------------------


@pytest.mark.parametrize("months", [1, 3, 11, 12, 36])
async def test_cards_show_each_level_for_the_chosen_term_at_the_amount_the_order_charges(client, demo, months):
    await sign_in(client, BUYER)
    response = await client.get(f"/plan/change?level=premium&months={months}")
    assert response.status_code == 200
    shown = Page(response.text)
    term = f"{months // 12}年" if months % 12 == 0 else f"{months}个月"
    for element_id, level in (("level-price", "standard"), ("level-2-price", "premium")):
        assert shown.text(element_id) == f"{yuan(purchase.price(level, months))} / {term}"
    order_id = await place_order(client, "premium", months)
    order = await SupportOrder.select().where(SupportOrder.id == order_id).first()
    assert shown.text("level-2-price").startswith(yuan(order["list_fen"]))  # the card's amount is what is charged
    assert shown.text("preview").startswith(f"应付金额 {yuan(order['list_fen'])}")


async def test_cards_name_the_level_alone_and_describe_its_key_service_items(client, demo):
    await sign_in(client, BUYER)
    shown = Page((await client.get("/plan/change")).text)
    assert [(r["value"], r.get("aria-describedby")) for r in shown.inputs if r.get("name") == "level"] == [
        ("standard", "level-details"),
        ("premium", "level-2-details"),
    ]
    assert re.search(r'<label for="level">标准级</label>', (await client.get("/plan/change")).text)
    standard, premium = shown.text("level-details"), shown.text("level-2-details")
    for facts, expected in (
        (
            standard,
            ["生产系统不可用：30分钟内响应", "技术类工单：每月30个", "每年4个工作日", "每年4自然日", "IM企业群支持"],
        ),
        (
            premium,
            ["生产系统不可用：15分钟内响应", "技术类工单：不限数量", "每年8个工作日", "每年8自然日", "IM企业群支持"],
        ),
    ):
        for fact in expected:
            assert fact in facts


async def test_comparison_has_every_service_item_by_level_with_the_current_one_marked(client, demo, clock):
    await sign_in(client, BUYER)
    basic = (await client.get("/plan/change")).text
    shown = Page(basic)
    assert shown.headers == ["服务项", "基础级（当前规格）", "标准级", "尊享级"]
    assert '<details class="compare">' in basic and "<summary>规格对比</summary>" in basic
    assert re.search(r'role="region" aria-label="规格对比" tabindex="0"', basic)
    for item, by_level in compared_items():
        row = re.search(r"<tr>\s*<th scope=\"row\">" + re.escape(item) + r"</th>(.*?)</tr>", basic, re.S)
        assert row, item
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
        assert cells == [by_level[level] or "不提供" for level in COMPARED_LEVELS]
    assert basic.count('<td class="current">') == len(compared_items())

    await pay(client, await place_order(client))
    standard = Page((await client.get("/plan/change")).text)
    assert standard.headers[:4] == ["服务项", "基础级", "标准级（当前规格）", "尊享级"]


async def test_preview_names_its_level_and_term_and_marks_the_inputs_it_was_not_computed_for(client, demo):
    await sign_in(client, BUYER)
    response = await client.get("/plan/change?level=premium&months=12")
    shown = Page(response.text)
    assert "尊享级，1年" in shown.text("preview") and "¥300,000.00" in shown.text("preview")
    assert "unpreviewed" in (shown.radio("standard").get("class") or "")
    assert "unpreviewed" not in (shown.radio("premium").get("class") or "")
    unpreviewed = [o["value"] for o in shown.options if "unpreviewed" in (o.get("class") or "")]
    assert unpreviewed == [str(m) for m in TERMS if m != 12]
    assert "选择已更改，请点击“计算费用”更新费用。" in response.text  # the note the CSS shows when one is chosen
    assert 'class="change-form"' in response.text

    bad = Page((await client.get("/plan/change?level=premium&months=abc")).text)  # no amount: nothing is stale
    assert "请先更正上面的选择" in bad.text("preview")
    assert not [i for i in bad.inputs + bad.options if "unpreviewed" in (i.get("class") or "")]
    assert bad.text("level-price") == "¥8,500.00/月"  # no term to price: the monthly price


async def test_htmx_preview_brings_the_cards_prices_for_the_new_term(client, demo):
    await sign_in(client, BUYER)
    block = await client.get("/plan/change?level=standard&months=3", headers={"HX-Request": "true"})
    assert "<html" not in block.text and len(block.content) <= 2048
    assert 'data-previewed-level="standard" data-previewed-months="3"' in block.text
    prices = re.findall(r'<p class="price" id="(level(?:-2)?-price)" hx-swap-oob="true">([^<]+)</p>', block.text)
    assert prices == [("level-price", "¥25,500.00 / 3个月"), ("level-2-price", "¥75,000.00 / 3个月")]
    full = await client.get("/plan/change?level=standard&months=3")
    assert "hx-swap-oob" not in full.text  # the whole page has each price once, in its card


async def test_steps_and_breadcrumb(client, demo):
    await sign_in(client, BUYER)
    change = (await client.get("/plan/change")).text
    assert re.search(r'<li aria-current="step">\s*<span class="step-num" aria-hidden="true">1</span>', change)
    assert '<a href="/plan">支持计划</a>' in change and '<span aria-current="page">更改</span>' in change
    spec = (await client.get("/plan/change/spec?level=standard&months=1")).text
    assert re.search(r'<li aria-current="step">\s*<span class="step-num" aria-hidden="true">2</span>', spec)
    assert "<dt>应付金额</dt><dd>¥8,500.00</dd>" in spec and "<dt>金额</dt>" not in spec
    confirm = (await client.get("/plan/change/confirm?level=premium&months=12")).text
    assert "<dt>应付金额</dt><dd>¥300,000.00</dd>" in confirm and "<dt>购买时长</dt><dd>1年</dd>" in confirm


async def test_a_purchase_confirmed_after_the_company_bought_a_plan_is_a_409_page(client, demo):
    await sign_in(client, BUYER)
    tab = await client.get("/plan/change/spec?level=premium&months=1")
    key = re.search(r'name="request_key" value="([0-9a-f]+)"', tab.text).group(1)
    await pay(client, await place_order(client))  # another tab bought Standard and paid it
    for agree in ("yes", ""):
        refused = await post_form(
            client,
            "/plan/change/spec",
            {"level": "premium", "months": "1", "agree": agree, "request_key": key},
            token_from="/plan/change",
        )
        assert refused.status_code == 409, refused.text
        assert 'role="alert"' in refused.text and "贵公司已有合作伙伴支持计划" in refused.text
        assert "本次购买未执行，未生成订单。" in refused.text and "贵公司的支持计划当前为标准级。" in refused.text
        assert '<a href="/plan/change">查看当前可办理的更改</a>' in refused.text
    assert await SupportOrder.count() == 1


# --- the change of a running plan ------------------------------------------------------------------------------


async def test_upgrade_cards_price_the_fee_and_mark_the_current_level(client, demo, clock):
    await buy_plan(BUYER, now=clock.now())
    clock.moment = LATER
    await sign_in(client, BUYER)
    response = await client.get("/plan/change")
    shown = Page(response.text)
    assert shown.text("level-badge") == "当前规格" and "disabled" in shown.radio("standard")
    assert shown.radio("standard")["aria-describedby"] == "level-badge level-details"
    assert shown.text("level-price") == "¥8,500.00/月"
    assert shown.text("level-2-price") == "补交的费用：¥9,011.87"
    assert shown.text("preview").startswith("补交的费用 ¥9,011.87")
    assert "414/758" in shown.text("explain")  # 怎么算的, next to the cards
    assert re.search(r'<li aria-current="step">\s*<span class="step-num" aria-hidden="true">1</span>', response.text)
    assert "退费金额" not in response.text and "应付金额" not in response.text


async def test_downgrade_spec_lists_what_is_lost(client, demo, clock):
    await buy_plan(BUYER, level="premium", now=clock.now())
    clock.moment = LATER
    await sign_in(client, BUYER)
    change = Page((await client.get("/plan/change")).text)
    assert change.text("level-price") == "退费金额：¥9,011.87" and change.text("level-2-badge") == "当前规格"
    assert change.headers[:4] == ["服务项", "基础级", "标准级", "尊享级（当前规格）"]
    spec = (await client.get("/plan/change/downgrade/spec")).text
    assert "降级后将减少的服务" in spec
    losses = changed_items("premium", "standard")
    assert len(losses) == 5
    for item, before, after in losses:
        row = re.search(r"<strong>" + re.escape(item) + r"</strong></td>(.*?)</tr>", spec, re.S)
        assert row, item
        assert re.findall(r"<td data-label=\"[^\"]+\">(.*?)</td>", row.group(1), re.S) == [before, after]
    assert spec.index("降级后将减少的服务") < spec.index(">确认变更</button>")  # before the button
    assert 'aria-current="step"' not in spec  # no payment follows a downgrade: no order steps


async def test_upgrade_spec_is_step_two_and_lists_what_improves(client, demo, clock):
    await buy_plan(BUYER, now=clock.now())
    clock.moment = LATER
    await sign_in(client, BUYER)
    spec = (await client.get("/plan/change/upgrade/spec")).text
    assert re.search(r'<li aria-current="step">\s*<span class="step-num" aria-hidden="true">2</span>', spec)
    assert "升级后将提升的服务" in spec and "<strong>问题解决优先级</strong>" in spec


async def test_a_pending_purchase_replaces_the_form_with_its_banner(client, demo):
    await sign_in(client, BUYER)
    order_id = await place_order(client)
    change = await client.get("/plan/change")
    assert change.status_code == 200
    assert "您有待支付的订单" in change.text and order_id in change.text
    assert f'href="/orders/{order_id}/pay' in change.text and f'href="/orders/{order_id}/cancel' in change.text
    assert "立即购买" not in change.text and 'name="level"' not in change.text  # no form for a second one
    second = await post_form(
        client,
        "/plan/change/spec",
        {"level": "premium", "months": "1", "agree": "yes", "request_key": "another-tab"},
        token_from="/plan/change",
    )
    assert second.status_code == 409 and "贵公司已有待支付的新购订单" in second.text
    assert "本次购买未执行，未生成订单。" in second.text and f'href="/orders/{order_id}/pay' in second.text
    assert await SupportOrder.count() == 1
    await post_form(client, f"/orders/{order_id}/cancel", {}, token_from="/plan/change")
    again = await client.get("/plan/change")
    assert "立即购买" in again.text and "您有待支付的订单" not in again.text


async def test_a_colleague_s_pending_purchase_is_shown_to_the_main_account(client, demo):
    await sign_in(client, "partner-a-ops")
    order_id = await place_order(client)
    await sign_in(client, "partner-a")
    change = await client.get("/plan/change")
    assert "贵公司有待支付的订单" in change.text and order_id in change.text and "partner-a-ops" in change.text
    assert "立即购买" not in change.text


async def test_a_change_step_the_plan_no_longer_offers_goes_back_saying_why(client, demo, clock):
    await sign_in(client, BUYER)
    for path in (
        "/plan/change/upgrade/confirm?level=premium",
        "/plan/change/upgrade/spec",
        "/plan/change/downgrade/spec",
    ):
        gone = await client.get(path, follow_redirects=False)
        assert gone.status_code == 303 and gone.headers["location"] == "/plan/change"
        shown = await client.get("/plan/change")
        assert 'class="flash" role="status">贵公司当前没有生效中的标准级或尊享级支持计划，无法变更规格。' in shown.text
    await pay(client, await place_order(client))
    assert (await client.get("/plan/change/downgrade/spec", follow_redirects=False)).status_code == 303
    assert "该支持计划当前为标准级，不能办理此变更。" in (await client.get("/plan/change")).text
    assert "不能办理此变更" not in (await client.get("/plan/change")).text  # said once
