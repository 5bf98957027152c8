"""Load benchmark of the respondent path (not a test): gunicorn + PostgreSQL + Redis, and
the embedded SQLite default, against the floor of ``../shared/bench/web_floor``.

    python bench/load_submit.py                       # PG and SQLite, 3 × 60 s, 16 respondents
    python bench/load_submit.py --db pg --phases 1 --phase-seconds 20 --no-floor

Each simulated respondent opens a fresh invitation link (``GET /r/<token>``, which answers
with the form; a link that redirects with 303 is followed to ``GET /respond``), and submits
the form (``POST /respond`` with the CSRF token taken from it → 303). The driver is a
small asyncio HTTP/1.1 client (one keep-alive connection and one cookie jar per
respondent) rather than wrk: wrk's Lua has no per-connection state, so cookies, CSRF
tokens and per-step latencies would need one wrk thread per connection. Its CPU use is
reported beside the server's.

At the end it checks the database: stored responses == successful submits == used
invitations == responses with answers (every flow started before the deadline is
finished, so nothing is in flight), and prints flows/s, p50/p95/p99 of the submit, the
error rate, and the ratio to the floor's flow rate, 1 / (1/submits per s + 1/forms per s),
measured in the same run with the floor's own ``bench.py one`` (same gunicorn settings).
Tokens and invitations are made with the app's own keyed hash (``bench/respond_seed.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR = ROOT.parent / "shared" / "bench" / "web_floor"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgresql+psycopg://postgres@127.0.0.1:5432/parindex_bench"
REDIS = "redis://127.0.0.1:6379/0"
SECRET = "bench-secret-" + "k" * 32
PORT = 8078
CSRF = re.compile(rb'name="csrf_token" value="([^"]+)"')
CODES = [f"Q{i:02d}" for i in range(1, 13)]
CLK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- the driver
class Connection:
    """One keep-alive HTTP/1.1 connection with one cookie (the Flask session)."""

    def __init__(self, port: int) -> None:
        self.port, self.cookie = port, b""
        self.reader = self.writer = None

    async def request(self, method: str, path: str, body: bytes = b""):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
        if self.cookie:
            head += b"Cookie: " + self.cookie + b"\r\n"
        if body:
            head += b"Content-Type: application/x-www-form-urlencoded\r\n"
        head += f"Content-Length: {len(body)}\r\n\r\n".encode()
        self.writer.write(head + body)
        status_line = await self.reader.readuntil(b"\r\n")
        headers = (await self.reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
        length, close = 0, False
        for line in headers:
            name, _, value = line.partition(b":")
            name = name.lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"set-cookie":
                self.cookie = value.strip().split(b";", 1)[0]
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        data = await self.reader.readexactly(length) if length else b""
        if close:
            self.close()
        return int(status_line.split()[1]), data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Tally:
    flows: int = 0
    submits: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    submit_ms: list[float] = field(default_factory=list)
    flow_ms: list[float] = field(default_factory=list)

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


async def respondent(port: int, tokens, deadline: float, phases: list[Tally], starts, seed):
    rng = random.Random(seed)
    conn = Connection(port)
    while time.perf_counter() < deadline:
        token = next(tokens, None)
        if token is None:
            phases[-1].error("ran out of tokens")
            return
        conn.cookie = b""
        t0 = time.perf_counter()
        try:
            status, page = await conn.request("GET", f"/r/{token}")
            if status == 303:  # a link that sends on to the form
                status, page = await conn.request("GET", "/respond")
            found = CSRF.search(page) if status == 200 else None
            if found is None:
                _phase(phases, starts, t0).error(f"form {status}")
                continue
            answers = "&".join(f"{c}={rng.choice('12349')}" for c in CODES)
            body = f"csrf_token={found.group(1).decode()}&s=0&action=submit&{answers}".encode()
            t1 = time.perf_counter()
            status, _ = await conn.request("POST", "/respond", body)
            t2 = time.perf_counter()
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            conn.close()
            _phase(phases, starts, time.perf_counter()).error("connection")
            continue
        tally = _phase(phases, starts, t2)
        if status != 303:
            tally.error(f"submit {status}")
            continue
        tally.submits += 1
        tally.flows += 1
        tally.submit_ms.append(1000 * (t2 - t1))
        tally.flow_ms.append(1000 * (t2 - t0))
    conn.close()


def _phase(phases: list[Tally], starts: list[float], t: float) -> Tally:
    index = sum(1 for s in starts[1:] if t >= s)
    return phases[index]


async def drive(port: int, tokens: list[str], concurrency: int, n_phases: int, seconds: float):
    start = time.perf_counter()
    starts = [start + i * seconds for i in range(n_phases)]
    deadline = start + n_phases * seconds
    phases = [Tally() for _ in range(n_phases)]
    shared = iter(tokens) if isinstance(tokens, list) else tokens
    await asyncio.gather(
        *(respondent(port, shared, deadline, phases, starts, 7919 * i) for i in range(concurrency))
    )
    return phases, time.perf_counter() - start


# ---------------------------------------------------------------- processes and CPU
def cpu_snapshot(gunicorn_pid: int) -> dict[str, int]:
    import pwd

    pg_uid = pwd.getpwnam("postgres").pw_uid
    snap = {"gunicorn": 0, "postgres": 0}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parts = f.read().rsplit(")", 1)[1].split()
            uid = os.stat(f"/proc/{entry}").st_uid
        except (FileNotFoundError, ProcessLookupError):
            continue
        ticks, ppid = int(parts[11]) + int(parts[12]), int(parts[1])
        if int(entry) == gunicorn_pid or ppid == gunicorn_pid:
            snap["gunicorn"] += ticks
        elif uid == pg_uid:
            snap["postgres"] += ticks
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    snap["busy"] = sum(v) - v[3] - v[4]
    snap["driver"] = int(time.process_time() * CLK)
    return snap


def start_gunicorn(env: dict, folder: str) -> subprocess.Popen:
    cmd = [
        sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{PORT}", "-k", "gthread",
        "-w", "4", "--threads", "4", "--backlog", "2048", "--timeout", "60",
        "--log-level", "warning", "survey_app.wsgi:app",
    ]  # fmt: skip
    log = open(Path(folder) / "gunicorn.log", "a")  # noqa: SIM115 (closed with the process)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=2).read()
            break
        except OSError:
            time.sleep(0.1)
    else:
        stop(proc)
        raise RuntimeError(f"gunicorn did not come up; see {folder}/gunicorn.log")
    for _ in range(8):  # let every worker import the app and open its pool
        urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=2).read()
    time.sleep(1.0)
    return proc


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()  # SIGTERM to the master we started
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------- one store
def environment(db: str, folder: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARINDEX_")}
    env.update(
        PARINDEX_SECRET_KEY=SECRET,
        PARINDEX_INSTANCE_PATH=folder,
        PARINDEX_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    if db == "pg":
        env.update(PARINDEX_DATABASE_URL=PG_BENCH, PARINDEX_BROKER_URL=REDIS)
    else:
        env["PARINDEX_DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite"
    return env


def seed(db: str, folder: str, n: int) -> list[str]:
    from survey_app import create_app
    from survey_app.config import load_config

    if db == "pg":
        import psycopg

        name = PG_BENCH.rsplit("/", 1)[1]
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    from bench.respond_seed import seed_round

    env = environment(db, folder)
    app = create_app(load_config(env, folder))
    _, tokens = seed_round(app, n)
    with app.app_context():
        from survey_app.extensions import db as sa

        if db == "pg":
            with sa.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        sa.engine.dispose()
    return tokens


def db_counts(db: str, folder: str) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    url = PG_BENCH if db == "pg" else f"sqlite:///{folder}/bench.sqlite"
    keys = "jsonb_object_keys(r.answers)" if db == "pg" else "json_each(r.answers)"
    engine = create_engine(url)
    with engine.connect() as conn:
        out = {
            "responses": conn.scalar(text("SELECT count(*) FROM responses")),
            "answers": conn.scalar(text(f"SELECT count(*) FROM responses r, {keys}")),
            "answered": conn.scalar(text(f"SELECT count(DISTINCT r.id) FROM responses r, {keys}")),
            "used": conn.scalar(text("SELECT count(*) FROM invitations WHERE is_used")),
            "duplicate_hashes": conn.scalar(
                text(
                    "SELECT count(*) FROM (SELECT token_hash FROM invitations "
                    "GROUP BY token_hash HAVING count(*) > 1) x"
                )
            ),
        }
    engine.dispose()
    return out


def run_parindex(db: str, args) -> list[dict]:
    """One seeded store; one gunicorn run per configuration (``--without``: the fast
    paths each one turns off, ``survey_app/core/fastpaths.py``), one after the other on
    the same store, each with fresh invitations. Counts are checked per configuration."""
    folder = tempfile.mkdtemp(prefix=f"parindex-bench-{db}-")
    try:
        n = args.invitations
        print(f"[{db}] seeding {n} invitations …", flush=True)
        tokens = iter(seed(db, folder, n))
        out = []
        for without in args.without:
            env = environment(db, folder)
            if without:
                env["PARINDEX_BENCH_WITHOUT"] = without
            before = db_counts(db, folder)
            proc = start_gunicorn(env, folder)
            try:
                s0 = cpu_snapshot(proc.pid)
                phases, elapsed = asyncio.run(
                    drive(PORT, tokens, args.concurrency, args.phases, args.phase_seconds)
                )
                s1 = cpu_snapshot(proc.pid)
            finally:
                stop(proc)
            after = db_counts(db, folder)
            counts = {k: after[k] - before[k] for k in after if k != "duplicate_hashes"}
            counts["duplicate_hashes"] = after["duplicate_hashes"]
            rec = report(db, phases, elapsed, counts, s0, s1)
            rec["without"] = without or "-"
            print(json.dumps(rec), flush=True)
            out.append(rec)
        return out
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def report(db: str, phases: list[Tally], elapsed: float, counts: dict, s0, s1) -> dict:
    submit_ms = sorted(x for p in phases for x in p.submit_ms)
    submits = sum(p.submits for p in phases)
    errors: dict[str, int] = {}
    for p in phases:
        for k, v in p.errors.items():
            errors[k] = errors.get(k, 0) + v
    attempts = submits + sum(errors.values())
    cores = {k: round((s1[k] - s0[k]) / CLK / elapsed, 2) for k in s0}
    rec = {
        "db": db,
        "seconds": round(elapsed, 1),
        "flows_per_s": round(submits / elapsed, 1),
        "phase_flows_per_s": [round(p.flows / (elapsed / len(phases)), 1) for p in phases],
        "submit_p50_ms": round(_pct(submit_ms, 50), 1),
        "submit_p95_ms": round(_pct(submit_ms, 95), 1),
        "submit_p99_ms": round(_pct(submit_ms, 99), 1),
        "flow_p50_ms": round(statistics.median(x for p in phases for x in p.flow_ms), 1),
        "error_rate": round(sum(errors.values()) / max(1, attempts), 5),
        "errors": errors,
        "successful_submits": submits,
        **counts,
        "cpu_cores": cores,
    }
    rec["db_check"] = (
        counts["responses"] == submits == counts["used"] == counts["answered"]
        and counts["duplicate_hashes"] == 0
    )
    return rec


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


# ---------------------------------------------------------------- the floor
def run_floor(db: str, seconds: int) -> dict | None:
    if not (FLOOR / "bench.py").exists():
        print("floor: ../shared/bench/web_floor not found; skipped")
        return None
    _floor_setup()
    out = {}
    for what in ("submit", "form"):
        cmd = [
            sys.executable, str(FLOOR / "bench.py"), "one", "--db", db, "--worker", "gthread",
            "-w", "4", "-t", "4", "-c", "16", "-d", str(seconds), "--what", what,
            "--label", "parindex-load",
        ]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        rec = json.loads(done.stdout.strip().splitlines()[-1])
        out[what] = rec
    rate = 1 / (1 / out["submit"]["ok_per_s"] + 1 / out["form"]["ok_per_s"])
    return {
        "db": db,
        "submit_per_s": out["submit"]["ok_per_s"],
        "form_per_s": out["form"]["ok_per_s"],
        "flows_per_s": round(rate, 1),
        "submit_p50_ms": out["submit"]["p50_ms"],
        "submit_p95_ms": out["submit"]["p95_ms"],
        "submit_p99_ms": out["submit"]["p99_ms"],
        "verified": out["submit"].get("verified"),
    }


def _floor_setup() -> None:
    """The floor's role, database and seed (as its README says), once."""
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'floor'").fetchone():
            conn.execute("CREATE ROLE floor LOGIN PASSWORD 'floor'")
            conn.execute("GRANT pg_checkpoint TO floor")
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'floor'").fetchone():
            conn.execute("CREATE DATABASE floor OWNER floor")
    if not (Path("/tmp/floor_tokens.txt").exists() and Path("/tmp/floor_sqlite/seed.db").exists()):
        subprocess.run([sys.executable, str(FLOOR / "bench.py"), "seed"], check=True)


# ---------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--db", choices=("pg", "sqlite", "both"), default="both")
    ap.add_argument("--phases", type=int, default=3)
    ap.add_argument("--phase-seconds", type=float, default=60.0)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--invitations", type=int, default=200_000)
    ap.add_argument("--floor-seconds", type=int, default=30)
    ap.add_argument("--no-floor", action="store_true")
    ap.add_argument("--json", help="append the results to this file")
    ap.add_argument(
        "--without",
        nargs="*",
        default=[""],
        help="configurations to run one after the other on the same store: '' (all fast "
        "paths), or parts to turn off, comma-separated (driversql, signing, page_cache, "
        "plainly_valid); 'each' = all fast paths, then each off",
    )
    ap.add_argument("--port", type=int, default=PORT, help="gunicorn's port")
    ap.add_argument("--pg-db", default="parindex_bench", help="PostgreSQL database (dropped)")
    ap.add_argument("--redis", default=REDIS, help="Redis for the broker and rate limits")
    args = ap.parse_args()
    _configure(args)
    stores = ("pg", "sqlite") if args.db == "both" else (args.db,)
    results = []
    for db in stores:
        floor = None if args.no_floor else run_floor(db, args.floor_seconds)
        if floor:
            print(json.dumps({"floor": floor}), flush=True)
        for ours in run_parindex(db, args):
            if floor:
                ours["floor_ratio"] = round(ours["flows_per_s"] / floor["flows_per_s"], 3)
            results.append((ours, floor))
    print_table(results, args)
    if args.json:
        with open(args.json, "a") as f:
            for ours, floor in results:
                f.write(json.dumps({"parindex": ours, "floor": floor}) + "\n")


def _configure(args) -> None:
    global PORT, PG_BENCH, REDIS
    from survey_app.core.fastpaths import PARTS

    PORT, REDIS = args.port, args.redis
    PG_BENCH = PG_BENCH.rsplit("/", 1)[0] + "/" + args.pg_db
    if args.without == ["each"]:
        args.without = ["", *PARTS]


def print_table(results, args) -> None:
    print(
        f"\n{args.phases} × {args.phase_seconds:g} s, {args.concurrency} concurrent respondents, "
        "gunicorn gthread -w 4 --threads 4\n"
    )
    print("| store | without | flows/s | per phase | submit p50/p95/p99 ms | errors | DB check | "
          "floor flows/s | ratio | CPU gunicorn/postgres/driver/busy |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    for ours, floor in results:
        c = ours["cpu_cores"]
        check = (
            f"{'ok' if ours['db_check'] else 'FAILED'} (responses {ours['responses']}, "
            f"used {ours['used']}, answered {ours['answered']}, "
            f"303s {ours['successful_submits']})"
        )
        print(
            f"| {ours['db']} | {ours.get('without', '-')} | {ours['flows_per_s']} | "
            f"{ours['phase_flows_per_s']} | "
            f"{ours['submit_p50_ms']} / {ours['submit_p95_ms']} / {ours['submit_p99_ms']} | "
            f"{ours['error_rate']:.4f} {ours['errors'] or ''} | {check} | "
            f"{floor['flows_per_s'] if floor else '–'} | {ours.get('floor_ratio', '–')} | "
            f"{c['gunicorn']} / {c['postgres']} / {c['driver']} / {c['busy']} |"
        )


if __name__ == "__main__":
    main()
