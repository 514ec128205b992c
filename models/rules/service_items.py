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
