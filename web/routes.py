"""Every controller of the console, in one list for the app factory."""

from web.account.controllers import AccountController
from web.plans.controllers import PlanController
from web.pages.controllers import PagesController

ROUTES = [AccountController, PlanController, PagesController]
