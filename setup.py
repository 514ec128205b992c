"""The package build: pyproject.toml declares the project; this adds one step to setuptools' build_py.

The message catalogs (locale/), the page templates (templates/) and the static files (static/) sit at the top of
the checkout, outside the Python packages, so a wheel built from pyproject.toml alone has none of them. The step
copies them into the build as package data: each catalog's .po to models/locale/<locale>/LC_MESSAGES/ with its
.mo compiled next to it (Babel, a build requirement), templates/ and static/ to web/templates/ and web/static/.
An installed wheel so serves English without `make catalogs` (models/i18n.py finds models/locale/ first).

An editable install (`pip install -e .`, the Makefile's) runs from the checkout: nothing is copied, and
models/i18n.py compiles a missing or outdated .mo at start-up."""

from __future__ import annotations

import shutil
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
#: (directory of the checkout, where it goes in the build)
ASSETS = (("templates", "web/templates"), ("static", "web/static"))


class BuildWithCatalogs(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        build = Path(self.build_lib)
        for po in sorted((HERE / "locale").glob("*/LC_MESSAGES/*.po")):
            target = build / "models" / po.relative_to(HERE)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(po, target)
            with po.open("rb") as handle:
                catalog = read_po(handle, locale=po.parent.parent.name)
            with target.with_suffix(".mo").open("wb") as handle:
                write_mo(handle, catalog)
        for source, destination in ASSETS:
            shutil.copytree(HERE / source, build / destination, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithCatalogs})
