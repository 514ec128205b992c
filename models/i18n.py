"""Message catalogs (Babel/gettext). zh_CN is the default locale, en the second."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"


@cache
def translations(locale: str) -> NullTranslations:
    return Translations.load(str(LOCALE_DIR), [locale], domain="messages")


def gettext(message: str, locale: str = DEFAULT_LOCALE, **params: object) -> str:
    text = translations(locale).gettext(message)
    return text % params if params else text
