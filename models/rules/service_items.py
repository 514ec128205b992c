"""The service items of each level (SPEC.md §2), as message ids translated where shown."""

from __future__ import annotations

from models.rules.pricing import BASIC, PREMIUM, STANDARD


def N_(message: str) -> str:
    return message


SEVERITIES = ("down", "impaired", "system", "general")
SEVERITY_NAMES = {
    "down": N_("生产系统不可用"),
    "impaired": N_("生产系统异常"),
    "system": N_("系统异常"),
    "general": N_("一般性故障"),
}
# Response targets in minutes; Premium's are an assumption of SPEC.md §2.
RESPONSE_MINUTES = {
    STANDARD: {"down": 30, "impaired": 180, "system": 240, "general": 960},
    PREMIUM: {"down": 15, "impaired": 60, "system": 120, "general": 480},
}

_BUSINESS = (N_("业务类支持"), N_("7x24小时 工单、电话"))

SERVICE_ITEMS: dict[str, list[tuple[str, str]]] = {
    BASIC: [_BUSINESS],
    STANDARD: [
        _BUSINESS,
        (N_("致命严重性/响应时间"), N_("生产系统不可用-30分钟 生产系统异常-3小时 系统异常-4小时 一般性故障-16小时")),
        (N_("云产品架构咨询"), N_("每年4个工作日云产品架构咨询服务，每次以邮件申请")),
        (N_("关键事件保障"), N_("每年4自然日事件保障，每次以邮件申请（仅限包年购买）")),
        (N_("培训"), N_("每月一次线上集中培训")),
        (N_("技术类支持"), N_("7x24小时 工单、电话（每月30工单）")),
        (N_("IM企业群支持"), N_("支持")),
        (N_("问题解决优先级"), N_("一般")),
    ],
    PREMIUM: [
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
