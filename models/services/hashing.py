"""argon2 off the event loop. A password hash at argon2's default cost takes tens of milliseconds of CPU; run on
the loop it stalls every other request of the worker (40 concurrent sign-ins held /healthz up to 2 s, issue 16).
The hashing runs in a small pool of threads instead (argon2's C code releases the GIL): one thread per two cores,
as argon2's default hash already computes its 4 lanes in parallel; so sign-ins queue among themselves and a core
is left for serving pages."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

_T = TypeVar("_T")

_POOL = ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 2) // 2), thread_name_prefix="argon2")


async def off_loop(function: Callable[..., _T], *args: object) -> _T:
    """`function(*args)` in the hashing threads; the caller's loop goes on serving meanwhile."""
    return await asyncio.get_running_loop().run_in_executor(_POOL, function, *args)
