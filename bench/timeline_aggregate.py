"""Where the wall time of ``bench/bench_aggregate.py`` goes: one run as a timeline.

Usage (after ``bench/bench_aggregate.py --keep`` loaded the database):
``PYTHONPATH=. python bench/timeline_aggregate.py [--workers 1]``

Runs ``parindex rounds aggregate 1 --wait --json`` once against the bench database with
``--workers`` worker processes (log level INFO, into ``/tmp/<db>/timeline-worker*.log``)
and prints every step in seconds from the CLI's start: the jobs' creation and completion,
each task received and finished by a worker (Celery's log), each chunk stored, the run's
start and finish, and the CLI's exit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from bench.bench_aggregate import DB, REDIS, REPO, URL, env, start_workers, stop_workers

#: Celery's log line: "[2026-12-03 12:00:00,123: INFO/MainProcess] Task name[id] received".
_LOG = re.compile(
    r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): \w+/[\w-]+\] Task ([\w.]+)\[[^]]+\] (\w+)"
)


def _cpu(pid: int) -> float:
    """User + system CPU seconds of a process and its live children (a Celery worker's
    pool process), from /proc: robust to other load on the machine, unlike wall time."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def _worker_events(path: Path) -> list[tuple[dt.datetime, str]]:
    out = []
    for line in path.read_text().splitlines():
        m = _LOG.match(line)
        if m:
            at = dt.datetime.strptime(m[1], "%Y-%m-%d %H:%M:%S,%f").astimezone(dt.UTC)
            out.append((at, f"{path.stem[-1]}: {m[2].split('.')[-1]} {m[3]}"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--profile-cli", metavar="FILE", help="run the CLI under cProfile")
    args = parser.parse_args()
    import redis

    instance = Path(f"/tmp/{DB}")
    redis.Redis.from_url(REDIS).flushdb()
    with psycopg.connect(URL.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("DELETE FROM aggregation_runs")
        conn.execute("DELETE FROM jobs")
    logs = [instance / f"timeline-worker{i}.log" for i in range(args.workers)]
    procs = start_workers(instance, args.workers, "timeline", "INFO", logs)
    try:
        before = [_cpu(p.pid) for p in procs]
        start = dt.datetime.now(dt.UTC)
        t0 = time.perf_counter()
        profile = ["-m", "cProfile", "-o", args.profile_cli] if args.profile_cli else []
        subprocess.run(
            [sys.executable, *profile, "-m", "survey_app.cli", "rounds", "aggregate", "1", "--wait",
             "--json", str(instance / "figures.json")],
            env=env(instance), cwd=REPO, check=True, capture_output=True,
        )  # fmt: skip
        wall = time.perf_counter() - t0
        cli = resource.getrusage(resource.RUSAGE_CHILDREN)  # the CLI: the only child reaped
        workers_cpu = sum(_cpu(p.pid) - b for p, b in zip(procs, before, strict=True))
    finally:
        stop_workers(procs)
    events = [(start, "cli: start")]
    with psycopg.connect(URL.replace("+psycopg", "")) as conn:
        for task, key, created, updated in conn.execute(
            "SELECT task, dedupe_key, created_at, updated_at FROM jobs ORDER BY id"
        ):
            name = key or task.split(".")[-1]
            events += [(created, f"db: job {name} created"), (updated, f"db: job {name} done")]
        for no, mapped, n in conn.execute(
            "SELECT chunk_no, mapped_at, n_responses FROM aggregation_chunks ORDER BY chunk_no"
        ):
            events.append((mapped, f"db: chunk {no} stored ({n:,} responses)"))
        started, finished, timings = conn.execute(
            "SELECT started_at, finished_at, timings FROM aggregation_runs WHERE state = 'done'"
        ).fetchone()
        events += [(started, "db: run planned (started_at)"), (finished, "db: run done")]
    for log in logs:
        events += _worker_events(log)
    events.append((start + dt.timedelta(seconds=wall), "cli: exit"))
    for at, what in sorted(events, key=lambda e: e[0].astimezone(dt.UTC)):
        print(f"{(at - start).total_seconds():7.3f}  {what}")
    print(
        f"wall {wall:.2f} s; CPU: CLI {cli.ru_utime + cli.ru_stime:.2f} s, workers "
        f"{workers_cpu:.2f} s; worker timings "
        + ", ".join(f"{k} {v:.2f} s" for k, v in timings.items())
    )


if __name__ == "__main__":
    main()
