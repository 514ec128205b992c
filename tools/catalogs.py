"""Message catalogs: `update` extracts the msgids (zh-CN source text) and merges them into both catalogs,
`compile` writes the .mo files the console loads, `check` fails if a catalog misses a translation.

zh_CN is the source language, so its catalog maps each message to itself; en holds the English text. Counted
messages are ngettext(singular, plural, n) pairs: one msgid with a plural, msgstr[0] and msgstr[1] in English
("1 month", "%(num)s months"), the single form of zh_CN. The console compiles a catalog itself when its .mo is
missing or out of date (models/i18n.py), and the package build compiles them into the wheel (setup.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

from models.i18n import LOCALES, compile_catalog

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
POT = LOCALE / "messages.pot"


def po_path(locale: str) -> Path:
    return LOCALE / locale / "LC_MESSAGES" / "messages.po"


def load(path: Path, locale: str | None = None):
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def save(catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0, no_location=True, sort_output=True, include_previous=False)


#: The calls whose first argument is a msgid (besides Babel's defaults); ngettext's first two are a plural pair;
#: NC_ and pgettext take a context first (the same Chinese word as a noun and as a verb: 续费 Renewal / Renew).
KEYWORDS = ("N_", "_", "ngettext:1,2", "NC_:1c,2", "pgettext:1c,2", "ExplainLine")


def extract(pot: Path, root: Path = ROOT) -> None:
    """Writes the template of every msgid under `root` (Python and Jinja, as babel.cfg says) to `pot`."""
    keywords = [arg for keyword in KEYWORDS for arg in ("-k", keyword)]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(root / "babel.cfg"),
            *keywords,
            "--no-location",
            "--sort-output",
            "-o",
            str(pot),
            str(root),
        ],
        check=True,
        capture_output=True,
    )


def update() -> None:
    extract(POT)
    for locale in LOCALES:
        path = po_path(locale)
        catalog = load(path, locale) if path.exists() else load(POT, locale)
        # A fresh template each time: Babel shares new message objects between template and catalog.
        catalog.update(load(POT), no_fuzzy_matching=True)
        for message in catalog:
            if message.id and locale == "zh_CN":
                message.string = source_text(message.id, catalog.num_plurals)
            message.flags.discard("fuzzy")
        catalog.obsolete.clear()
        save(catalog, path)


def source_text(msgid: str | tuple[str, ...], num_plurals: int) -> str | tuple[str, ...]:
    """zh_CN's translation of its own msgid; for a plural pair, its forms (one in Chinese: the plural msgid)."""
    if isinstance(msgid, str):
        return msgid
    return msgid if len(msgid) == num_plurals else (msgid[-1],) * num_plurals


def untranslated(string: str | tuple[str, ...]) -> bool:
    """No text, or a plural message with a form left empty."""
    return not string if isinstance(string, str) else not string or not all(string)


def missing(locale: str) -> list[str]:
    catalog = load(po_path(locale), locale)
    return ["|".join(m.id) if isinstance(m.id, tuple) else m.id for m in catalog if m.id and untranslated(m.string)]


PLACEHOLDER = re.compile(r"%\((\w+)\)s")


#: A % that starts no %(name)s placeholder and is not %%.
BARE_PERCENT = re.compile(r"%(?![(%])")


def placeholder_mismatches(locale: str) -> list[str]:
    """Translations whose %(name)s placeholders differ from their msgid's (a plural's singular form may leave out
    `num`, as in "one month"): a form that lost a value, or one that is not a translation at all."""
    catalog = load(po_path(locale), locale)
    wrong = []
    for message in catalog:
        if not message.id or untranslated(message.string):
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(ids[0]))
        for index, form in enumerate(forms):
            if BARE_PERCENT.search(form) and not BARE_PERCENT.search(ids[0]):  # "10% off": `%` formatting fails
                wrong.append(f"{ids[0]!r} -> {form!r} (a bare %: write 'percent' or %%)")
                continue
            found = set(PLACEHOLDER.findall(form))
            if found != wanted and not (len(ids) > 1 and index == 0 and found == wanted - {"num"}):
                wrong.append(f"{ids[0]!r} -> {form!r}")
    return wrong


def check() -> int:
    gaps = {locale: missing(locale) for locale in LOCALES}
    for locale, ids in gaps.items():
        for msgid in ids:
            print(f"{locale}: no translation for {msgid!r}")
    wrong = {locale: placeholder_mismatches(locale) for locale in LOCALES}
    for locale, pairs in wrong.items():
        for pair in pairs:
            print(f"{locale}: placeholders differ: {pair}")
    return 1 if any(gaps.values()) or any(wrong.values()) else 0


def compile_all() -> None:
    for locale in LOCALES:
        compile_catalog(po_path(locale), po_path(locale).with_suffix(".mo"))


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "compile"
    if command == "update":
        update()
    elif command == "check":
        sys.exit(check())
    else:
        compile_all()
