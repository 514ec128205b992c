"""Templates compile once per locale with their `_("literal")` calls already translated (web/templating.py): the
folded text is exactly what the call gave at render time, and each locale renders its own copy."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from jinja2 import DictLoader, Environment
from markupsafe import Markup

from models.i18n import LOCALES, translations
from web import i18n as web_i18n
from web.templating import FoldGettext, LocalisedEnvironment, environment


@contextmanager
def speaking(locale: str) -> Iterator[None]:
    token = web_i18n.current_locale.set(locale)
    try:
        yield
    finally:
        web_i18n.current_locale.reset(token)


def unfolded() -> Environment:
    """The environment as it was before folding: jinja2.ext.i18n's newstyle gettext at every render."""
    env = Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    env.install_gettext_callables(gettext=web_i18n._, ngettext=web_i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    return env


def catalog_messages(locale: str) -> list[str]:
    """Every singular msgid of LOCALE's catalog (the texts templates pass to `_`)."""
    catalog = translations(locale)
    return [msgid for msgid in getattr(catalog, "_catalog", {}) if isinstance(msgid, str) and msgid]


def outcome(env: Environment, source: str) -> str:
    """What SOURCE renders to, or the error it raises (a text with parameters fails when given none)."""
    try:
        return env.from_string(source).render()
    except (KeyError, ValueError, TypeError) as error:
        return f"{type(error).__name__}: {error}"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_catalog_text_folds_to_what_gettext_gave_at_render_time(locale):
    messages = catalog_messages(locale)
    assert len(messages) > 500  # the project's catalogs, not an empty fallback
    folding, plain = environment(), unfolded()
    with speaking(locale):
        for message in messages:
            source = f"{{{{ _({message!r}) }}}}"
            assert outcome(folding, source) == outcome(plain, source), message


def test_each_locale_renders_its_own_compiled_copy_of_a_template():
    env = LocalisedEnvironment(loader=DictLoader({"t.html": '{{ _("登录") }}'}), extensions=[FoldGettext])
    with speaking("en"):
        english = env.get_template("t.html")
        assert english.render() == "Sign in"
    with speaking("zh_CN"):
        chinese = env.get_template("t.html")
        assert chinese.render() == "登录"
    assert chinese is not english
    with speaking("en"):
        assert env.get_template("t.html") is english  # compiled once per locale, then cached


def test_only_a_call_with_one_literal_is_folded():
    env = LocalisedEnvironment(autoescape=True, extensions=["jinja2.ext.i18n", FoldGettext])
    calls: list[str] = []

    def gettext(message: str) -> str:
        calls.append(message)
        return web_i18n._(message)

    env.install_gettext_callables(gettext=gettext, ngettext=web_i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    with speaking("en"):
        template = env.from_string(
            '{{ _("登录") }}|{{ _(word) }}|{{ _("%(x)s", x=word) }}|{{ _("登录").upper() }}|{{ _("登录") ~ "!" }}'
        )
        assert template.render(word="<登录>") == "Sign in|<登录>|&lt;登录&gt;|SIGN IN|Sign in!"
    # newstyle gettext marks a translation safe (`_(word)` too) and escapes parameters; the literal was
    # translated while compiling, the other two calls at render time
    assert calls == ["<登录>", "%(x)s"]


def test_a_folded_text_is_markup_with_its_percent_signs_unescaped():
    env = LocalisedEnvironment(autoescape=True, extensions=[FoldGettext])
    with speaking("zh_CN"):
        rendered = env.from_string('{% set t = _("100%% <b>") %}{{ t }}|{{ t is string }}').render()
    assert rendered == "100% <b>|True"
    assert Markup("100%% <b>") % {} == "100% <b>"


def test_a_text_that_is_no_format_string_still_fails_at_render_time():
    env = environment()
    with speaking("zh_CN"):
        template = env.from_string('{{ _("100% 完成") }}')
        with pytest.raises(ValueError):
            template.render()
