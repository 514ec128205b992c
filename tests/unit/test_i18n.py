"""Catalogs compiled when their .mo is missing or outdated (next to the .po, else the cache, else in memory);
counted messages through ngettext in Python and templates, extracted as plural pairs; term labels in both
languages (issue 12: "1 month", "2 months", "1 year", "2 years")."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from models import i18n
from web import i18n as web_i18n
from web.template_globals import term_label, term_options

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("catalogs", ROOT / "tools" / "catalogs.py")
assert _spec and _spec.loader
catalogs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(catalogs)


def copy_catalog(tmp_path: Path, locale: str = "en") -> Path:
    """A locale directory with the project's .po of `locale` and no .mo."""
    locale_dir = tmp_path / "locale"
    po = i18n.catalog_path(locale, locale_dir)
    po.parent.mkdir(parents=True)
    shutil.copyfile(i18n.catalog_path(locale, i18n.LOCALE_DIR), po)
    return locale_dir


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_a_missing_mo_is_compiled_next_to_its_po(tmp_path, cache):
    locale_dir = copy_catalog(tmp_path)
    assert i18n.load_catalog("en", locale_dir).gettext("登录") == "Sign in"
    assert i18n.catalog_path("en", locale_dir, ".mo").exists()
    assert not cache.exists()


def test_an_outdated_mo_is_compiled_again_and_a_fresh_one_is_used_as_it_is(tmp_path, cache):
    locale_dir = copy_catalog(tmp_path)
    po, mo = i18n.catalog_path("en", locale_dir), i18n.catalog_path("en", locale_dir, ".mo")
    with mo.open("wb") as handle:
        write_mo(handle, Catalog(locale="en"))  # an empty catalog: nothing translated
    now = po.stat().st_mtime
    os.utime(mo, (now - 1, now - 1))  # within the slack of an installer writing .mo then .po: still fresh
    assert i18n.load_catalog("en", locale_dir).gettext("登录") == "登录"
    os.utime(mo, (now - 60, now - 60))  # the .po was edited after: compiled again
    assert i18n.load_catalog("en", locale_dir).gettext("登录") == "Sign in"
    assert mo.stat().st_mtime >= po.stat().st_mtime


def test_a_read_only_locale_directory_compiles_into_the_cache_once(tmp_path, cache, monkeypatch):
    locale_dir = copy_catalog(tmp_path)
    real = i18n.compile_catalog
    writes: list[Path] = []

    def compile_catalog(po: Path, mo: Path) -> None:
        if mo.is_relative_to(locale_dir):
            raise PermissionError(13, "Permission denied", str(mo))
        writes.append(mo)
        real(po, mo)

    monkeypatch.setattr(i18n, "compile_catalog", compile_catalog)
    assert i18n.load_catalog("en", locale_dir).gettext("登录") == "Sign in"
    assert len(writes) == 1 and writes[0].is_relative_to(cache / "partner-console" / "locale")
    assert i18n.load_catalog("en", locale_dir).gettext("登录") == "Sign in"
    assert len(writes) == 1, "the second start reads the cached .mo"
    assert not i18n.catalog_path("en", locale_dir, ".mo").exists()


def test_nowhere_to_write_compiles_in_memory(tmp_path, cache, monkeypatch):
    locale_dir = copy_catalog(tmp_path)

    def refuse(po: Path, mo: Path) -> None:
        raise PermissionError(13, "Permission denied", str(mo))

    monkeypatch.setattr(i18n, "compile_catalog", refuse)
    assert i18n.load_catalog("en", locale_dir).gettext("登录") == "Sign in"


def test_a_locale_without_a_catalog_falls_back_to_the_msgids(tmp_path, caplog):
    assert i18n.load_catalog("en", tmp_path).gettext("登录") == "登录"
    assert "no message catalog for en" in caplog.text


def test_the_checkout_uses_its_own_locale_directory():
    # The wheel's models/locale/ is absent here; the editable install reads locale/ of the checkout.
    assert i18n.LOCALE_DIR == ROOT / "locale"
    assert i18n.translations("en").gettext("登录") == "Sign in"


# --- plurals ------------------------------------------------------------------------------------------------------

TERMS_EN = {
    ("%(num)s个月", "%(num)s个月"): ("%(num)s month", "%(num)s months"),
    ("%(num)s年", "%(num)s年"): ("%(num)s year", "%(num)s years"),
}


@pytest.fixture
def english_terms(tmp_path, monkeypatch):
    """The current locale is English, with a catalog holding the plural pairs of the term labels (the project's
    own catalog gets them from /tmp/en-i18n.json through the lead's merge)."""
    catalog = Catalog(locale="en")
    for msgid, forms in TERMS_EN.items():
        catalog.add(msgid, forms, flags=["python-format"])
    mo = tmp_path / "en.mo"
    with mo.open("wb") as handle:
        write_mo(handle, catalog)
    with mo.open("rb") as handle:
        translations = i18n.Translations(handle, domain=i18n.DOMAIN)
    monkeypatch.setattr(web_i18n, "translations", lambda locale: translations)
    token = web_i18n.current_locale.set("en")
    yield
    web_i18n.current_locale.reset(token)


def test_term_labels_in_english_count_months_and_years(english_terms):
    assert [term_label(months) for months in (1, 2, 11, 12, 24, 36)] == [
        "1 month",
        "2 months",
        "11 months",
        "1 year",
        "2 years",
        "3 years",
    ]
    assert dict(term_options())[3] == "3 months"


def test_term_labels_in_chinese():
    token = web_i18n.current_locale.set("zh_CN")
    try:
        assert [term_label(months) for months in (1, 2, 12, 24)] == ["1个月", "2个月", "1年", "2年"]
    finally:
        web_i18n.current_locale.reset(token)


def test_templates_have_ngettext_with_num_and_escaped_parameters(english_terms):
    from web.templating import environment

    template = environment().from_string('{{ ngettext("%(num)s个月", "%(num)s个月", n) }}|{{ _("%(x)s", x=x) }}')
    assert template.render(n=1, x="<b>") == "1 month|&lt;b&gt;"
    assert template.render(n=5, x="a") == "5 months|a"


def test_ngettext_in_python_and_in_templates_is_extracted_as_a_plural_pair(tmp_path):
    shutil.copyfile(ROOT / "babel.cfg", tmp_path / "babel.cfg")
    (tmp_path / "web").mkdir()
    (tmp_path / "templates").mkdir()
    (tmp_path / "web" / "x.py").write_text('ngettext("%(num)s个工单", "%(num)s个工单", n)\n_("单个")\n')
    (tmp_path / "templates" / "x.html").write_text('{{ ngettext("%(num)s天", "%(num)s天", n) }}{{ _("页") }}\n')
    pot = tmp_path / "messages.pot"
    catalogs.extract(pot, tmp_path)
    with pot.open("rb") as handle:
        ids = {message.id for message in read_po(handle) if message.id}
    assert ids == {("%(num)s个工单", "%(num)s个工单"), ("%(num)s天", "%(num)s天"), "单个", "页"}


def test_catalog_check_sees_a_plural_form_left_empty(tmp_path, monkeypatch):
    catalog = Catalog(locale="en")
    catalog.add(("%(num)s个月", "%(num)s个月"), ("%(num)s month", ""))
    catalog.add(("%(num)s年", "%(num)s年"), ("%(num)s year", "%(num)s years"))
    catalog.add("登录", "Sign in")
    catalog.add("退出", "")
    path = tmp_path / "en" / "LC_MESSAGES" / "messages.po"
    path.parent.mkdir(parents=True)
    with path.open("wb") as handle:
        write_po(handle, catalog)
    monkeypatch.setattr(catalogs, "LOCALE", tmp_path)
    assert catalogs.missing("en") == ["%(num)s个月|%(num)s个月", "退出"]


def test_chinese_is_its_own_translation_also_for_plural_pairs():
    assert catalogs.source_text("登录", 1) == "登录"
    assert catalogs.source_text(("%(num)s个月", "%(num)s个月"), 1) == ("%(num)s个月",)
    assert catalogs.source_text(("一个", "%(num)s个"), 2) == ("一个", "%(num)s个")


def test_order_types_are_nouns_in_english_and_the_same_chinese_word_stays_a_verb_on_buttons():
    from models.enums import OrderKind
    from web.template_globals import order_kind_name

    token = web_i18n.current_locale.set("en")
    try:
        assert {kind: order_kind_name(kind) for kind in OrderKind} == {
            OrderKind.PURCHASE: "Purchase",
            OrderKind.UPGRADE: "Upgrade",
            OrderKind.DOWNGRADE: "Downgrade",
            OrderKind.RENEWAL: "Renewal",
            OrderKind.PACK: "Ticket pack",
            OrderKind.UNSUBSCRIBE: "Unsubscribe",
            OrderKind.UNSUBSCRIBE_RENEWALS: "Renewal unsubscribe",
        }
        assert web_i18n._("续费") == "Renew"  # the button
        assert order_kind_name(OrderKind.RENEWAL) == "Renewal"  # the noun in an order list
    finally:
        web_i18n.current_locale.reset(token)
    assert order_kind_name(OrderKind.RENEWAL) == "续费"
