"""Every controller of the console, in one list for the app factory."""

from web.account.controllers import AccountController
from web.changes.controllers import ChangeController
from web.orders.controllers import OrdersController, SandboxGatewayController
from web.packs.controllers import PacksController
from web.pages.controllers import PagesController
from web.plans.controllers import PlanController
from web.purchase.controllers import PurchaseController
from web.renew.controllers import RenewController
from web.tickets.controllers import TicketsController
from web.unsubscribe.controllers import UnsubscribeController

ROUTES = [
    PacksController,
    TicketsController,
    UnsubscribeController,
    AccountController,
    PlanController,
    PurchaseController,
    OrdersController,
    SandboxGatewayController,
    PagesController,
    ChangeController,
    RenewController,
]
