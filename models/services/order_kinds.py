"""Imports every module that registers an order kind, so paying any order knows what it does."""

from models.services import purchase  # noqa: F401
from models.services import changes  # noqa: F401
from models.services import packs  # noqa: F401
from models.services import renewal  # noqa: F401
