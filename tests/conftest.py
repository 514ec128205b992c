"""Shared by tests/unit and tests/e2e: the repository root on sys.path, so `tests.helpers` imports under any
--import-mode (prepend, append or importlib) and whatever the working directory."""

import sys
from pathlib import Path

import pytest

_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

# The helpers assert (sign_in, place_order, ...): pytest explains their failures as it does in test modules.
pytest.register_assert_rewrite("tests.helpers")
