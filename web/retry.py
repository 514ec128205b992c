"""Database conflicts retried once (SPEC.md §12). A handler that lost a race to a concurrent writer (a unique
key taken, a serialization failure, a locked database) rolled its transaction back and was answered with the 409
page marked by web.errors.RETRY_HEADER; this middleware holds that answer back and runs the request again,
which then usually sees the other writer's result (an idempotent confirmation returns the paid order). A second
conflict is sent as the 409 page. The request body is kept for the replay (up to MAX_REPLAY_BODY; a larger body
is passed through once, unretried)."""

from __future__ import annotations

from typing import Any

from litestar.constants import SCOPE_STATE_NAMESPACE
from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from web.errors import RETRY_HEADER

MAX_REPLAY_BODY = 1024 * 1024
_RETRY = RETRY_HEADER.lower().encode()


async def _read_body(receive: Receive) -> tuple[list[Any], bool]:
    """The request's body messages, and whether all of them fit in MAX_REPLAY_BODY."""
    messages: list[Any] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, True
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            return messages, True
        if size > MAX_REPLAY_BODY:
            return messages, False


def _replay(messages: list[Any], then: Receive) -> Receive:
    queue = list(messages)

    async def receive() -> Any:
        if queue:
            return queue.pop(0)
        return await then()

    return receive


def _fresh(scope: Scope) -> Any:
    """A copy of the scope as it arrived, without what a run cached in it (parsed body, dependencies, flags)."""
    state = {key: value for key, value in scope.get("state", {}).items() if key != SCOPE_STATE_NAMESPACE}
    return {**scope, "state": state}


class ConflictRetryMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        messages, whole = await _read_body(receive)
        if not whole:
            await self.app(scope, _replay(messages, receive), send)
            return
        held = False

        async def first_send(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start" and any(
                name.lower() == _RETRY for name, _ in message.get("headers") or ()
            ):
                held = True
            if not held:
                await send(message)

        await self.app(_fresh(scope), _replay(messages, receive), first_send)
        if not held:
            return

        async def second_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                if RETRY_HEADER in headers:
                    del headers[RETRY_HEADER]
            await send(message)

        await self.app(_fresh(scope), _replay(messages, receive), second_send)
