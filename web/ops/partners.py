"""合作伙伴 (/ops/partners): find a partner, its page, 创建主帐号 / 创建子帐号, 认证 / 取消认证. Each write is a
service of models.services.ops_partners (the CLI's account services, one transaction with the audit row)."""

from __future__ import annotations

from datetime import datetime

from litestar import Request, get, post
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from models.records import Operator
from models.services import ops_partners
from models.services.errors import DomainError
from web.forms import check_text, error_dict, form_data
from web.i18n import _
from web.ops.guard import OpsController
from web.ops.pages import Pager, page_number
from web.rendering import page

PARTNER_FIELDS = ("login", "company", "phone", "email")
MEMBER_FIELDS = ("login", "partner", "company", "phone", "email")


class OpsPartnersController(OpsController):
    path = "/ops/partners"

    @get("/")
    async def index(self, request: Request, operator: Operator, now: datetime) -> Template:
        query = check_text(request.query_params.get("q", ""), 200).strip()
        number = page_number(request.query_params.get("page"))
        found = await ops_partners.search(query, now, number)
        return page(
            request,
            "ops/partners.html",
            {
                "operator": operator,
                "nav": "partners",
                "q": query,
                "found": found,
                "pager": Pager("/ops/partners", found.page, found.pages, {"q": query}),
            },
        )

    @get("/{partner_id:int}")
    async def detail(self, request: Request, operator: Operator, partner_id: int, now: datetime) -> Template:
        view = await ops_partners.partner_view(partner_id, now)
        return page(request, "ops/partner.html", {"operator": operator, "nav": "partners", "view": view, "errors": {}})

    @get("/{partner_id:int}/orders/{order_id:str}")
    async def order(self, request: Request, operator: Operator, partner_id: int, order_id: str) -> Template:
        found = await ops_partners.order_of(partner_id, check_text(order_id, 64))
        context = {"operator": operator, "nav": "partners", "order": found, "partner_id": partner_id}
        return page(request, "ops/order.html", context)

    @post("/{partner_id:int}/certification")
    async def certification(
        self, request: Request, operator: Operator, partner_id: int, now: datetime
    ) -> Template | Redirect:
        data = await form_data(request)
        certified = data.get("certified") == "yes"
        try:
            await ops_partners.set_certified(operator, partner_id, certified, now, data.get("reason", ""))
        except DomainError as exc:
            view = await ops_partners.partner_view(partner_id, now)
            context = {"operator": operator, "nav": "partners", "view": view, "errors": error_dict(exc, "reason")}
            context["reason"] = data.get("reason", "")
            return page(request, "ops/partner.html", context, status_code=exc.status_code)
        flash(request, _("已认证该合作伙伴。") if certified else _("已取消该合作伙伴的认证。"), "success")
        return Redirect(path=f"/ops/partners/{partner_id}", status_code=303)

    @get("/new")
    async def new_partner(self, request: Request, operator: Operator) -> Template:
        return self._partner_form(request, operator, {}, {})

    @post("/new")
    async def create_partner(self, request: Request, operator: Operator, now: datetime) -> Template | Redirect:
        data = await form_data(request)
        try:
            account_id = await ops_partners.create_partner(
                operator,
                now,
                login=data.get("login", ""),
                password=data.get("password", ""),
                company=data.get("company", ""),
                certified=data.get("certified") == "yes",
                phone=data.get("phone", ""),
                email=data.get("email", ""),
            )
        except DomainError as exc:
            return self._partner_form(request, operator, data, error_dict(exc, "login"), exc.status_code)
        partner_id = await ops_partners.partner_of_account(account_id)
        flash(request, _("已创建主帐号 %(login)s。", login=data.get("login", "").strip()), "success")
        return Redirect(path=f"/ops/partners/{partner_id}", status_code=303)

    @get("/new-member")
    async def new_member(self, request: Request, operator: Operator) -> Template:
        main = check_text(request.query_params.get("partner", ""), 64).strip()
        return self._member_form(request, operator, {"partner": main}, {})

    @post("/new-member")
    async def create_member(self, request: Request, operator: Operator, now: datetime) -> Template | Redirect:
        data = await form_data(request)
        try:
            account_id = await ops_partners.create_member(
                operator,
                now,
                login=data.get("login", ""),
                main_login=data.get("partner", ""),
                password=data.get("password", ""),
                company=data.get("company", ""),
                phone=data.get("phone", ""),
                email=data.get("email", ""),
            )
        except DomainError as exc:
            return self._member_form(request, operator, data, error_dict(exc, "login"), exc.status_code)
        partner_id = await ops_partners.partner_of_account(account_id)
        flash(request, _("已创建子帐号 %(login)s。", login=data.get("login", "").strip()), "success")
        return Redirect(path=f"/ops/partners/{partner_id}", status_code=303)

    @staticmethod
    def _partner_form(
        request: Request, operator: Operator, data: dict[str, str], errors: dict[str, str], status: int = 200
    ) -> Template:
        values = {name: data.get(name, "") for name in PARTNER_FIELDS}
        values["certified"] = "yes" if data.get("certified") == "yes" else ""
        context = {"operator": operator, "nav": "partners", "values": values, "errors": errors}
        return page(request, "ops/partner_new.html", context, status_code=status)

    @staticmethod
    def _member_form(
        request: Request, operator: Operator, data: dict[str, str], errors: dict[str, str], status: int = 200
    ) -> Template:
        values = {name: data.get(name, "") for name in MEMBER_FIELDS}
        context = {"operator": operator, "nav": "partners", "values": values, "errors": errors}
        return page(request, "ops/member_new.html", context, status_code=status)
