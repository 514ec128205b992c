"""The application factory: settings, database, templates, sessions, CSRF, security headers."""

from __future__ import annotations

from typing import cast

from litestar import Litestar, get
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.middleware.base import DefineMiddleware
from litestar.plugins.flash import FlashConfig, FlashPlugin
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import (
    ExceptionHandlersMap,
    LifeSpanReceive,
    LifeSpanScope,
    LifeSpanSend,
    Message,
    Receive,
    Scope,
    Send,
)

from models.db import close_pool, engine_from_url, open_pool, use_engine
from web import scheduler
from web.auth import provide_now
from web.errors import HANDLERS
from web.forms import guard_request
from web.i18n import current_locale, locale_of
from web.retry import ConflictRetryMiddleware
from web.routes import ROUTES, SANDBOX
from web.security import CsrfMiddleware, add_headers
from web.sessions import STORE_NAME, DatabaseSessionConfig, DatabaseSessionStore
from web.settings import ASSETS, Settings
from web.templating import environment

#: Larger than any form of the console (a ticket is the largest); Litestar answers 413 above it.
MAX_BODY = 1024 * 1024
#: Paths that read no session and show no form: the health check and the static files go without a session
#: lookup and without a CSRF cookie (issue 16: what costs without serving).
NO_SESSION = ["^/healthz$", "^/static/"]


@get("/healthz", include_in_schema=False, sync_to_thread=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


class Console(Litestar):
    """The app; HEAD is answered wherever GET is (the GET's headers, no body)."""

    async def __call__(
        self, scope: Scope | LifeSpanScope, receive: Receive | LifeSpanReceive, send: Send | LifeSpanSend
    ) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        # The locale is set out here, before routing, so that the pages of unknown addresses (404) speak it too.
        token = current_locale.set(locale_of(cast(Scope, scope)))
        try:
            await self._answer(cast(Scope, scope), receive, cast(Send, send))
        finally:
            current_locale.reset(token)

    async def _answer(self, scope: Scope, receive: Receive | LifeSpanReceive, send: Send) -> None:
        if scope.get("method") != "HEAD":
            await super().__call__(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {"type": "http.response.body", "body": b"", "more_body": message.get("more_body", False)}
            await send(message)

        await super().__call__(cast(Scope, {**scope, "method": "GET"}), receive, headers_only)


async def _open_pool(app: Litestar) -> None:
    await open_pool(app.state.engine, app.state.settings.pg_pool_size)


async def _close_pool(app: Litestar) -> None:
    await close_pool(app.state.engine)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = (settings or Settings.from_env()).check()
    engine = engine_from_url(settings.database_url)
    use_engine(engine)
    template_config = TemplateConfig(engine=JinjaTemplateEngine.from_environment(environment()))
    session = DatabaseSessionConfig(
        store=STORE_NAME,
        key="console_session",
        max_age=settings.session_max_age,
        httponly=True,
        samesite="lax",
        secure=settings.https,
        exclude=NO_SESSION,
    )
    csrf = CSRFConfig(
        secret=settings.secret_key,
        cookie_name="console_csrf",
        header_name="x-csrftoken",
        cookie_samesite="strict",
        cookie_secure=settings.https,
        exclude=["/payments/sandbox/notify", *NO_SESSION],
    )
    app = Console(
        route_handlers=[
            healthz,
            create_static_files_router(path="/static", directories=[ASSETS / "static"]),
            *ROUTES,
            *([SANDBOX] if settings.gateway == "sandbox" else []),
        ],
        template_config=template_config,
        # The retry is outermost, so a replayed request loads its session and locale afresh.
        # CSRF as Litestar's own, with our guard against non-ASCII tokens (so a middleware, not csrf_config).
        middleware=[
            ConflictRetryMiddleware,
            session.middleware,
            DefineMiddleware(CsrfMiddleware, config=csrf),
        ],
        stores={STORE_NAME: DatabaseSessionStore(settings.clock, settings.session_max_age)},
        before_request=guard_request,
        before_send=[add_headers],
        compression_config=CompressionConfig(
            backend="brotli", brotli_gzip_fallback=True, minimum_size=500, exclude=["^/healthz$"]
        ),
        request_max_body_size=MAX_BODY,
        plugins=[HTMXPlugin(), FlashPlugin(config=FlashConfig(template_config=template_config))],
        dependencies={"now": Provide(provide_now, sync_to_thread=False)},
        # HANDLERS maps each exception to its handler; inferred as dict[type, function], it loses their signatures.
        exception_handlers=cast(ExceptionHandlersMap, HANDLERS),
        debug=False,
        openapi_config=None,
        on_startup=[_open_pool, scheduler.start],
        on_shutdown=[scheduler.stop, _close_pool],
    )
    app.state.settings = settings
    app.state.engine = engine
    return app
