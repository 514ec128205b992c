"""The unsubscribe form's model (退订管理): the fee table's quote, the reasons on offer and what was entered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.rules.explain import Explanation
from models.services import unsubscribe
from web.i18n import _, ngettext
from web.plans.pages import FiveDayWindow
from web.template_globals import RadioOption, money, when


@dataclass(frozen=True, slots=True)
class FormValues:
    """The fields as submitted (empty on the first visit)."""

    reason: str = ""
    comment: str = ""
    confirmed: bool = False
    scope: str = "all"  # SCOPE_ALL or SCOPE_RENEWALS


#: 退订全部 / 仅退订未生效的续费周期 (SPEC.md §13): the form's `scope`.
SCOPE_ALL, SCOPE_RENEWALS = "all", "renewals"


def renewals_only(scope: str | None) -> bool:
    return scope == SCOPE_RENEWALS


def scope_options() -> list[RadioOption]:
    return [
        (SCOPE_ALL, _("退订全部"), _("退订当前周期及所有已支付的续费周期，支持计划恢复为基础级。"), False),
        (
            SCOPE_RENEWALS,
            _("仅退订未生效的续费周期"),
            _(
                "全额退还未开始的续费周期的实付金额，不收取手续费，不占用五天无理由退订次数；当前周期保留，自动续费将关闭。"
            ),
            False,
        ),
    ]


@dataclass(frozen=True, slots=True)
class SummaryRow:
    """One line of the 退订金额 summary: its term (the contract's name, tests read it), the amount as shown, a one-
    sentence explanation of where the amount comes from (or None), and whether it is the emphasised total."""

    term: str
    value: str
    note: str | None = None
    emphasis: bool = False
    explanation: Explanation | None = None  # 怎么算的 (SPEC.md §14): lines that add up to the amount


def summary_rows(quote: unsubscribe.UnsubscribeQuote) -> list[SummaryRow]:
    """实付金额, 已消费金额, 手续费 (each explained, guide 图 6-2's ①), 退订金额 (emphasised), 退还余额."""
    t = quote.totals
    if quote.renewals_only:
        consumed_note = _("未生效的续费周期不收取已消费金额。")
        fee_note = _("未生效的续费周期不收取手续费。")
    elif quote.five_day:
        consumed_note = _("五天无理由退订不收取已消费金额。")
        fee_note = _("五天无理由退订不收取手续费。")
    else:
        consumed_note = _("按已使用的整小时计算：实付金额 × 已使用时长 ÷ 周期总时长；未开始的周期为0。")
        fee_note = _(
            "按周期的购买时长收取实付金额的一定比例：1至11个月或1年为10%，2年、3年按使用年份为15%、10%或5%；未开始的续费周期不收取。"
        )
    return [
        SummaryRow(_("实付金额"), money(t.paid), _("各周期实际支付的现金（已扣除优惠券，含升级时补交的费用）。")),
        SummaryRow(_("已消费金额"), "-" + money(t.consumed), consumed_note, explanation=t.consumed_x),
        SummaryRow(_("手续费"), "-" + money(t.fee), fee_note, explanation=t.fee_x),
        SummaryRow(_("退订金额"), money(t.refund), emphasis=True, explanation=t.refund_x),
        SummaryRow(_("退还余额"), money(t.refund)),
    ]


def five_day_left(quote: unsubscribe.UnsubscribeQuote, now: datetime) -> FiveDayWindow | None:
    """How long the five-day no-reason window still runs (to the minute), while this quote is in it."""
    if quote.five_day_ends is None:
        return None
    return FiveDayWindow(
        ends_at=quote.five_day_ends,
        minutes_left=int((quote.five_day_ends - now).total_seconds() // 60),
        remaining=max(0, quote.quota - quote.used_this_year),
        year_end=quote.year_end,
    )


def change_sentences(quote: unsubscribe.UnsubscribeQuote) -> list[str]:
    """When the refund next changes: "2025/03/01 15:00:00（下一个整点）起，退订金额将变为 ¥…（减少 ¥…）。" """
    sentences = []
    for change in quote.changes:
        if change.delta < 0:
            by = _("减少 %(amount)s", amount=money(-change.delta))
        else:
            by = _("增加 %(amount)s", amount=money(change.delta))
        sentences.append(
            _(
                "%(time)s（%(reason)s）起，退订金额将变为 %(amount)s（%(by)s）。",
                time=when(change.at),
                reason=_(change.reason),
                amount=money(change.refund),
                by=by,
            )
        )
    return sentences


def remaining_sentence(quote: unsubscribe.UnsubscribeQuote) -> str:
    return ngettext(
        "本次操作完成后，%(year)s年12月31日前您还可以进行%(num)s次五天无理由退订。",
        "本次操作完成后，%(year)s年12月31日前您还可以进行%(num)s次五天无理由退订。",
        quote.remaining_after,
        year=quote.year_end.year,
    )


def result_rows(done: unsubscribe.UnsubscribeResult) -> list[SummaryRow]:
    """The result page's summary: the stored amounts, 退订金额 emphasised, then the reason, time and account."""
    u = done.unsubscription
    rows = [
        SummaryRow(_("实付金额"), money(u.paid_fen)),
        SummaryRow(_("已消费金额"), "-" + money(u.consumed_fen)),
        SummaryRow(_("手续费"), "-" + money(u.fee_fen)),
        SummaryRow(_("退订金额"), money(u.refund_fen), emphasis=True),
        SummaryRow(_("退还余额"), money(u.refund_fen)),
        SummaryRow(_("退订原因"), _(done.reason_text)),
    ]
    if u.comment:
        rows.append(SummaryRow(_("退订原因说明"), u.comment))
    rows.append(SummaryRow(_("退订时间"), when(u.created_at)))
    rows.append(SummaryRow(_("操作帐号"), u.login))
    return rows


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why there is nothing to unsubscribe here, translated: a title, the reason, and the unsubscribe it meets when
    a stale tab's plan was unsubscribed meanwhile (its result page is one link away)."""

    title: str
    message: str
    result_id: int | None = None


def already_done(done: unsubscribe.UnsubscribeResult) -> Refusal:
    """A form sent after its plan was unsubscribed (another tab, the same form twice): nothing was refunded twice."""
    u = done.unsubscription
    if u.renewals_only:
        return Refusal(
            title=_("续费周期已退订"),
            message=_(
                "未生效的续费周期已于 %(time)s 由帐号 %(login)s 退订，退订金额 %(amount)s 已退还至余额。此页面上的退订未再次执行，没有重复退款。",
                time=when(u.created_at),
                login=u.login,
                amount=money(u.refund_fen),
            ),
            result_id=u.id,
        )
    return Refusal(
        title=_("该支持计划已退订"),
        message=_(
            "该支持计划已于 %(time)s 由帐号 %(login)s 退订，退订金额 %(amount)s 已退还至余额。此页面上的退订未再次执行，没有重复退款。",
            time=when(u.created_at),
            login=u.login,
            amount=money(u.refund_fen),
        ),
        result_id=u.id,
    )


def nothing_to_unsubscribe(message: str) -> Refusal:
    return Refusal(title=_("不能退订"), message=message)


@dataclass(frozen=True, slots=True)
class UnsubscribePage:
    quote: unsubscribe.UnsubscribeQuote | None  # None with a refusal: nothing to unsubscribe
    errors: dict[str, str]
    notice: str | None  # the amounts were recomputed: confirm again
    refusal: Refusal | None
    reason: str
    comment: str
    confirmed: bool
    reason_options: list[RadioOption]
    comment_max: int
    summary: list[SummaryRow]
    remaining: str  # "本次操作完成后，…您还可以进行N次五天无理由退订。" (SPEC.md §5), counted (ngettext)
    scope: str = SCOPE_ALL  # what the amounts are for
    scope_options: tuple[RadioOption, ...] = ()  # offered when renewal periods have not started (退订续费周期)
    five_day: FiveDayWindow | None = None  # the five-day window, while the quote is in it
    changes: tuple[str, ...] = ()  # when the refund next changes, one sentence each

    @classmethod
    def of(
        cls,
        quote: unsubscribe.UnsubscribeQuote | None,
        values: FormValues | None = None,
        *,
        errors: dict[str, str] | None = None,
        notice: str | None = None,
        refusal: Refusal | None = None,
        now: datetime | None = None,
    ) -> UnsubscribePage:
        values = values or FormValues()
        return cls(
            quote=quote,
            errors=errors or {},
            notice=notice,
            refusal=refusal,
            reason=values.reason,
            comment=values.comment,
            confirmed=values.confirmed,
            reason_options=[(code, _(label), None, False) for code, label in unsubscribe.REASONS.items()],
            comment_max=unsubscribe.COMMENT_MAX,
            summary=summary_rows(quote) if quote else [],
            remaining=remaining_sentence(quote) if quote else "",
            scope=SCOPE_RENEWALS if quote and quote.renewals_only else SCOPE_ALL,
            scope_options=tuple(scope_options()) if quote and quote.renewals_to_come else (),
            five_day=five_day_left(quote, now) if quote and now else None,
            changes=tuple(change_sentences(quote)) if quote else (),
        )
