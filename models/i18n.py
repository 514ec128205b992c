"""Message catalogs (Babel/gettext). zh_CN is the default locale, en the second.

The sources are the .po files: in a checkout (and an editable install) under the project's locale/, in an
installed wheel under models/locale/ (the package build copies and compiles them there, setup.py). A compiled
catalog (.mo) that is missing or older than its .po is compiled on first use, with Babel: next to the .po when
that directory is writable, else into a per-user cache directory, else in memory. So English is translated
however the project was installed, and `make catalogs` is a speed-up, not a requirement."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
DOMAIN = "messages"
#: Where an installed wheel has its catalogs (setup.py's build step) and where a checkout has them.
PACKAGE_LOCALE_DIR = Path(__file__).resolve().parent / "locale"
SOURCE_LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
#: Installers write a wheel's files one after another without keeping their times, so a .po may be a moment
#: newer than the .mo built with it: only a .po this much newer than its .mo counts as changed.
MTIME_SLACK = 2.0

log = logging.getLogger(__name__)


def _locale_dir() -> Path:
    for candidate in (PACKAGE_LOCALE_DIR, SOURCE_LOCALE_DIR):
        if any(catalog_path(locale, candidate).exists() for locale in LOCALES):
            return candidate
    return SOURCE_LOCALE_DIR


def catalog_path(locale: str, locale_dir: Path, suffix: str = ".po") -> Path:
    return locale_dir / locale / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


LOCALE_DIR = _locale_dir()


def compiled(po: Path) -> bytes:
    """The .mo of a .po (fuzzy entries left out, as msgfmt does)."""
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=po.parent.parent.name)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def compile_catalog(po: Path, mo: Path) -> None:
    """Writes the .mo of `po` to `mo` atomically (workers starting together never read half a file)."""
    data = compiled(po)
    mo.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=mo.parent, prefix=f".{mo.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, mo)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def is_fresh(po: Path, mo: Path) -> bool:
    return mo.exists() and mo.stat().st_mtime + MTIME_SLACK >= po.stat().st_mtime


def cache_dir(locale_dir: Path) -> Path:
    """A per-user cache for catalogs whose own directory is read-only, one per installation."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    tag = hashlib.sha256(str(locale_dir).encode()).hexdigest()[:16]
    return base / "partner-console" / "locale" / tag


def _load(mo: Path) -> Translations:
    with mo.open("rb") as handle:
        return Translations(handle, domain=DOMAIN)


def load_catalog(locale: str, locale_dir: Path) -> NullTranslations:
    po = catalog_path(locale, locale_dir)
    mo = catalog_path(locale, locale_dir, ".mo")
    if not po.exists():
        if mo.exists():
            return _load(mo)
        log.warning("no message catalog for %s under %s: its pages show the msgids", locale, locale_dir)
        return NullTranslations()
    if is_fresh(po, mo):
        return _load(mo)
    for target in (mo, catalog_path(locale, cache_dir(locale_dir), ".mo")):
        if target != mo and is_fresh(po, target):
            return _load(target)
        try:
            compile_catalog(po, target)
        except OSError:
            continue
        return _load(target)
    log.warning("cannot write the compiled catalog of %s: compiled in memory", po)
    return Translations(io.BytesIO(compiled(po)), domain=DOMAIN)


@cache
def translations(locale: str) -> NullTranslations:
    return load_catalog(locale, LOCALE_DIR)


def gettext(message: str, locale: str = DEFAULT_LOCALE, **params: object) -> str:
    text = translations(locale).gettext(message)
    return text % params if params else text
