"""The Jinja environment of the pages and PDFs: one compiled copy of each template per locale, in which every
`_("literal")` is already translated (issue 16: gettext at each render was ~40 % of a page's template time).

A call with parameters, `_("…%(x)s", x=…)`, or with anything but one string literal stays a call at render time.
The folded text means what the call meant under jinja2.ext.i18n's newstyle gettext: the translation, marked
safe (a translator's text is trusted as the template's own), formatted with no parameters (`%%` becomes `%`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Protocol, cast

from jinja2 import Environment, FileSystemLoader
from jinja2.ext import Extension
from jinja2.lexer import TOKEN_DOT, TOKEN_LPAREN, TOKEN_NAME, TOKEN_PIPE, TOKEN_RPAREN, TOKEN_STRING, Token, TokenStream
from jinja2.utils import LRUCache
from markupsafe import Markup

from web import template_globals
from web.i18n import _, current_locale, ngettext
from web.settings import ASSETS

#: Compiled templates kept per locale (the console has some 150 templates and two locales).
CACHE_SIZE = 1000


class _I18nEnvironment(Protocol):
    """What jinja2.ext.i18n adds to an Environment at run time (the stubs cannot know it)."""

    def install_gettext_callables(
        self, gettext: Callable[..., str], ngettext: Callable[..., str], newstyle: bool | None = None
    ) -> None: ...


class FoldGettext(Extension):
    """Rewrites `_("literal")` to `("translation"|safe)` while a template compiles, in the current locale (the
    request's: templates compile at their first use, and LocalisedEnvironment keeps a copy per locale)."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        tokens = list(stream)
        i = 0
        while i < len(tokens):
            folded = _folded(tokens, i)
            if folded is None:
                yield tokens[i]
                i += 1
                continue
            line = tokens[i].lineno
            yield Token(line, TOKEN_LPAREN, "(")
            yield Token(line, TOKEN_STRING, folded)
            yield Token(line, TOKEN_PIPE, "|")
            yield Token(line, TOKEN_NAME, "safe")
            yield Token(line, TOKEN_RPAREN, ")")
            i += 4


def _folded(tokens: list[Token], i: int) -> str | None:
    """The translated text when TOKENS[i:i+4] are `_ ( "literal" )` (and not `x._(…)`), else None."""
    window = tokens[i : i + 4]
    if [token.type for token in window] != [TOKEN_NAME, TOKEN_LPAREN, TOKEN_STRING, TOKEN_RPAREN]:
        return None
    if window[0].value != "_" or (i > 0 and tokens[i - 1].type == TOKEN_DOT):
        return None
    try:
        return str(Markup(_(window[2].value)) % {})  # what newstyle gettext returns at render time
    except (TypeError, ValueError, KeyError):  # a text that is no format string fails at render time, as before
        return None


class LocalisedEnvironment(Environment):
    """An Environment whose template cache is the current locale's: a template compiles once per locale."""

    @property  # type: ignore[override]
    def cache(self) -> LRUCache | None:
        return self._caches[current_locale.get()]

    @cache.setter
    def cache(self, value: LRUCache | None) -> None:  # Environment.__init__ sets one cache; each locale gets its own
        self._caches: defaultdict[str, LRUCache] = defaultdict(lambda: LRUCache(CACHE_SIZE))


def environment() -> Environment:
    env = LocalisedEnvironment(
        loader=FileSystemLoader(str(ASSETS / "templates")),
        autoescape=True,
        extensions=["jinja2.ext.i18n", "jinja2.ext.do", FoldGettext],
        trim_blocks=True,
        lstrip_blocks=True,
        # Compiled templates stay cached for the process: no getmtime of every template (and of every one it
        # includes or imports) at each render. Templates change with a release, which restarts the process.
        auto_reload=False,
    )
    cast(_I18nEnvironment, env).install_gettext_callables(gettext=_, ngettext=ngettext, newstyle=True)
    template_globals.install(env)
    return env
