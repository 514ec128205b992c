"""Domain errors carry a message id (translated by the web layer) and the field it belongs to."""

from __future__ import annotations


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


class DomainError(Exception):
    """A refusal a person can act on: shown next to `field` (or at the top), answered with a 4xx."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.field = field
        self.params = params


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class TooMany(DomainError):
    """Too many tries or requests in a while: answered 429, with when to try again."""

    status_code = 429
