"""Every controller of the console, in one list for the app factory: one controller per URL prefix."""

from litestar.types import ControllerRouterHandler

from web.account.controllers import AccountController
from web.account.sessions import SessionsController
from web.changes.controllers import ChangeController
from web.demo.controllers import DemoController
from web.messages.controllers import MessagesController, NotificationSettingsController
from web.ops.audit import OpsAuditController
from web.ops.auth import OpsAuthController
from web.ops.catalog import OpsCatalogController
from web.ops.coupons import OpsCouponsController
from web.ops.notifications import OpsNotificationsController
from web.ops.offline import OpsOfflineController
from web.ops.partners import OpsPartnersController
from web.ops.top_ups import OpsTopUpsController
from web.orders.controllers import OrdersController, SandboxGatewayController
from web.orders.partner_pay import PartnerPayController
from web.orders.receipts import ReceiptsController
from web.packs.controllers import PacksController
from web.pages.controllers import PagesController
from web.plans.controllers import PlanController
from web.renew.controllers import RenewController
from web.tickets.controllers import TicketsController
from web.unsubscribe.controllers import UnsubscribeController

ROUTES: list[ControllerRouterHandler] = [
    DemoController,  # /demo/clock: the test clock per browser, demo mode only (404 otherwise)
    MessagesController,  # /messages: 消息中心
    NotificationSettingsController,  # /settings/notifications: 通知设置
    PacksController,
    TicketsController,
    UnsubscribeController,
    AccountController,
    SessionsController,
    PlanController,
    OrdersController,
    PartnerPayController,  # /orders/partner-requests: 待代付订单 (合作伙伴代付 as a request)
    ReceiptsController,  # /orders/{id}/receipt and receipt.pdf: 凭证 as a page and as a PDF
    PagesController,
    ChangeController,  # /plan/change: buying a plan from Basic, and changing a running plan's level
    RenewController,
    OpsAuthController,  # /ops: the operator console's sign-in (运营控制台; web/ops/guard.py for the rest)
    OpsPartnersController,  # /ops/partners: 合作伙伴
    OpsTopUpsController,  # /ops/top-ups: 余额充值
    OpsAuditController,  # /ops/audit: 操作日志
    OpsCatalogController,  # /ops/catalog: 价格目录 (versioned prices)
    OpsCouponsController,  # /ops/coupons: 优惠券 (grant, list, 作废)
    OpsOfflineController,  # /ops/offline-orders: 线下合同订单 (确认到账, 驳回)
    OpsNotificationsController,  # /ops/notifications: 通知 (the outbox, 重新发送)
]

#: The sandbox payment site, mounted only when CONSOLE_GATEWAY is sandbox (demo mode implies it).
SANDBOX = SandboxGatewayController
