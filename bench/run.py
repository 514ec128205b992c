"""The benchmark of issue 16: the console against the framework floor, in one run, on this machine.

    .venv/bin/python bench/run.py [--quick] [--no-postgres]      (make bench)

It starts the floor (bench/floor.py: a bare Litestar route returning text) and the console side by side on
loopback ports (uvicorn, one worker each, then two), on a fresh SQLite file with the demo data, signs in as
partner-a and drives each target with wrk (Debian's; -t2 -c64 -d8s, 3 s with --quick), the floor and the console
interleaved, twice. It prints one table (requests/s, p50, p99, share of the floor) for /healthz, the detail page
/plan, the htmx preview of the change page, and a write (16 concurrent writers submitting tickets; 4xx/5xx and
socket errors counted); then /healthz while 40 clients sign in at once (argon2 at its production cost); then
the same pages on PostgreSQL (tools/pg_test_server.sh's throwaway server, 2 workers, and 200 concurrent clients
with the 5xx counted); then memory per worker and the cold start (process start to the first 200 on /healthz);
then bench/settle.py (payments settled per second from a script, no HTTP). It prints; nothing fails on a figure.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
CONSOLE = str(VENV_BIN / "partner-console")
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
LOGIN, PASSWORD = "partner-a", "demo-pass-2026"
DEMO_LOGINS = ("partner-a", "partner-a-ops", "partner-b", "partner-b-buyer", "partner-b-other")
#: The change page's live preview for a Basic plan (partner-a has none): the purchase of Premium for 3 months.
PREVIEW = "/plan/change?level=premium&months=3"
PG_PORT = 56160
#: Whose code the console runs: this checkout, or another one (--tree: a "before" copy, `git archive` of a commit).
CODE = [ROOT]

LUA = r"""
local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end
function init(args)
  s4 = 0; s5 = 0; n = 0
end
wrk.method = "%(method)s"
%(headers)s
local form = %(form)s
if form then
  function request()
    n = n + 1
    return wrk.format(nil, nil, nil, string.format(form, id, n))
  end
end
function response(status, headers, body)
  if status >= 500 then s5 = s5 + 1 elseif status >= 400 then s4 = s4 + 1 end
end
function done(summary, latency, requests)
  local t4, t5 = 0, 0
  for _, t in ipairs(threads) do t4 = t4 + t:get("s4"); t5 = t5 + t:get("s5") end
  local e = summary.errors
  io.write(string.format("BENCH %%d %%d %%d %%d %%d %%d %%d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), t4, t5, e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    n4xx: int = 0
    n5xx: int = 0
    socket_errors: int = 0


@dataclass
class Target:
    name: str
    path: str
    headers: dict[str, str]
    method: str = "GET"
    form: str | None = None  # a form body with %d %d for (wrk thread, request number): each request is new
    connections: int = 64


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def lua(target: Target) -> str:
    headers = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in target.headers.items())
    form = "nil" if target.form is None else '"' + target.form.replace('"', '\\"') + '"'
    return LUA % {"method": target.method, "headers": headers, "form": form}


def wrk(url: str, target: Target, seconds: float, tmp: Path, threads: int = 2) -> Result:
    script = tmp / "target.lua"
    script.write_text(lua(target))
    connections = max(target.connections, threads)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "-s", str(script)]
    out = subprocess.run([*command, url + target.path], capture_output=True, text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("BENCH "))
    requests, duration, p50, p99, n4, n5, errors = (int(x) for x in line.split()[1:])
    return Result(requests / (duration / 1e6), p50 / 1000, p99 / 1000, n4, n5, errors)


class Server:
    """A server process in its own process group (ended by its group id when done)."""

    def __init__(
        self, command: list[str], port: int, env: dict[str, str], log: Path, cwd: Path = ROOT, ready: str = "/healthz"
    ) -> None:
        self.port, self.url = port, f"http://127.0.0.1:{port}"
        self.log = log.open("w")
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.cold_start = self.wait(ready)

    def wait(self, path: str = "/healthz") -> float:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: see {self.log.name}")
            try:
                if httpx.get(self.url + path, timeout=1, trust_env=False).status_code == 200:
                    return time.perf_counter() - self.started
            except httpx.HTTPError:
                pass
            time.sleep(0.005)
        raise RuntimeError(f"server did not answer: see {self.log.name}")

    def workers(self) -> list[int]:
        """The pids serving: the worker processes under a multi-worker uvicorn, else the process itself."""
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        except OSError:
            children = []
        pids = [int(c) for c in children if rss_mib(int(c)) > 20]
        return pids or [self.proc.pid]

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()


def rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def env_for(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSOLE_")}
    env.update(CONSOLE_DATABASE_URL=database_url, CONSOLE_DEMO="1", CONSOLE_SCHEDULER="off")
    env["PYTHONPATH"] = str(CODE[0])
    return env


def cli(env: dict[str, str], *args: str) -> None:
    subprocess.run([CONSOLE, *args], env=env, cwd=env["PYTHONPATH"], check=True, capture_output=True)


def floor(workers: int, tmp: Path) -> Server:
    port = free_port()
    command = [str(VENV_BIN / "uvicorn"), "bench.floor:app", "--port", str(port), "--log-level", "warning"]
    command += ["--workers", str(workers)] if workers > 1 else []
    return Server(command, port, dict(os.environ), tmp / f"floor-{workers}.log", ready="/")


def console(env: dict[str, str], workers: int, tmp: Path, tag: str) -> Server:
    port = free_port()
    command = [CONSOLE, "serve", "--port", str(port), "--workers", str(workers)]
    return Server(command, port, env, tmp / f"console-{tag}-{workers}.log", cwd=CODE[0])


def sign_in(url: str) -> tuple[str, str]:
    """partner-a's cookies and a CSRF token for the ticket form."""
    with httpx.Client(base_url=url, trust_env=False, timeout=30) as client:
        token = CSRF.search(client.get("/login").text)
        assert token, "no CSRF token on /login"
        answer = client.post("/login", data={"login": LOGIN, "password": PASSWORD, "_csrf_token": token.group(1)})
        assert answer.status_code == 303, answer.status_code
        tickets = CSRF.search(client.get("/tickets").text)
        assert tickets, "no CSRF token on /tickets"
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        return cookie, tickets.group(1)


def anonymous_login_form(url: str) -> tuple[str, str]:
    with httpx.Client(base_url=url, trust_env=False, timeout=30) as client:
        token = CSRF.search(client.get("/login").text)
        assert token
        return "; ".join(f"{n}={v}" for n, v in client.cookies.items()), token.group(1)


def targets(cookie: str, token: str) -> list[Target]:
    signed = {"Cookie": cookie}
    form = "kind=business&severity=general&title=bench%%20%d-%d&description=load%%20test%%20ticket"
    return [
        Target("`/healthz`", "/healthz", {}),
        Target("detail page `/plan`", "/plan", signed),
        Target(f"htmx preview `{PREVIEW}`", PREVIEW, {**signed, "HX-Request": "true"}),
        Target(
            "write: submit a ticket, 16 writers",
            "/tickets",
            {**signed, "x-csrftoken": token, "Content-Type": "application/x-www-form-urlencoded"},
            method="POST",
            form=form,
            connections=16,
        ),
    ]


FLOOR = Target("floor", "/", {})


def interleaved(
    floor_server: Server, server: Server, chosen: list[Target], seconds: float, rounds: int, tmp: Path
) -> dict[str, tuple[Result, float]]:
    """Each target after a floor run at the same concurrency, `rounds` times; the mean of the rounds (p99: the
    worst) and the mean share of the floor."""
    runs: dict[str, list[tuple[Result, Result]]] = {t.name: [] for t in chosen}
    for _ in range(rounds):
        for target in chosen:
            base = wrk(floor_server.url, Target("floor", "/", {}, connections=target.connections), seconds, tmp)
            runs[target.name].append((base, wrk(server.url, target, seconds, tmp)))
    summary = {}
    for name, pairs in runs.items():
        results = [r for _, r in pairs]
        merged = Result(
            statistics.mean(r.rps for r in results),
            statistics.mean(r.p50_ms for r in results),
            max(r.p99_ms for r in results),
            sum(r.n4xx for r in results),
            sum(r.n5xx for r in results),
            sum(r.socket_errors for r in results),
        )
        summary[name] = (merged, statistics.mean(r.rps / b.rps for b, r in pairs))
    return summary


def row(name: str, result: Result, share: str, note: str = "") -> str:
    errors = f"{result.n4xx} × 4xx, {result.n5xx} × 5xx, {result.socket_errors} socket errors"
    return (
        f"| {name} | {result.rps:,.0f} | {result.p50_ms:.1f} ms | {result.p99_ms:.1f} ms | {share} | "
        f"{errors}{'; ' + note if note else ''} |"
    )


HEAD = "| what | requests/s | p50 | p99 | {} | errors |\n| --- | --- | --- | --- | --- | --- |"


def sqlite_runs(args: argparse.Namespace, tmp: Path) -> dict[str, Result]:
    env = env_for(f"sqlite:///{tmp / 'console.sqlite3'}")
    cli(env, "migrate")
    cli(env, "demo")
    figures: dict[str, Result] = {}
    one: dict[str, Result] = {}
    for workers in args.workers:
        floor_server = floor(workers, tmp)
        server = console(env, workers, tmp, "sqlite")
        try:
            cookie, token = sign_in(server.url)
            chosen = targets(cookie, token)
            base = wrk(floor_server.url, FLOOR, args.seconds, tmp)
            summary = interleaved(floor_server, server, chosen, args.seconds, args.rounds, tmp)
            print(
                f"\n### SQLite, {workers} worker{'s' if workers > 1 else ''} each (floor: {base.rps:,.0f} requests/s)"
            )
            extra = "share of the floor" if workers == 1 else "share of the floor; × one worker"
            print(HEAD.format(extra))
            print(row("floor: a bare Litestar route returning text", base, "100 %"))
            for target in chosen:
                result, share = summary[target.name]
                text = f"{share * 100:.1f} %"
                if workers == 2:
                    text += f"; {result.rps / max(one[target.name].rps, 1e-9):.2f}×" if target.name in one else ""
                print(row(target.name, result, text))
                (one if workers == 1 else figures)[target.name] = result
            if workers == 1:
                sign_ins(server, args, tmp)
                rss = [rss_mib(pid) for pid in server.workers()]
                cold = cold_start(env, tmp)
                print(
                    f"\nmemory: {', '.join(f'{r:.0f} MiB' for r in rss)} resident per worker after the load; "
                    f"cold start (process start → first 200 on /healthz): {cold:.2f} s "
                    f"(the floor's: {floor_server.cold_start:.2f} s)"
                )
            else:
                rss = [rss_mib(pid) for pid in server.workers()]
                print(f"\nmemory with 2 workers: {', '.join(f'{r:.0f} MiB' for r in rss)} resident per worker")
        finally:
            server.stop()
            floor_server.stop()
    return figures


def cold_start(env: dict[str, str], tmp: Path) -> float:
    """The best of three starts of one worker, process start to the first 200 on /healthz."""
    times = []
    for _ in range(3):
        server = console(env, 1, tmp, "cold")
        times.append(server.cold_start)
        server.stop()
    return min(times)


def sign_ins(server: Server, args: argparse.Namespace, tmp: Path) -> None:
    """/healthz (8 clients) while 40 clients sign in over and over (argon2 at its production cost)."""
    cookie, token = anonymous_login_form(server.url)
    login = Target(
        "sign-in",
        "/login",
        {"Cookie": cookie, "x-csrftoken": token, "Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
        form="",
        connections=40,
    )
    script = tmp / "login.lua"
    # The demo's five logins in turn: 40 at once for one login would be throttled (10 tries in a row, SPEC.md §11).
    logins = "{" + ", ".join(f'"{name}"' for name in DEMO_LOGINS) + "}"
    script.write_text(
        lua(login).replace(
            "return wrk.format(nil, nil, nil, string.format(form, id, n))",
            f"local logins = {logins}\n    return wrk.format(nil, nil, nil, "
            f'"login=" .. logins[n % {len(DEMO_LOGINS)} + 1] .. "&password={PASSWORD}")',
        )
    )
    seconds = args.seconds
    command = ["wrk", "-t1", "-c40", f"-d{seconds + 2}s", "--timeout", "30s", "-s", str(script), server.url + "/login"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as signing:
        time.sleep(1)
        health = wrk(server.url, Target("healthz", "/healthz", {}, connections=8), seconds, tmp / "h", threads=1)
        out = signing.communicate()[0]
    line = next(line for line in out.splitlines() if line.startswith("BENCH "))
    requests, duration, _, p99, n4, n5, errors = (int(x) for x in line.split()[1:])
    print(
        f"\n/healthz (8 clients) during 40 concurrent sign-ins: p50 {health.p50_ms:.1f} ms, p99 {health.p99_ms:.1f} ms"
        f" ({health.rps:,.0f} requests/s); the sign-ins: {requests / (duration / 1e6):.1f}/s, p99 {p99 / 1000:.0f} ms,"
        f" {n4} × 4xx, {n5} × 5xx, {errors} socket errors"
    )


def postgres_run(args: argparse.Namespace, tmp: Path, sqlite: dict[str, Result]) -> None:
    pg_dir = Path(tempfile.gettempdir()) / "pg-bench-console"
    started = subprocess.run(
        [str(ROOT / "tools" / "pg_test_server.sh"), "start", str(pg_dir), str(args.pg_port)],
        capture_output=True,
        text=True,
    )
    if started.returncode != 0:  # say why and go on with the rest of the run (its figures still count)
        print(f"\n### PostgreSQL: the throwaway server did not start (exit {started.returncode})")
        print("```\n" + (started.stderr or started.stdout).strip()[-2000:] + "\n```")
        return
    url = started.stdout.strip()
    try:
        env = env_for(url)
        cli(env, "migrate")
        cli(env, "demo")
        server = console(env, 2, tmp, "pg")
        try:
            cookie, token = sign_in(server.url)
            chosen = targets(cookie, token)
            print(f"\n### PostgreSQL, 2 workers (pool of {env.get('CONSOLE_PG_POOL_SIZE', '10')} per worker)")
            print(HEAD.format("of SQLite, 2 workers"))
            for target in chosen:
                results = [wrk(server.url, target, args.seconds, tmp) for _ in range(args.rounds)]
                result = Result(
                    statistics.mean(r.rps for r in results),
                    statistics.mean(r.p50_ms for r in results),
                    max(r.p99_ms for r in results),
                    sum(r.n4xx for r in results),
                    sum(r.n5xx for r in results),
                    sum(r.socket_errors for r in results),
                )
                base = sqlite.get(target.name)
                print(row(target.name, result, f"{result.rps / base.rps * 100:.0f} %" if base and base.rps else ""))
            for target in chosen[1:]:
                target.connections = 200
                target.name = (
                    target.name.replace("16 writers", "200 writers") if target.form else target.name + ", 200 clients"
                )
                print(row(target.name, wrk(server.url, target, args.seconds, tmp), ""))
        finally:
            server.stop()
    finally:
        subprocess.run([str(ROOT / "tools" / "pg_test_server.sh"), "stop", str(pg_dir)], capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 s a run instead of 8")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL run")
    parser.add_argument("--no-settle", action="store_true", help="skip bench/settle.py")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=lambda t: [int(w) for w in t.split(",")], default=[1, 2], help="1,2")
    parser.add_argument("--pg-port", type=int, default=PG_PORT)
    parser.add_argument("--tree", type=Path, help="run the console of another checkout (a before copy)")
    args = parser.parse_args()
    if args.tree:
        CODE[0] = args.tree.resolve()
    args.seconds = 3 if args.quick else 8
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")
    print(
        f"# make bench, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
        f"wrk -t2 -c64 -d{args.seconds}s (writes -c16), {args.rounds} rounds interleaved with the floor"
    )
    with tempfile.TemporaryDirectory(prefix="console-bench-") as name:
        tmp = Path(name)
        (tmp / "h").mkdir()
        sqlite = sqlite_runs(args, tmp)
        if not args.no_postgres:
            postgres_run(args, tmp, sqlite)
    if not args.no_settle:
        print()
        subprocess.run([sys.executable, str(ROOT / "bench" / "settle.py")], check=True, cwd=ROOT)


if __name__ == "__main__":
    main()
