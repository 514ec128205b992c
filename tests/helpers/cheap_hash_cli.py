"""`python -m tests.helpers.cheap_hash_cli ARGS…`: `partner-console ARGS…` hashing passwords with argon2's cheapest
parameters, as tests/unit/conftest.py does in-process. The end-to-end servers (tests/e2e/server.py) run their CLI
and `serve` through it: the demo accounts' hashes are cheap, so every sign-in verifies them cheaply (argon2 reads
the cost from the hash), and no process spends half a second on the default cost's hash at import.

It lives under tests/ and is not in the wheel: production never runs it and keeps argon2's default cost."""

from __future__ import annotations

import sys

import argon2


class _CheapestHasher(argon2.PasswordHasher):
    """argon2.PasswordHasher whose defaults are the cheapest valid parameters; explicit ones are kept."""

    def __init__(self, time_cost: int = 1, memory_cost: int = 8, parallelism: int = 1, **kwargs: object) -> None:
        super().__init__(time_cost, memory_cost, parallelism, **kwargs)  # type: ignore[arg-type]


def main() -> int:
    # Before models.services.accounts is imported: it makes its hasher (and a dummy hash) at import time.
    argon2.PasswordHasher = _CheapestHasher  # type: ignore[misc]
    from web.cli import main as console_main

    return console_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
