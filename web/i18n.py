"""The request's locale (a `lang` cookie; zh_CN by default) and gettext for templates and controllers."""

from __future__ import annotations

from contextvars import ContextVar
from http.cookies import SimpleCookie

from litestar.types import Scope

from models.i18n import DEFAULT_LOCALE, LOCALES, translations

current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}


def _(message: str, **params: object) -> str:
    text = translations(current_locale.get()).gettext(message)
    return text % params if params else text


def pgettext(context: str, message: str, **params: object) -> str:
    text = str(translations(current_locale.get()).pgettext(context, message))
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    text = translations(current_locale.get()).ngettext(singular, plural, n)
    params.setdefault("num", n)
    return text % params


def locale_from_cookie_header(header: str | None) -> str:
    if header:
        cookie = SimpleCookie()
        try:
            cookie.load(header)
        except Exception:  # a malformed cookie header means "no preference", not an error page
            return DEFAULT_LOCALE
        if "lang" in cookie and cookie["lang"].value in LOCALES:
            return cookie["lang"].value
    return DEFAULT_LOCALE


def locale_of(scope: Scope) -> str:
    """The locale an HTTP request asks for (its `lang` cookie)."""
    raw = dict(scope.get("headers", [])).get(b"cookie")
    return locale_from_cookie_header(raw.decode("latin-1") if raw else None)
