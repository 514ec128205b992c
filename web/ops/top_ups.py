"""余额充值 (/ops/top-ups): an amount and a required 充值原因, credited through the ledger with its audit row; the
form's one-time key makes a double submit credit once."""

from __future__ import annotations

import secrets
from datetime import datetime

from litestar import Request, get, post
from litestar.response import Template

from models.records import Operator
from models.services import ops_partners
from models.services.errors import DomainError
from web.forms import check_text, error_dict, form_data
from web.ops.guard import OpsController
from web.rendering import page


class OpsTopUpsController(OpsController):
    path = "/ops/top-ups"

    @get("/")
    async def form(self, request: Request, operator: Operator) -> Template:
        login = check_text(request.query_params.get("login", ""), 64).strip()
        return self._page(request, operator, {"login": login}, {})

    @post("/")
    async def top_up(self, request: Request, operator: Operator, now: datetime) -> Template:
        data = await form_data(request)
        request_key = data.get("request_key") or secrets.token_hex(16)
        try:
            done = await ops_partners.top_up(
                operator,
                now,
                login=data.get("login", ""),
                amount=data.get("amount", ""),
                reason=data.get("reason", ""),
                request_key=request_key,
            )
        except DomainError as exc:
            return self._page(request, operator, data, error_dict(exc, "login"), exc.status_code, request_key)
        return self._page(request, operator, {"login": done.login}, {}, done=done)

    @staticmethod
    def _page(
        request: Request,
        operator: Operator,
        data: dict[str, str],
        errors: dict[str, str],
        status: int = 200,
        request_key: str | None = None,
        done: ops_partners.TopUp | None = None,
    ) -> Template:
        values = {name: data.get(name, "") for name in ("login", "amount", "reason")}
        context = {
            "operator": operator,
            "nav": "top_ups",
            "values": values,
            "errors": errors,
            "done": done,
            # A refused form keeps its key (nothing was credited); after a top-up the next form gets a new one.
            "request_key": request_key or secrets.token_hex(16),
            "max_amount": ops_partners.TOP_UP_MAX,
            "lang_next": "/ops/top-ups",
        }
        return page(request, "ops/top_ups.html", context, status_code=status)
