"""合作伙伴 (/ops/partners): find a partner, its page, create a partner or a member, 认证 / 取消认证."""

from __future__ import annotations

from datetime import datetime

from litestar import Request, get
from litestar.response import Template

from models.records import Operator
from models.services import ops_partners
from web.forms import check_text
from web.ops.guard import OpsController
from web.ops.pages import Pager, page_number
from web.rendering import page


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
