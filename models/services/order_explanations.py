"""怎么算的 kept with each order (SPEC.md §14): written in the transaction that creates the order, from the very
Explanation whose amount became the order's amount; read by the order page and the receipt."""

from __future__ import annotations

from models.rules.explain import Explanation, from_json, to_json
from models.tables import OrderExplanation


async def record(order_id: str, explanation: Explanation) -> None:
    """Keep EXPLANATION for ORDER_ID (inside the caller's transaction; once per order)."""
    await OrderExplanation.insert(OrderExplanation(order_id=order_id, body=to_json(explanation)))


async def of(order_id: str) -> Explanation | None:
    """The order's explanation, or None (orders made before explanations were kept, and paid-in top-ups)."""
    row = await OrderExplanation.select(OrderExplanation.body).where(OrderExplanation.order_id == order_id).first()
    return from_json(row["body"]) if row else None
