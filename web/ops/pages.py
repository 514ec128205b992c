"""Page models of O1's operator screens (合作伙伴, 余额充值, 操作日志) and the pieces every /ops list shares."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode


def page_number(raw: str | None) -> int:
    """A page number from the query string: 1 for anything that is not a positive whole number."""
    raw = (raw or "").strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6:
        return 1
    return max(1, int(raw))


@dataclass(frozen=True, slots=True)
class Pager:
    """Pagination of a GET list that keeps its filters (templates/ops/_pagination.html)."""

    path: str
    number: int
    pages: int
    params: Mapping[str, str]

    def page_href(self, number: int) -> str:
        query = urlencode({**{k: v for k, v in self.params.items() if v}, "page": number})
        return f"{self.path}?{query}"

    @property
    def prev_href(self) -> str | None:
        return self.page_href(self.number - 1) if self.number > 1 else None

    @property
    def next_href(self) -> str | None:
        return self.page_href(self.number + 1) if self.number < self.pages else None
