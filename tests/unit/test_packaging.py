"""English however the project is installed (issue 12): the wheel a plain `pip install .` builds carries the
catalogs, compiled (setup.py's build step), and the installed package translates without `make catalogs`; a
catalog whose .mo is missing is compiled at start-up, into the cache when the package directory is read-only.

The wheel is built the way pip builds it, offline (no build isolation: the test environment has setuptools and
Babel), from a copy of the working tree, so no build/ directory is left in the checkout. A few seconds in all."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import textwrap
import time
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: What the checkout has that a build never reads.
NOT_BUILT = {".git", ".venv", "var", "build", "dist", "tests", "docs", "bench", "test-results", "node_modules"}
CATALOGS = [
    f"models/locale/{locale}/LC_MESSAGES/messages.{suffix}" for locale in ("zh_CN", "en") for suffix in ("po", "mo")
]

pytestmark = pytest.mark.slow


def run(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, f"{args}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def ignored(directory: str, names: list[str]) -> set[str]:
    top = Path(directory) == ROOT
    return {
        name
        for name in names
        if (top and name in NOT_BUILT)
        or name.endswith((".egg-info", ".mo", ".pyc"))
        or name.startswith(".")
        or name in {"__pycache__"}
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(the wheel, the sdist) of a copy of the working tree."""
    base = tmp_path_factory.mktemp("package")
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=ignored)
    dist = base / "dist"
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", dist, source)
    sdist = run(
        sys.executable, "-c", f"import setuptools.build_meta as b; print(b.build_sdist({str(dist)!r}))", cwd=source
    ).split()[-1]
    (wheel,) = dist.glob("*.whl")
    return wheel, dist / sdist


@pytest.fixture(scope="module")
def installed(built, tmp_path_factory):
    """A fresh venv with the wheel installed (not editable); the dependencies come from the test's own
    environment through a .pth line placed after the venv's own site-packages, so the wheel's copy of the
    packages is the one imported (that environment's editable install of the checkout is not activated)."""
    wheel, _ = built
    venv = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel)
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").strip())
    dependencies = [p for p in sys.path if p.endswith("site-packages")]
    (site / "zz_test_dependencies.pth").write_text("\n".join(dependencies) + "\n")
    return python, site


PROBE = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    import models.i18n as i18n
    en = i18n.translations("en")
    print(json.dumps({
        "module": i18n.__file__,
        "locale_dir": str(i18n.LOCALE_DIR),
        "sign_in": en.gettext("登录"),
        "zh": i18n.translations("zh_CN").gettext("登录"),
        "cli": i18n.gettext("登录", "en"),
    }))
    """
)


def probe(python: Path, cache: Path) -> dict:
    return json.loads(run(python, "-c", PROBE, cwd=cache.parent, env={"XDG_CACHE_HOME": str(cache)}))


def test_the_wheel_and_the_sdist_carry_the_catalogs_templates_and_static_files(built):
    wheel, sdist = built
    names = set(zipfile.ZipFile(wheel).namelist())
    assert set(CATALOGS) <= names
    assert {"web/templates/base.html", "web/templates/account/login.html", "web/static/htmx.min.js"} <= names
    assert "web/static/app.css" in names and "models/i18n.py" in names
    with tarfile.open(sdist) as archive:
        members = {Path(*Path(name).parts[1:]).as_posix() for name in archive.getnames()}
    assert {"setup.py", "locale/en/LC_MESSAGES/messages.po", "templates/base.html", "static/app.css"} <= members
    assert not any(name.endswith(".mo") for name in members), "the sdist ships sources; the build compiles them"


def test_the_installed_package_speaks_english_with_the_compiled_catalog_it_ships(installed, tmp_path):
    python, site = installed
    cache = tmp_path / "cache"
    answer = probe(python, cache)
    assert Path(answer["module"]).is_relative_to(site), answer
    assert answer["locale_dir"] == str(site / "models" / "locale")
    assert answer["sign_in"] == "Sign in" and answer["cli"] == "Sign in"
    assert answer["zh"] == "登录"
    assert not cache.exists(), "the shipped .mo was used as it is: nothing compiled at start-up"


def test_the_installed_package_compiles_a_missing_or_outdated_catalog_at_start_up(installed, tmp_path):
    python, site = installed
    messages = site / "models" / "locale" / "en" / "LC_MESSAGES"
    mo, po = messages / "messages.mo", messages / "messages.po"
    shipped = mo.read_bytes()
    cache = tmp_path / "cache"
    mo.unlink()
    assert probe(python, cache)["sign_in"] == "Sign in"
    assert mo.read_bytes() == shipped, "compiled next to its .po (the directory is writable here)"
    mo.write_bytes(b"")  # an outdated .mo: its .po is newer
    later = time.time() + 60
    os.utime(po, (later, later))
    assert probe(python, cache)["sign_in"] == "Sign in"
    assert mo.read_bytes() == shipped
    assert not cache.exists()


PAGE = textwrap.dedent(
    """
    import asyncio, json, sys
    from litestar.testing import AsyncTestClient
    import web.app
    from web.settings import Settings

    async def main():
        settings = Settings(database_url="sqlite:///" + sys.argv[1], secret_key="k" * 40, demo=True, gateway="sandbox")
        async with AsyncTestClient(app=web.app.create_app(settings)) as client:
            client.cookies.set("lang", "en")
            page = await client.get("/login")
            css = await client.get("/static/app.css")
            print(json.dumps({"module": web.app.__file__, "status": page.status_code, "html": page.text,
                              "css": css.status_code}))

    asyncio.run(main())
    """
)


def test_the_installed_package_serves_the_english_sign_in_page(installed, tmp_path):
    python, site = installed
    answer = json.loads(run(python, "-c", PAGE, tmp_path / "console.sqlite3", cwd=tmp_path).splitlines()[-1])
    assert Path(answer["module"]).is_relative_to(site)
    assert answer["status"] == 200 and answer["css"] == 200
    assert '<html lang="en">' in answer["html"] and "<title>Sign in" in answer["html"]
    assert "登录" not in answer["html"]
