"""操作日志 (/ops/audit): every operator write, newest first, filtered by operator, action, account and a
Beijing-time date range (a GET form), in pages of 50."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from litestar import Request, get
from litestar.response import Template

from models.enums import AUDIT_ACTION_NAMES, AuditAction
from models.records import Operator
from models.rules.periods import BEIJING
from models.services import audit, operators
from models.tables import Account as AccountTable
from web.forms import check_text, parse_int
from web.i18n import _
from web.ops.guard import OpsController
from web.ops.pages import Pager, page_number
from web.rendering import page


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


@dataclass
class AuditFilters:
    operator: str = ""
    action: str = ""
    account: str = ""
    date_from: str = ""
    date_to: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return any((self.operator, self.action, self.account, self.date_from, self.date_to))

    def params(self) -> dict[str, str]:
        return {
            "operator": self.operator,
            "action": self.action,
            "account": self.account,
            "from": self.date_from,
            "to": self.date_to,
        }


async def read_filters(request: Request) -> tuple[AuditFilters, dict[str, object]]:
    """The form's values as sent and the service's filters (a bad value is an error next to its field)."""
    q = request.query_params

    def value(name: str) -> str:
        return check_text(q.get(name, ""), 64).strip()

    f = AuditFilters(value("operator"), value("action"), value("account"), value("from"), value("to"))
    wanted: dict[str, object] = {}
    if f.operator:
        operator_id = parse_int(f.operator)
        if operator_id is None or await operators.find_any_operator(operator_id) is None:
            f.errors["operator"] = _("请选择列表中的操作人。")
        else:
            wanted["operator_id"] = operator_id
    if f.action:
        if f.action not in {a.value for a in AuditAction}:
            f.errors["action"] = _("请选择列表中的操作。")
        else:
            wanted["action"] = AuditAction(f.action)
    if f.account:
        row = await AccountTable.select(AccountTable.id).where(AccountTable.login == f.account).first()
        if row is None:
            f.errors["account"] = _("帐号 %(login)s 不存在。", login=f.account)
        else:
            wanted["account_id"] = row["id"]
    start = _date(f.date_from) if f.date_from else None
    end = _date(f.date_to) if f.date_to else None
    if f.date_from and start is None:
        f.errors["from"] = _("起始日期无效，请按“年-月-日”填写，例如 2024-01-15。")
    if f.date_to and end is None:
        f.errors["to"] = _("结束日期无效，请按“年-月-日”填写，例如 2024-01-31。")
    if start and end and start > end:
        f.errors["to"] = _("结束日期不能早于起始日期。")
    if start:
        wanted["since"] = datetime.combine(start, time(), BEIJING)
    if end:
        wanted["until"] = datetime.combine(end + timedelta(days=1), time(), BEIJING)
    return f, wanted


def action_name(action: str) -> str:
    return _(AUDIT_ACTION_NAMES[action]) if action in AUDIT_ACTION_NAMES else action


class OpsAuditController(OpsController):
    path = "/ops/audit"

    @get("/")
    async def index(self, request: Request, operator: Operator) -> Template:
        filters, wanted = await read_filters(request)
        number = page_number(request.query_params.get("page"))
        found = None if filters.errors else await audit.entries(page=number, **wanted)  # type: ignore[arg-type]
        context = {
            "operator": operator,
            "nav": "audit",
            "f": filters,
            "errors": filters.errors,
            "found": found,
            "operator_options": [("", _("全部操作人"))]
            + [(str(o.id), o.login) for o in await operators.all_operators()],
            "action_options": [("", _("全部操作"))] + [(a.value, _(AUDIT_ACTION_NAMES[a])) for a in AuditAction],
            "action_name": action_name,
            "pager": Pager("/ops/audit", found.page, found.pages, filters.params()) if found else None,
        }
        return page(request, "ops/audit.html", context, status_code=400 if filters.errors else 200)
