"""The service items of each level (SPEC.md §2), as message ids translated where shown."""

from __future__ import annotations

from models.enums import N_, Level, Severity

# Response targets in minutes; Premium's are an assumption of SPEC.md §2.
RESPONSE_MINUTES: dict[str, dict[str, int]] = {
    Level.STANDARD: {Severity.DOWN: 30, Severity.IMPAIRED: 180, Severity.SYSTEM: 240, Severity.GENERAL: 960},
    Level.PREMIUM: {Severity.DOWN: 15, Severity.IMPAIRED: 60, Severity.SYSTEM: 120, Severity.GENERAL: 480},
}

_BUSINESS = (N_("业务类支持"), N_("7x24小时 工单、电话"))

SERVICE_ITEMS: dict[str, list[tuple[str, str]]] = {
    Level.BASIC: [_BUSINESS],
    Level.STANDARD: [
        _BUSINESS,
        (N_("致命严重性/响应时间"), N_("生产系统不可用-30分钟 生产系统异常-3小时 系统异常-4小时 一般性故障-16小时")),
        (N_("云产品架构咨询"), N_("每年4个工作日云产品架构咨询服务，每次以邮件申请")),
        (N_("关键事件保障"), N_("每年4自然日事件保障，每次以邮件申请（仅限包年购买）")),
        (N_("培训"), N_("每月一次线上集中培训")),
        (N_("技术类支持"), N_("7x24小时 工单、电话（每月30工单）")),
        (N_("IM企业群支持"), N_("支持")),
        (N_("问题解决优先级"), N_("一般")),
    ],
    Level.PREMIUM: [
        _BUSINESS,
        (N_("致命严重性/响应时间"), N_("生产系统不可用-15分钟 生产系统异常-1小时 系统异常-2小时 一般性故障-8小时")),
        (N_("云产品架构咨询"), N_("每年8个工作日云产品架构咨询服务，每次以邮件申请")),
        (N_("关键事件保障"), N_("每年8自然日事件保障，每次以邮件申请（仅限包年购买）")),
        (N_("培训"), N_("每月一次线上集中培训")),
        (N_("技术类支持"), N_("7x24小时 工单、电话（不限工单数）")),
        (N_("IM企业群支持"), N_("支持")),
        (N_("问题解决优先级"), N_("高")),
    ],
}

#: The key facts of a level beside its service items (SPEC.md §2), for the change page's level cards: 云产品架构咨询
#: in workdays and 关键事件保障 in natural days a year, and whether an IM企业群 is included. Technical tickets a month
#: are the quota rule's (models/rules/quota.py), response times RESPONSE_MINUTES.
CONSULTING_DAYS: dict[str, int] = {Level.BASIC: 0, Level.STANDARD: 4, Level.PREMIUM: 8}
KEY_EVENT_DAYS: dict[str, int] = {Level.BASIC: 0, Level.STANDARD: 4, Level.PREMIUM: 8}
IM_GROUP: dict[str, bool] = {Level.BASIC: False, Level.STANDARD: True, Level.PREMIUM: True}

#: The levels in the order they are compared (columns of 规格对比).
COMPARED_LEVELS: tuple[str, ...] = (Level.BASIC, Level.STANDARD, Level.PREMIUM)


def compared_items() -> list[tuple[str, dict[str, str | None]]]:
    """Every service item of any level, in the order of the fullest list, with each level's content (None: the
    level does not include it)."""
    names: list[str] = []
    for level in COMPARED_LEVELS:
        for name, _content in SERVICE_ITEMS[level]:
            if name not in names:
                names.append(name)
    contents = {level: dict(SERVICE_ITEMS[level]) for level in COMPARED_LEVELS}
    return [(name, {level: contents[level].get(name) for level in COMPARED_LEVELS}) for name in names]


def changed_items(from_level: str, to_level: str) -> list[tuple[str, str | None, str | None]]:
    """The service items that differ between two levels: (item, content at from_level, content at to_level), None
    where a level does not include the item. From Premium to Standard these are what a downgrade loses."""
    return [
        (name, by_level[from_level], by_level[to_level])
        for name, by_level in compared_items()
        if by_level[from_level] != by_level[to_level]
    ]
