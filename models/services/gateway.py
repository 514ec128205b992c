"""Online payment behind a provider interface. The one provider is a sandbox inside the console:
its page stands in for the payment site, and it calls back with an HMAC-signed notification."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Protocol


class Gateway(Protocol):
    name: str

    def checkout_url(self, order_id: str, amount_fen: int) -> str: ...

    def verify(self, payload: dict[str, str], signature: str) -> bool: ...


def _canonical(payload: dict[str, str]) -> bytes:
    # surrogatepass: a value no browser sends (a lone surrogate) still has bytes to sign, so it fails to verify
    # instead of raising.
    return "&".join(f"{key}={payload[key]}" for key in sorted(payload)).encode("utf-8", "surrogatepass")


class SandboxGateway:
    name = "sandbox"

    def __init__(self, secret: bytes) -> None:
        self._secret = hashlib.sha256(b"sandbox-gateway:" + secret).digest()

    def sign(self, payload: dict[str, str]) -> str:
        return hmac.new(self._secret, _canonical(payload), hashlib.sha256).hexdigest()

    def verify(self, payload: dict[str, str], signature: str) -> bool:
        """A signature is hex: anything else (say a non-ASCII header, which compare_digest refuses) is wrong."""
        signature = signature or ""
        return signature.isascii() and hmac.compare_digest(self.sign(payload), signature)

    def checkout_token(self, order_id: str, amount_fen: int) -> str:
        return self.sign({"order_id": order_id, "amount_fen": str(amount_fen), "purpose": "checkout"})

    def checkout_url(self, order_id: str, amount_fen: int) -> str:
        return f"/payments/sandbox/{order_id}?amount_fen={amount_fen}&token={self.checkout_token(order_id, amount_fen)}"

    def notification(self, order_id: str, amount_fen: int) -> tuple[dict[str, str], str]:
        """What the payment site would POST back once the payer has paid."""
        payload = {
            "order_id": order_id,
            "amount_fen": str(amount_fen),
            "status": "paid",
            "transaction_id": "SBX" + secrets.token_hex(8),
        }
        return payload, self.sign(payload)
