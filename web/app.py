"""The application factory: settings, database, templates, sessions, CSRF, security headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, cast

from jinja2 import Environment, FileSystemLoader
from litestar import Litestar, get
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.plugins.flash import FlashConfig, FlashPlugin
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ExceptionHandlersMap

from models.db import engine_from_url, use_engine
from web import scheduler, template_globals
from web.auth import provide_now
from web.errors import HANDLERS
from web.i18n import LocaleMiddleware, _, ngettext
from web.routes import ROUTES
from web.security import SecurityHeadersMiddleware
from web.settings import ROOT, Settings


@get("/healthz", include_in_schema=False, sync_to_thread=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


class _I18nEnvironment(Protocol):
    """What jinja2.ext.i18n adds to an Environment at run time (the stubs cannot know it)."""

    def install_gettext_callables(
        self, gettext: Callable[..., str], ngettext: Callable[..., str], newstyle: bool | None = None
    ) -> None: ...


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(ROOT / "templates")),
        autoescape=True,
        extensions=["jinja2.ext.i18n", "jinja2.ext.do"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    cast(_I18nEnvironment, env).install_gettext_callables(gettext=_, ngettext=ngettext, newstyle=True)
    template_globals.install(env)
    return env


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    use_engine(engine_from_url(settings.database_url))
    template_config = TemplateConfig(engine=JinjaTemplateEngine.from_environment(_environment()))
    session = CookieBackendConfig(
        secret=settings.secret_bytes,
        key="console_session",
        max_age=settings.session_max_age,
        httponly=True,
        samesite="lax",
        secure=False,
    )
    csrf = CSRFConfig(
        secret=settings.secret_key,
        cookie_name="console_csrf",
        header_name="x-csrftoken",
        cookie_samesite="strict",
        exclude=["/payments/sandbox/notify"],
    )
    app = Litestar(
        route_handlers=[healthz, create_static_files_router(path="/static", directories=[ROOT / "static"]), *ROUTES],
        template_config=template_config,
        middleware=[SecurityHeadersMiddleware, LocaleMiddleware, session.middleware],
        csrf_config=csrf,
        plugins=[HTMXPlugin(), FlashPlugin(config=FlashConfig(template_config=template_config))],
        dependencies={"now": Provide(provide_now, sync_to_thread=False)},
        # HANDLERS maps each exception to its handler; inferred as dict[type, function], it loses their signatures.
        exception_handlers=cast(ExceptionHandlersMap, HANDLERS),
        debug=False,
        openapi_config=None,
        on_startup=[scheduler.start],
        on_shutdown=[scheduler.stop],
    )
    app.state.settings = settings
    return app
