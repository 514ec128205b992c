"""Imports every module that registers an order kind, so paying any order knows what it does."""

from models.services import (
    changes,  # noqa: F401
    packs,  # noqa: F401
    purchase,  # noqa: F401
    renewal,  # noqa: F401
)
