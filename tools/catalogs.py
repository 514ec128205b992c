"""Message catalogs: `update` extracts the msgids (zh-CN source text) and merges them into both catalogs,
`compile` writes the .mo files the console loads, `check` fails if a catalog misses a translation.

zh_CN is the source language, so its catalog maps each message to itself; en holds the English text."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

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


def update() -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "N_",
            "-k",
            "_",
            "--no-location",
            "--sort-output",
            "-o",
            str(POT),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    for locale in ("zh_CN", "en"):
        path = po_path(locale)
        catalog = load(path, locale) if path.exists() else load(POT, locale)
        # A fresh template each time: Babel shares new message objects between template and catalog.
        catalog.update(load(POT), no_fuzzy_matching=True)
        for message in catalog:
            if message.id and locale == "zh_CN":
                message.string = message.id
            message.flags.discard("fuzzy")
        catalog.obsolete.clear()
        save(catalog, path)


def missing(locale: str) -> list[str]:
    return [m.id for m in load(po_path(locale), locale) if m.id and not m.string]


def check() -> int:
    gaps = {locale: missing(locale) for locale in ("zh_CN", "en")}
    for locale, ids in gaps.items():
        for msgid in ids:
            print(f"{locale}: no translation for {msgid!r}")
    return 1 if any(gaps.values()) else 0


def compile_all() -> None:
    for locale in ("zh_CN", "en"):
        catalog = load(po_path(locale), locale)
        with po_path(locale).with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "compile"
    if command == "update":
        update()
    elif command == "check":
        sys.exit(check())
    else:
        compile_all()
