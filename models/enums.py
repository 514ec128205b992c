"""Every value set of the console, said once: tables (`choices=`), rules, services and templates use these.
Each set has one map of display names (message ids, translated where shown: web.template_globals)."""

from __future__ import annotations

from enum import StrEnum


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


#: The context of the order-type nouns: 续费 is "Renewal" in a list of orders, "Renew" on a button.
ORDER_KIND_CONTEXT = "order kind"


def NC_(context: str, message: str) -> str:
    """Marks a message with its context for extraction; shown through pgettext(context, message)."""
    return message


class Level(StrEnum):
    BASIC = "basic"
    STANDARD = "standard"
    PREMIUM = "premium"


class OrderKind(StrEnum):
    PURCHASE = "purchase"
    UPGRADE = "upgrade"
    DOWNGRADE = "downgrade"
    RENEWAL = "renewal"
    PACK = "pack"
    UNSUBSCRIBE = "unsubscribe"  # a refund order: the plan unsubscribed (退订)
    UNSUBSCRIBE_RENEWALS = "unsub_renewals"  # a refund order: only the renewals not started (退订续费周期)


class OrderStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"  # 已退订: a paid order reversed by a refund order
    REFUND_DONE = "refund_done"  # 已退款: a refund order (created in this status, SPEC.md §13)


#: Orders that give money back (SPEC.md §13): created already refunded (已退款), never paid, amounts negative in lists.
REFUND_KINDS: frozenset[str] = frozenset({OrderKind.DOWNGRADE, OrderKind.UNSUBSCRIBE, OrderKind.UNSUBSCRIBE_RENEWALS})


class PaymentMethod(StrEnum):
    BALANCE = "balance"
    ONLINE = "online"
    PARTNER = "partner"
    CONTRACT = "contract"


class LedgerKind(StrEnum):
    TOP_UP = "top_up"
    CHARGE = "charge"
    REFUND = "refund"


class CouponKind(StrEnum):
    VOUCHER = "voucher"
    DISCOUNT = "discount"


class PeriodStatus(StrEnum):
    ACTIVE = "active"
    REFUNDED = "refunded"


class TicketType(StrEnum):
    TECHNICAL = "technical"
    BUSINESS = "business"


class TicketStatus(StrEnum):
    """A ticket's handling: 待受理 (new, the default), 处理中, 已解决."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"


class Severity(StrEnum):
    DOWN = "down"
    IMPAIRED = "impaired"
    SYSTEM = "system"
    GENERAL = "general"


class Channel(StrEnum):
    """Where a notification or a verification code goes."""

    INBOX = "inbox"
    PHONE = "phone"
    EMAIL = "email"


class RenewalOutcome(StrEnum):
    PENDING = ""
    RENEWED = "renewed"
    INSUFFICIENT = "insufficient"
    FAILED = "failed"


class PartnerRequestState(StrEnum):
    """A member's 合作伙伴代付 request (SPEC.md §13): waiting for the main account, paid by it, rejected (驳回) with a
    reason, or withdrawn (the member chose another way to pay)."""

    REQUESTED = "requested"
    PAID = "paid"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class CaptureOutcome(StrEnum):
    """What became of one gateway transaction (SPEC.md §11: money that came in is never lost)."""

    APPLIED = "applied"  # it paid its order
    CREDITED = "credited"  # the order could not take it: credited back to the payer's balance


class Staleness(StrEnum):
    """Why a refund's confirmation was refused before anything was refunded (SPEC.md §12: a refund is paid only at
    the amounts the confirmed page showed)."""

    HOUR_SAME = "hour_same"  # the hour turned; the amounts came out the same
    HOUR_CHANGED = "hour_changed"  # the hour turned and the amounts changed with it
    PLAN_CHANGED = "plan_changed"  # the plan changed since the page was shown (another tab, another account)
    MISSING = "missing"  # the form carried no amounts (an old page, a hand-made request)


class AuditAction(StrEnum):
    """What an operator did (操作日志, SPEC.md §15)."""

    CREATE_PARTNER = "create_partner"
    CREATE_MEMBER = "create_member"
    CERTIFY = "certify"
    UNCERTIFY = "uncertify"
    TOP_UP = "top_up"
    GRANT_COUPON = "grant_coupon"
    REVOKE_COUPON = "revoke_coupon"
    CONFIRM_OFFLINE = "confirm_offline"
    REJECT_OFFLINE = "reject_offline"
    CATALOG_VERSION = "catalog_version"
    RESEND_NOTIFICATION = "resend_notification"


CAPTURE_OUTCOME_NAMES: dict[str, str] = {
    CaptureOutcome.APPLIED: N_("已用于支付订单"),
    CaptureOutcome.CREDITED: N_("已退回余额"),
}

LEVEL_NAMES: dict[str, str] = {
    Level.BASIC: N_("基础级"),
    Level.STANDARD: N_("标准级"),
    Level.PREMIUM: N_("尊享级"),
}
# The context is written out in each NC_ call: Babel extracts literals only.
ORDER_KIND_NAMES: dict[str, str] = {
    OrderKind.PURCHASE: NC_("order kind", "新购"),
    OrderKind.UPGRADE: NC_("order kind", "升级"),
    OrderKind.DOWNGRADE: NC_("order kind", "降级"),
    OrderKind.RENEWAL: NC_("order kind", "续费"),
    OrderKind.PACK: NC_("order kind", "工单增购包"),
    OrderKind.UNSUBSCRIBE: NC_("order kind", "退订"),
    OrderKind.UNSUBSCRIBE_RENEWALS: NC_("order kind", "退订续费周期"),
}
ORDER_STATUS_NAMES: dict[str, str] = {
    OrderStatus.PENDING: N_("待支付"),
    OrderStatus.PAID: N_("已支付"),
    OrderStatus.CANCELLED: N_("已取消"),
    OrderStatus.REFUNDED: N_("已退订"),
    OrderStatus.REFUND_DONE: N_("已退款"),
}
PAYMENT_METHOD_NAMES: dict[str, str] = {
    PaymentMethod.BALANCE: N_("余额支付"),
    PaymentMethod.ONLINE: N_("在线支付"),
    PaymentMethod.PARTNER: N_("合作伙伴代付"),
    PaymentMethod.CONTRACT: N_("申请线上合同请款后支付"),
}
LEDGER_KIND_NAMES: dict[str, str] = {
    LedgerKind.TOP_UP: N_("充值"),
    LedgerKind.CHARGE: N_("扣费"),
    LedgerKind.REFUND: N_("退款"),
}
TICKET_TYPE_NAMES: dict[str, str] = {TicketType.TECHNICAL: N_("技术类"), TicketType.BUSINESS: N_("业务类")}
TICKET_STATUS_NAMES: dict[str, str] = {
    TicketStatus.OPEN: N_("待受理"),
    TicketStatus.IN_PROGRESS: N_("处理中"),
    TicketStatus.RESOLVED: N_("已解决"),
}
SEVERITY_NAMES: dict[str, str] = {
    Severity.DOWN: N_("生产系统不可用"),
    Severity.IMPAIRED: N_("生产系统异常"),
    Severity.SYSTEM: N_("系统异常"),
    Severity.GENERAL: N_("一般性故障"),
}
PARTNER_REQUEST_STATE_NAMES: dict[str, str] = {
    PartnerRequestState.REQUESTED: N_("待主帐号处理"),
    PartnerRequestState.PAID: N_("已代付"),
    PartnerRequestState.REJECTED: N_("已驳回"),
    PartnerRequestState.WITHDRAWN: N_("已撤回"),
}
AUDIT_ACTION_NAMES: dict[str, str] = {
    AuditAction.CREATE_PARTNER: N_("创建主帐号"),
    AuditAction.CREATE_MEMBER: N_("创建子帐号"),
    AuditAction.CERTIFY: N_("认证"),
    AuditAction.UNCERTIFY: N_("取消认证"),
    AuditAction.TOP_UP: N_("余额充值"),
    AuditAction.GRANT_COUPON: N_("发放优惠券"),
    AuditAction.REVOKE_COUPON: N_("作废优惠券"),
    AuditAction.CONFIRM_OFFLINE: N_("确认到账"),
    AuditAction.REJECT_OFFLINE: N_("驳回线下合同订单"),
    AuditAction.CATALOG_VERSION: N_("新建价格目录版本"),
    AuditAction.RESEND_NOTIFICATION: N_("重新发送通知"),
}


class CouponState(StrEnum):
    """A coupon as the operator console lists it (优惠券): unused and still valid, used on a paid order, past its
    expiry unused, or revoked (作废) by an operator. Revoked wins over the others, used over expired."""

    UNUSED = "unused"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"


class DeliveryState(StrEnum):
    """A notification's delivery (通知): in the inbox only, an SMS kept in the outbox, or an e-mail waiting to be
    sent (retrying after a failed try), sent, or failed (its tries used up; 重新发送 queues it again)."""

    INBOX = "inbox"
    SMS = "sms"
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


COUPON_KIND_NAMES: dict[str, str] = {CouponKind.VOUCHER: N_("代金券"), CouponKind.DISCOUNT: N_("折扣券")}
COUPON_STATE_NAMES: dict[str, str] = {
    CouponState.UNUSED: N_("未使用"),
    CouponState.USED: N_("已使用"),
    CouponState.EXPIRED: N_("已过期"),
    CouponState.REVOKED: N_("已作废"),
}
CHANNEL_NAMES: dict[str, str] = {Channel.INBOX: N_("站内信"), Channel.PHONE: N_("短信"), Channel.EMAIL: N_("邮件")}
DELIVERY_STATE_NAMES: dict[str, str] = {
    DeliveryState.INBOX: N_("仅站内信"),
    DeliveryState.SMS: N_("短信（仅记录）"),
    DeliveryState.QUEUED: N_("邮件待发送"),
    DeliveryState.SENT: N_("邮件已发送"),
    DeliveryState.FAILED: N_("邮件发送失败"),
}


class NotificationKind(StrEnum):
    """What a notification is about (消息中心, 通知设置; SPEC.md §16). `other` is inbox only, not a setting."""

    REMINDER = "reminder"  # 到期与续费提醒: 30/7/1 days before the end, before an auto-renew charge, after a failure
    PAYMENT_RESULT = "payment_result"
    REFUND = "refund"
    PARTNER_REQUEST = "partner_request"  # 合作伙伴代付 requests and their outcome
    OTHER = "other"


#: The kinds an account chooses inbox only or also e-mail for (通知设置), in the page's order.
NOTIFICATION_SETTING_KINDS = (
    NotificationKind.REMINDER,
    NotificationKind.PAYMENT_RESULT,
    NotificationKind.REFUND,
    NotificationKind.PARTNER_REQUEST,
)

NOTIFICATION_KIND_NAMES = {
    NotificationKind.REMINDER: N_("到期与续费提醒"),
    NotificationKind.PAYMENT_RESULT: N_("支付结果"),
    NotificationKind.REFUND: N_("退款"),
    NotificationKind.PARTNER_REQUEST: N_("合作伙伴代付申请"),
    NotificationKind.OTHER: N_("其他通知"),
}
