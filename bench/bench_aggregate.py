"""Benchmark ``parindex rounds aggregate --wait`` on 1,000,000 responses in PostgreSQL.

Usage: ``PYTHONPATH=. python bench/bench_aggregate.py [--responses N] [--keep [--reuse]]
[--repeat N] [--workers 1,2]``

Creates the database ``parindex_bench_aggregate`` on the local PostgreSQL (dropped at the end
unless ``--keep``), a round of 40 units and 12 items, loads N responses with COPY,
then times the aggregation with one worker process and with two (Redis broker on
127.0.0.1:6379, database 15), printing wall time, each worker's peak memory (VmHWM) and
the share of the workers' time spent loading versus computing (the run's timings).
Each round of cases also times the floor, a whole process as bare as the job allows
(:data:`FLOOR`: one psycopg ``COPY`` of the round's columns, pyarrow's CSV reader, and
numpy for each unit x group's weighted mean score per survey sub-criterion with its
finite-population SE, and the group-weighted points), and prints each case's ratio to
it: the machine's speed changes from day to day (the same code took 5.5 s one evening
and 15 s on another), the ratio much less.
Goal (issue 18): under 6 s with one worker; under 1 GB per process.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psycopg

REPO = Path(__file__).resolve().parents[1]
ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
#: Override both when several people bench on one machine (the database is dropped and the
#: Redis database flushed).
DB = os.environ.get("PARINDEX_BENCH_DB", "parindex_bench_aggregate")
URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB}"
REDIS = os.environ.get("PARINDEX_BENCH_REDIS", "redis://127.0.0.1:6379/15")
N_UNITS, N_ITEMS, PSUS_PER_UNIT = 40, 12, 25
GROUPS = ("leader", "official", "citizen")
ITEMS = [f"Q{i:02d}" for i in range(1, N_ITEMS + 1)]


def env(instance: Path) -> dict:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("PARINDEX_")},
        "PYTHONPATH": str(REPO),
        "PARINDEX_DATABASE_URL": URL,
        "PARINDEX_BROKER_URL": REDIS,
        "PARINDEX_SECRET_KEY": "b" * 48,
        "PARINDEX_INSTANCE_PATH": str(instance),
    }


def parindex(instance: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "survey_app.cli", *args],
        env=env(instance),
        cwd=REPO,
        check=True,
        **kw,
    )


def questionnaire_yaml() -> str:
    levels = "\n".join(
        f"    - {{value: {v}, label: {{vi: 'M{v}', en: 'L{v}'}}, score: {s}}}"
        for v, s in ((4, 1.0), (3, 0.75), (2, 0.5), (1, 0.25))
    )
    items = "\n".join(
        f"      - {{code: {q}, text: {{vi: 'Câu {q}', en: 'Item {q}'}}, scale: q4, "
        f"groups: [{', '.join(GROUPS)}]}}"
        for q in ITEMS
    )
    return (
        f"code: BENCH-Q\ntitle: {{vi: 'Phiếu', en: 'Form'}}\nscales:\n  q4:\n{levels}\n"
        f"    - {{value: 9, label: {{vi: 'KB', en: 'DK'}}, missing: true}}\n"
        f"sections:\n  - title: {{vi: 'A', en: 'A'}}\n    items:\n{items}\n"
    )


def criteria_yaml() -> str:
    subs = []
    for a in range(1, 7):
        subs.append(
            f"  - code: '{a}'\n    name: {{vi: 'LV{a}', en: 'Area {a}'}}\n    criteria:\n"
            f"      - code: '{a}.1'\n        name: {{vi: 'TC', en: 'C'}}\n"
            f"        subcriteria:\n"
            f"          - {{code: '{a}.1.1', name: {{vi: 'a', en: 'a'}}, source: self, "
            f"max_points: 10}}\n"
            f"          - {{code: '{a}.1.2', name: {{vi: 'b', en: 'b'}}, source: survey, "
            f"max_points: 6, items: [{ITEMS[2 * a - 2]}, {ITEMS[2 * a - 1]}]}}\n"
        )
    return (
        "code: BENCH-CS\nname: {vi: 'Bộ', en: 'Set'}\nyear: 2026\nunit_kind: dept\n"
        "min_group_respondents: 5\n"
        "group_weights: {leader: 0.3, official: 0.4, citizen: 0.3}\nareas:\n" + "".join(subs)
    )


def setup(instance: Path, n: int) -> None:
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB}"')
    parindex(instance, "db", "upgrade", capture_output=True)
    files = instance / "files"
    files.mkdir(parents=True, exist_ok=True)
    (files / "q.yaml").write_text(questionnaire_yaml(), encoding="utf-8")
    (files / "cs.yaml").write_text(criteria_yaml(), encoding="utf-8")
    (files / "units.csv").write_text(
        "code,kind,name_vi,name_en\n"
        + "".join(f"U{u:02d},dept,Đơn vị {u},Unit {u}\n" for u in range(1, N_UNITS + 1)),
        encoding="utf-8",
    )
    (files / "frame.csv").write_text(
        "stratum,population\n"
        # more people than the 8,000-odd responses of a stratum: the fpc is a fraction < 1
        + "".join(
            f"U{u:02d}-{g},{20000 + 370 * u}\n" for u in range(1, N_UNITS + 1) for g in GROUPS
        )
    )
    parindex(instance, "import", "questionnaire", str(files / "q.yaml"), capture_output=True)
    parindex(instance, "import", "criteria-set", str(files / "cs.yaml"), capture_output=True)
    parindex(instance, "import", "units", str(files / "units.csv"), capture_output=True)
    parindex(
        instance,
        "rounds",
        "create",
        "--name",
        "bench",
        "--criteria-set",
        "BENCH-CS",
        "--questionnaire",
        "BENCH-Q",
        "--frame",
        str(files / "frame.csv"),
        capture_output=True,
    )
    t0 = time.perf_counter()
    load_responses(n)
    print(f"loaded {n:,} responses × {N_ITEMS} items with COPY in {time.perf_counter() - t0:.1f} s")


def load_responses(n: int) -> None:
    rng = np.random.default_rng(7)
    unit = rng.integers(0, N_UNITS, n)
    group = rng.integers(0, len(GROUPS), n)
    psu = rng.integers(0, PSUS_PER_UNIT, n)
    raw = rng.bytes(16 * n)  # 128 random bits each, as the app's new_response_id
    ids = [raw[16 * i : 16 * (i + 1)].hex() for i in range(n)]
    base = np.clip(np.round(1 + 3 * rng.beta(2 + unit / 20, 2, n)), 1, 4).astype(int)
    answers = np.clip(base[:, None] + rng.integers(-1, 2, (n, N_ITEMS)), 1, 4)
    answers[rng.random((n, N_ITEMS)) < 0.05] = 9
    skipped = rng.random((n, N_ITEMS)) < 0.05
    values, skipped = answers.tolist(), skipped.tolist()  # Python ints: faster to format
    with psycopg.connect(URL.replace("+psycopg", "")) as conn:
        unit_ids = dict(conn.execute("SELECT code, id FROM units").fetchall())
        round_id = conn.execute("SELECT max(id) FROM rounds").fetchone()[0]
        conn.execute("UPDATE rounds SET state = 'open' WHERE id = %s", (round_id,))
        with conn.cursor().copy(
            "COPY responses (id, round_id, unit_id, group_code, stratum, "
            "psu, attributes, submitted_on, channel, answers) FROM STDIN"
        ) as cp:
            for start in range(0, n, 100_000):
                buf = io.StringIO()
                for i in range(start, min(n, start + 100_000)):
                    u = f"U{unit[i] + 1:02d}"
                    g = GROUPS[group[i]]
                    given = ",".join(
                        f'"{q}":{v}'
                        for q, v, skip in zip(ITEMS, values[i], skipped[i], strict=True)
                        if not skip
                    )
                    buf.write(
                        f"{ids[i]}\t{round_id}\t{unit_ids[u]}\t{g}\t{u}-{g}\t{u}-P{psu[i]}\t"
                        f"{{}}\t2026-11-26\timport\t{{{given}}}\n"
                    )
                cp.write(buf.getvalue())
        sub_ids = conn.execute("SELECT id FROM subcriteria WHERE source = 'self'").fetchall()
        for uid in unit_ids.values():
            for (sid,) in sub_ids:
                conn.execute(
                    "INSERT INTO self_assessments (round_id, unit_id, subcriterion_id, "
                    "self_points, appraised_points, state, updated_at) VALUES "
                    "(%s, %s, %s, 8.5, 8.0, 'final', now())",
                    (round_id, uid, sid),
                )
        conn.commit()
    with psycopg.connect(URL.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def peak_mb(pid: int) -> float:
    """VmHWM of a process and its children (MB), read while they still run."""
    total = 0.0
    pids = [pid] + [
        int(p)
        for p in subprocess.run(
            ["pgrep", "-g", str(pid)], capture_output=True, text=True
        ).stdout.split()
    ]
    for p in set(pids):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM"):
                    total = max(total, int(line.split()[1]) / 1024)
        except OSError:
            pass
    return total


def start_workers(
    instance: Path, n: int, name: str, loglevel: str, logs: list[Path] | None = None
) -> list[subprocess.Popen]:
    """``n`` worker processes of concurrency 1, each in its own session (stop them with
    ``os.killpg``), writing to ``logs`` (one file each) or nowhere; then wait for them to
    connect."""
    procs = []
    for i in range(n):
        out = logs[i].open("w") if logs else subprocess.DEVNULL
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "survey_app.cli",
                    "worker",
                    "--concurrency=1",
                    f"--hostname={name}{i}@%h",
                    f"--loglevel={loglevel}",
                ],
                env=env(instance / f"w{i}"),
                cwd=REPO,
                start_new_session=True,
                stdout=out,
                stderr=subprocess.STDOUT if logs else subprocess.DEVNULL,
            )  # fmt: skip
        )
        if logs:
            out.close()  # the child has its own copy
    try:
        time.sleep(4)  # let the workers connect
    except BaseException:
        stop_workers(procs)
        raise
    return procs


def stop_workers(procs: list[subprocess.Popen]) -> None:
    """Stop the workers of :func:`start_workers` and their pool processes."""
    for p in procs:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(timeout=30)


#: The floor of :func:`one_floor`, run as ``python -c FLOOR URL ROUND FRAME OUT``.
FLOOR = r"""
import io, json, sys
import numpy as np, psycopg, pyarrow.csv as pacsv
url, round_id, frame, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
items = [f"Q{i:02d}" for i in range(1, 13)]
alpha = {"leader": 0.3, "official": 0.4, "citizen": 0.3}
cols = ", ".join(["u.code", "r.group_code", "r.stratum"] + [f"r.answers ->> '{q}'" for q in items])
sql = (f"COPY (SELECT {cols} FROM responses r JOIN units u ON u.id = r.unit_id "
       f"WHERE r.round_id = {round_id}) TO STDOUT WITH (FORMAT csv)")
buf = bytearray()
with psycopg.connect(url) as conn, conn.cursor().copy(sql) as copy:
    for row in copy:
        buf += row
names = ["unit", "group", "stratum"] + items
t = pacsv.read_csv(io.BytesIO(buf), pacsv.ReadOptions(column_names=names))
del buf
coded = t["stratum"].combine_chunks().dictionary_encode()
strata, h = coded.dictionary.to_pylist(), coded.indices.to_numpy().astype(np.int64)
population = dict(line.split(",") for line in open(frame).read().split()[1:])
n_h = np.bincount(h, minlength=len(strata)).astype(float)
N_h = np.array([float(population[s]) for s in strata])
w = (N_h / n_h)[h]
fraction = np.array([np.nan, 0.25, 0.5, 0.75, 1.0] + [np.nan] * 5)  # 9: don't know
answers = np.column_stack([t[q].to_numpy(zero_copy_only=False) for q in items])
f = fraction[np.nan_to_num(answers, nan=0).astype(int)]
# Each stratum is one unit x group, sampled as elements with an fpc; a unit's survey
# points are 6 x sum over sub-criteria and groups of alpha_g x the group's mean score.
coef = np.array([6 * alpha[label.rsplit("-", 1)[1]] for label in strata])
points, z = np.zeros(len(strata)), np.zeros(len(h))
for s in range(6):  # sub-criterion s: the mean fraction of its two items answered
    pair = f[:, 2 * s : 2 * s + 2]
    k = (~np.isnan(pair)).sum(axis=1)
    y = np.where(k > 0, np.nansum(pair, axis=1) / np.maximum(k, 1), np.nan)
    d = ~np.isnan(y); wd = w * d; y0 = np.where(d, y, 0.0)
    sw = np.bincount(h, wd, len(strata)); mean = np.bincount(h, wd * y0, len(strata)) / sw
    points += coef * mean
    z += coef[h] * wd * (y0 - mean[h]) / sw[h]  # linearised score of the combination
zbar = np.bincount(h, z, len(strata)) / n_h
var = (1 - n_h / N_h) * n_h / (n_h - 1) * np.bincount(h, (z - zbar[h]) ** 2, len(strata))
res = {}
for label, p, v in zip(strata, points, var):
    r = res.setdefault(label.rsplit("-", 1)[0], {"survey_points": 0.0, "var": 0.0})
    r["survey_points"] += p; r["var"] += v
res = {u: {"survey_points": r["survey_points"], "survey_se": r["var"] ** 0.5}
       for u, r in res.items()}
json.dump(res, open(out, "w"))
"""


def one_floor(instance: Path) -> float:
    """The floor (:data:`FLOOR`) once, as a whole process; prints and returns its wall."""
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", FLOOR, URL.replace("+psycopg", ""), "1",
         str(instance / "files" / "frame.csv"), str(instance / "floor.json")],
        check=True, env=env(instance), cwd=REPO,
    )  # fmt: skip
    wall = time.perf_counter() - t0
    print(f"floor (psycopg COPY + pyarrow + numpy, one process): {wall:.2f} s wall")
    return wall


def one_case(instance: Path, n_workers: int) -> float:
    """One aggregation of the round with ``n_workers`` fresh workers; prints it and
    returns its wall seconds."""
    import redis

    redis.Redis.from_url(REDIS).flushdb()
    with psycopg.connect(URL.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("DELETE FROM aggregation_runs")
        conn.execute("DELETE FROM jobs")
    procs = start_workers(instance, n_workers, "bench", "WARNING")
    try:
        t0 = time.perf_counter()
        out = instance / "figures.json"
        parindex(
            instance, "rounds", "aggregate", "1", "--wait", "--json", str(out), capture_output=True
        )
        wall = time.perf_counter() - t0
        peaks = [peak_mb(p.pid) for p in procs]
    finally:  # a failed run must not leave workers behind on the bench queue
        stop_workers(procs)
    with psycopg.connect(URL.replace("+psycopg", "")) as conn:
        timings, chunks = conn.execute(
            "SELECT timings, chunks_total FROM aggregation_runs WHERE state = 'done'"
        ).fetchone()
    busy = sum(timings.values())
    figures = json.loads(out.read_text())["units"]
    units = len(figures)
    floor = instance / "floor.json"
    if floor.exists():  # the floor must compute what the index does
        bare = json.loads(floor.read_text())
        worst = max(abs(bare[u["unit"]][k] / u[k] - 1) for u in figures
                    for k in ("survey_points", "survey_se"))  # fmt: skip
        print(f"  the floor's survey points and SEs agree with the index's to {worst:.0e}")
    print(
        f"{n_workers} worker(s): {wall:.2f} s wall for {chunks} chunks, {units} units; "
        f"peak memory per process {', '.join(f'{p:.0f} MB' for p in peaks)}; "
        f"worker time: load {timings.get('load', 0):.2f} s ({timings.get('load', 0) / busy:.0%})"
        f", map {timings.get('map', 0):.2f} s, reduce {timings.get('reduce', 0):.2f} s"
    )
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="skip loading (after --keep)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each case N times, interleaved, and print the medians "
                        "(one run varies by 10%% or more on a small shared machine)")  # fmt: skip
    parser.add_argument("--workers", default="1,2", help="the cases: worker counts, e.g. 1")
    args = parser.parse_args()
    instance = Path(f"/tmp/{DB}")
    instance.mkdir(exist_ok=True)
    if not args.reuse:
        setup(instance, args.responses)
    cases = [int(n) for n in args.workers.split(",")]
    walls: dict[int, list[float]] = {n: [] for n in cases}
    floors: list[float] = []
    for _ in range(args.repeat):
        floors.append(one_floor(instance))
        for n_workers in cases:
            walls[n_workers].append(one_case(instance, n_workers))
            print(f"  {walls[n_workers][-1] / floors[-1]:.2f}x the floor of this round")
    for n_workers, runs in walls.items():
        print(f"{n_workers} worker(s), median of {len(runs)}: {np.median(runs):.2f} s wall "
              f"(min {min(runs):.2f}, max {max(runs):.2f}); floor {np.median(floors):.2f} s, "
              f"ratio {np.median(runs) / np.median(floors):.2f}x")  # fmt: skip
    if not args.keep:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')


if __name__ == "__main__":
    main()
