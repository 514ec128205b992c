"""A live console for end-to-end tests: its own SQLite file, its own port, its own process group.

    srv = ConsoleServer(tmp_path, now="2024-01-01T10:30:00+08:00").start()
    srv.url                      # http://127.0.0.1:PORT
    srv.cli("balance", "top-up", "alice", "100")
    srv.restart(now="2024-01-08T10:30:00+08:00")   # same database, same port, new pinned time
    srv.stop()
    ConsoleServer(tmp_path, extra_env={"CONSOLE_DATABASE_URL": pg_url}, workers=4)   # PostgreSQL, `serve --workers 4`

The CLI is run as `python -m tests.helpers.cheap_hash_cli ...` (`web.cli` with argon2's cheapest parameters, as the
unit tests hash) with the interpreter running pytest and the repository root as working directory, so it needs neither
PATH nor an installed entry point; with another `root` it is `python -m web.cli ...`.

Migrate + demo at a pinned time run once per process for each set of settings: the first server makes a template
database, the next ones with the same CONSOLE_* settings start on a copy of it (what migrate + demo would have made
again: demo data depends only on the pinned clock). A real clock, a database of the caller's (extra_env's
CONSOLE_DATABASE_URL) or an existing file are prepared by migrate + demo as always.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 30.0
CLI_TIMEOUT = 120.0
_LOG_TAIL = 6000

# Loopback only, and never through a proxy that the environment may name.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _die_with_parent() -> None:
    """In the child: get SIGTERM if pytest dies without stopping us (Linux), so no server is left behind."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_now(now: str | datetime | None) -> str | None:
    if now is None:
        return None
    if isinstance(now, datetime):
        if now.tzinfo is None:
            raise ValueError("a pinned time needs a UTC offset")
        return now.isoformat()
    return str(now)


def _tail(path: Path, limit: int = _LOG_TAIL) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return "(no output)"
    if len(text) > limit:
        text = "…" + text[-limit:]
    return text or "(empty)"


class CLIError(subprocess.CalledProcessError):
    """A CLI command that failed; its str() shows what it printed."""

    def __str__(self) -> str:
        return (
            f"{' '.join(map(str, self.cmd))} exited with {self.returncode}\n"
            f"--- stdout ---\n{self.stdout or ''}\n--- stderr ---\n{self.stderr or ''}"
        )


class ConsoleServer:
    """One console: migrate + demo on a fresh database, then `serve` as a subprocess."""

    def __init__(
        self,
        tmp_dir: str | os.PathLike,
        now: str | datetime | None = None,
        *,
        demo: bool = True,
        secret_key: str = "e2e-secret-key-not-for-production",
        extra_env: dict[str, str] | None = None,
        root: str | os.PathLike = REPO_ROOT,
        workers: int = 1,
    ) -> None:
        self.dir = Path(tmp_dir).resolve()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.root = Path(root).resolve()
        self.db_path = self.dir / "console.sqlite3"
        self.stdout_path = self.dir / "server.stdout.log"
        self.stderr_path = self.dir / "server.stderr.log"
        self.demo = demo
        self.workers = workers  # uvicorn worker processes (`serve --workers N`); 1: the default single process
        self.port = free_port()
        self.host = "127.0.0.1"
        self.url = f"http://{self.host}:{self.port}"
        self.proc: subprocess.Popen | None = None
        self._prepared = False

        env = {k: v for k, v in os.environ.items() if not k.startswith("CONSOLE_")}
        env.update(
            CONSOLE_DATABASE_URL=f"sqlite:///{self.db_path}",  # absolute path: sqlite:////abs/…
            CONSOLE_SECRET_KEY=secret_key,
            CONSOLE_DEMO="1",  # the harness runs the demo mode (SPEC.md §11): sandbox gateway, demo banner
            PYTHONUNBUFFERED="1",
            PYTHONDONTWRITEBYTECODE="1",
        )
        env.update(extra_env or {})
        self.env: dict[str, str] = env
        self._set_now(now)

    # ------------------------------------------------------------------ clock
    @property
    def now(self) -> str | None:
        """The pinned CONSOLE_NOW, or None when the clock is real."""
        return self.env.get("CONSOLE_NOW")

    def _set_now(self, now: str | datetime | None) -> None:
        value = _as_now(now)
        if value is None:
            self.env.pop("CONSOLE_NOW", None)
        else:
            self.env["CONSOLE_NOW"] = value

    # -------------------------------------------------------------------- CLI
    @property
    def _cli_command(self) -> list[str]:
        module = "tests.helpers.cheap_hash_cli" if self.root == REPO_ROOT else "web.cli"
        return [sys.executable, "-m", module]

    def cli(self, *args: object, check: bool = True, timeout: float = CLI_TIMEOUT) -> subprocess.CompletedProcess:
        """Run `partner-console ARGS…` on this server's database (and pinned clock).

        Raises CLIError (a CalledProcessError showing stdout/stderr) on a non-zero exit unless check=False.
        """
        return self._cli(args, self.env, check=check, timeout=timeout)

    def _cli(
        self, args: tuple[object, ...], env: dict[str, str], *, check: bool = True, timeout: float = CLI_TIMEOUT
    ) -> subprocess.CompletedProcess:
        cmd = [*self._cli_command, *map(str, args)]
        result = subprocess.run(
            cmd,
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        if check and result.returncode != 0:
            raise CLIError(result.returncode, cmd, result.stdout, result.stderr)
        return result

    def latest_code(self, login: str) -> str:
        return latest_code(self, login)

    # --------------------------------------------------------------- lifecycle
    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> ConsoleServer:
        """Migrate (+ demo data) the first time, then serve and wait for /healthz."""
        if self.running:
            return self
        if not self._prepared:
            self._prepare()
            self._prepared = True
        with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
            marker = f"\n===== start {datetime.now().isoformat()} CONSOLE_NOW={self.now} =====\n".encode()
            out.write(marker)
            err.write(marker)
            out.flush()
            err.flush()
            self._err_offset = err.tell()
            self.proc = subprocess.Popen(
                [
                    *self._cli_command,
                    "serve",
                    "--host",
                    self.host,
                    "--port",
                    str(self.port),
                    *(["--workers", str(self.workers)] if self.workers != 1 else []),
                ],
                cwd=self.root,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,  # its own process group, killed as one in stop()
                preexec_fn=_die_with_parent,
            )
        _LIVE.add(self)
        self._wait_healthy()
        return self

    def _prepare(self) -> None:
        """migrate (+ demo) on this server's database, or a copy of the template made by the first such server."""
        key = self._template_key()
        if key is None:
            self.cli("migrate")
            if self.demo:
                self.cli("demo")
            return
        template = _TEMPLATES.get(key)
        if template is None:
            template = _template_dir() / f"template-{len(_TEMPLATES)}.sqlite3"
            env = {**self.env, "CONSOLE_DATABASE_URL": f"sqlite:///{template}"}
            self._cli(("migrate",), env)
            if self.demo:
                self._cli(("demo",), env)
            with contextlib.closing(sqlite3.connect(template)) as conn:  # all of it in the file that is copied
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            _TEMPLATES[key] = template
        shutil.copyfile(template, self.db_path)

    def _template_key(self) -> tuple | None:
        """What migrate + demo's result depends on, or None when it is not to be shared (see the module's doc)."""
        if self.now is None or self.env["CONSOLE_DATABASE_URL"] != f"sqlite:///{self.db_path}":
            return None
        if any(self.db_path.parent.glob(self.db_path.name + "*")):
            return None
        settings = tuple(sorted((k, v) for k, v in self.env.items() if k.startswith("CONSOLE_")))
        return (str(self.root), self.demo, tuple(item for item in settings if item[0] != "CONSOLE_DATABASE_URL"))

    def _wait_healthy(self, timeout: float = STARTUP_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                code = self.proc.returncode
                self.stop()
                raise RuntimeError(
                    f"console server exited with {code} before answering {self.url}/healthz\n"
                    f"--- server stderr ---\n{self._stderr_since_start()}"
                )
            try:
                with _OPENER.open(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
                    last_error = f"HTTP {response.status}"
            except urllib.error.HTTPError as exc:
                last_error = f"HTTP {exc.code}"
            except (urllib.error.URLError, OSError) as exc:
                last_error = repr(exc)
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"console server did not answer 200 on {self.url}/healthz within {timeout:.0f} s "
            f"(last: {last_error})\n--- server stderr ---\n{self._stderr_since_start()}"
        )

    def _stderr_since_start(self) -> str:
        try:
            with open(self.stderr_path, "rb") as err:
                err.seek(getattr(self, "_err_offset", 0))
                text = err.read().decode(errors="replace")
        except FileNotFoundError:
            return "(no output)"
        if len(text) > _LOG_TAIL:
            text = "…" + text[-_LOG_TAIL:]
        return text or "(empty)"

    def stderr_tail(self) -> str:
        """The end of everything the server wrote to stderr (all runs), for failure messages."""
        return _tail(self.stderr_path)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server's whole process group: SIGTERM, then SIGKILL if it lingers."""
        proc, self.proc = self.proc, None
        _LIVE.discard(self)
        if proc is None:
            return
        try:
            pgid = os.getpgid(proc.pid)
        except ProcessLookupError:
            pgid = None
        if pgid is not None and pgid == proc.pid:  # never signal a group that is not the server's own
            for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(pgid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
            # Reap anything left of the group (workers, reloaders) so the port is free for a restart.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=5)

    def restart(self, now: str | datetime | None = None, *, unpin: bool = False) -> ConsoleServer:
        """Stop, optionally re-pin CONSOLE_NOW (or unpin=True for the real clock), start on the same DB and port."""
        self.stop()
        if unpin:
            self._set_now(None)
        elif now is not None:
            self._set_now(now)
        return self.start()

    def __enter__(self) -> ConsoleServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<ConsoleServer {self.url} db={self.db_path} now={self.now}>"


# A 6-digit number standing alone: not part of a longer number, an amount (123456.00, 1,234,567),
# a date or a time. A trailing full stop ("code 123456.") is allowed.
_CODE = re.compile(r"(?<![\d.,:/\-])(\d{6})(?![\d,:/\-]|\.\d)")


def latest_code(server: ConsoleServer, login: str) -> str:
    """The newest 6-digit verification code sent to LOGIN (`messages LOGIN` prints newest first)."""
    out = server.cli("messages", login).stdout
    match = _CODE.search(out)
    if not match:
        raise AssertionError(f"no 6-digit code in `messages {login}`:\n{out}")
    return match.group(1)


_LIVE: set[ConsoleServer] = set()
#: Migrated (+ demo) databases by ConsoleServer._template_key, in a folder of this process's, removed at exit.
_TEMPLATES: dict[tuple, Path] = {}
_TEMPLATE_DIR: list[Path] = []


def _template_dir() -> Path:
    if not _TEMPLATE_DIR:
        _TEMPLATE_DIR.append(Path(tempfile.mkdtemp(prefix="console-templates-")))
    return _TEMPLATE_DIR[0]


def _stop_all() -> None:
    for srv in list(_LIVE):
        with contextlib.suppress(Exception):
            srv.stop(timeout=3)
    for folder in _TEMPLATE_DIR:
        shutil.rmtree(folder, ignore_errors=True)


atexit.register(_stop_all)
