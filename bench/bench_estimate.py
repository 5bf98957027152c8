"""Benchmark ``parindex estimate`` on 1,000,000 generated responses (base and raked design).

Usage: ``PYTHONPATH=. python bench/bench_estimate.py [--rows N] [--no-r] [--r-timeout S]
[--keep DIR [--reuse]] [--repeat N] [--designs base,raked,ssu+fpc] [--nested]``

Prints wall time, the command's own read/compute timings, and peak memory (ru_maxrss of
each child), for the base design, the raked one, and the base design as two stages with
an fpc at both (``--ssu --fpc --fpc2``); with ``--repeat N`` each N times, interleaved,
with the medians (and the median of the per-round ssu/base ratios). Each is compared
with the pandas + numpy floor run in the same way (a whole process: read the CSV with
pandas, weighted mean and linearised SE per unit and item with numpy, raked weights by
IPF for the raked design, write JSON). Where ``Rscript`` with the ``survey`` package is
installed, times R on the same file (svyby of every item's mean with deff, and of the
satisfied share) and prints the ratio. Goals: within 2.0x the floor per design; two
stages with fpc within 10% of the base design; < 1.5 GB peak.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
from pyarrow import csv as pacsv

ITEMS = [f"q{i}" for i in range(1, 9)]
PSUS_PER_STRATUM = [1200, 1000, 900, 800, 600, 500]
SEXES, AGES = ["F", "M"], ["18-29", "30-44", "45-59", "60+"]
REPO = Path(__file__).resolve().parents[1]

R_SCRIPT = r"""
suppressMessages(library(survey))
options(survey.lonely.psu = "adjust", survey.adjust.domain.lonely = FALSE)
args <- commandArgs(TRUE)
df <- read.csv(args[1], na.strings = c("", "NA"))
items <- paste0("q", 1:8)
for (q in items) df[[paste0(q, "_sat")]] <- as.numeric(df[[q]] >= 4)
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, data = df, nest = TRUE)
if (args[2] == "raked") {
  m <- read.csv(args[3])
  pop <- function(v) { x <- m[m$variable == v, ]; d <- data.frame(x$level, x$count);
                       names(d) <- c(v, "Freq"); d }
  des <- rake(des, list(~sex, ~age_band), list(pop("sex"), pop("age_band")),
              control = list(maxit = 100, epsilon = 1e-12))
}
t0 <- proc.time()[["elapsed"]]
for (q in items) {
  f <- as.formula(paste0("~", q)); s <- as.formula(paste0("~", q, "_sat"))
  invisible(svyby(f, ~unit, des, svymean, na.rm = TRUE, deff = TRUE))
  invisible(svymean(f, des, na.rm = TRUE, deff = TRUE))
  invisible(svyby(s, ~unit, des, svymean, na.rm = TRUE))
}
cat(sprintf("%.3f\n", proc.time()[["elapsed"]] - t0))
"""


def generate(path: Path, rows: int, seed: int = 7, nested: bool = False) -> Path:
    """Write the responses CSV and a margins CSV beside it; returns the margins path.

    Units are crossed with PSUs (every PSU has respondents of every unit: 40 units x
    20,000 SSUs give 570,000 (unit, SSU) keys of stage-2 sums, nearly one per two rows),
    or with ``nested`` each PSU's respondents rate one unit (a province's communes): as
    many keys as SSUs.
    """
    rng = np.random.default_rng(seed)
    n_psu = sum(PSUS_PER_STRATUM)
    psu_stratum = np.repeat(np.arange(len(PSUS_PER_STRATUM)), PSUS_PER_STRATUM)
    psu = rng.integers(0, n_psu, rows)
    stratum = psu_stratum[psu]
    unit = rng.integers(0, 40, n_psu)[psu] if nested else rng.integers(0, 40, rows)
    sex, age = rng.choice(2, rows, p=[0.6, 0.4]), rng.choice(4, rows, p=[0.12, 0.25, 0.34, 0.29])
    weight = np.round(rng.lognormal(3.4, 0.35, rows) * (1 + stratum / 5), 6)
    level = rng.normal(0, 0.6, 40)[unit] + rng.normal(0, 0.4, n_psu)[psu]
    team = rng.integers(0, 4, rows)  # stage 2: a team within the PSU
    psus_in_stratum = np.array(PSUS_PER_STRATUM)[stratum]
    cols = {
        "response_id": pa.array(np.arange(rows)),
        "unit": pa.array(np.char.add("U", np.char.zfill((unit + 1).astype(str), 2))),
        "group": pa.array(np.where(rng.random(rows) < 0.2, "leader", "citizen")),
        "stratum": pa.array(np.char.add("S", (stratum + 1).astype(str))),
        "psu": pa.array(np.char.add("P", np.char.zfill(psu.astype(str), 5))),
        "sex": pa.array(np.array(SEXES)[sex]),
        "age_band": pa.array(np.array(AGES)[age]),
        "weight": pa.array(weight),
        "team": pa.array(np.char.add("T", team.astype(str))),
        "psu_pop": pa.array(2 * psus_in_stratum),  # PSUs in the stratum's population
        "team_pop": pa.array(np.full(rows, 6)),  # teams in the PSU's population
    }
    for q in ITEMS:
        y = np.clip(np.round(3 + level + rng.normal(0, 1.1, rows)), 1, 5).astype(np.int64)
        cols[q] = pa.array(y, mask=rng.random(rows) < 0.05)
    pacsv.write_csv(pa.table(cols), path, pacsv.WriteOptions(quoting_style="none"))
    return _write_margins(path.with_name("margins.csv"), weight, sex, age, rng)


def _write_margins(path: Path, weight, sex, age, rng) -> Path:
    total = weight.sum() * 1.05
    by_sex = np.bincount(sex, weight) * rng.uniform(0.95, 1.05, 2)
    by_age = np.bincount(age, weight) * rng.uniform(0.9, 1.1, 4)
    lines = ["variable,level,count"]
    lines += [f"sex,{s},{c:.6f}" for s, c in zip(SEXES, by_sex / by_sex.sum() * total, strict=True)]
    lines += [
        f"age_band,{a},{c:.6f}" for a, c in zip(AGES, by_age / by_age.sum() * total, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_child(cmd: list[str], timeout: float | None = None) -> tuple[float, float, str, float]:
    """Run ``cmd``; return wall seconds, this child's peak RSS in MB (wait4), stdout, and
    its CPU seconds (user + system, wait4): on a shared machine the wall time follows the
    others' load, the CPU time much less.

    Raises TimeoutError after ``timeout`` seconds (the child is killed), RuntimeError if
    the child fails.
    """
    env = dict(os.environ, PYTHONPATH=str(REPO))
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, text=True)
        timer = threading.Timer(timeout, proc.kill) if timeout else None
        if timer:
            timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        if timer:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        if timeout and wall >= timeout:
            raise TimeoutError(f"stopped after {timeout:.0f} s")
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[:4])} failed: {err.read().strip()[-500:]}")
        return wall, usage.ru_maxrss / 1024, out.read(), usage.ru_utime + usage.ru_stime


FLOOR = r"""
import json, sys
import numpy as np, pandas as pd
path, design, margins, out = sys.argv[1:5]
items = [f"q{i}" for i in range(1, 9)]
df = pd.read_csv(path, engine="pyarrow")
unit, units = pd.factorize(df["unit"], sort=True)
h = pd.factorize(df["stratum"])[0]
psu, psus = pd.factorize(df["psu"])
w = df["weight"].to_numpy(float)
if design == "raked":  # IPF of the weights on the sex x age_band margins
    m = pd.read_csv(margins)
    codes = [pd.factorize(df[v]) for v in ("sex", "age_band")]
    targets = [m[m.variable == v].set_index("level")["count"].reindex(labels).to_numpy()
               for (_, labels), v in zip(codes, ("sex", "age_band"))]
    for _ in range(100):  # to R rake()'s epsilon, as parindex
        change = 0.0
        for (c, _), t in zip(codes, targets):
            g = t / np.bincount(c, w)
            w = w * g[c]
            change = max(change, np.abs(g - 1).max())
        if change < 1e-12:
            break
n_psu, n_u = len(psus), len(units)
psu_h = np.zeros(n_psu, int); psu_h[psu] = h
n_h = np.bincount(psu_h)
res = []
for q in items:
    y = df[q].to_numpy(float); d = ~np.isnan(y); y0 = np.where(d, y, 0.0); wd = w * d
    sw = np.bincount(unit, wd, n_u); mean = np.bincount(unit, wd * y0, n_u) / sw
    z = wd * (y0 - mean[unit]) / sw[unit]
    zt = np.bincount(unit * n_psu + psu, z, n_u * n_psu).reshape(n_u, n_psu)
    zbar = np.stack([np.bincount(psu_h, r, len(n_h)) for r in zt]) / n_h
    dev = np.stack([np.bincount(psu_h, r, len(n_h)) for r in (zt - zbar[:, psu_h]) ** 2])
    se = np.sqrt((dev * n_h / (n_h - 1)).sum(axis=1))
    res += [{"item": q, "unit": u, "mean": a, "se": b} for u, a, b in zip(units, mean, se)]
json.dump(res, open(out, "w"))
"""


DESIGNS = ("base", "raked", "ssu+fpc")


def bench_python(csv_path: Path, margins: Path, out_dir: Path, repeat: int = 1,
                 designs: tuple[str, ...] = DESIGNS) -> dict[str, float]:  # fmt: skip
    """Time each design ``repeat`` times, interleaved (one round runs every design and
    its floor once, so a drift in the others' load hits all alike); print each run and
    the medians. Returns the median wall seconds per design."""
    base = [sys.executable, "-m", "survey_app.cli", "estimate", str(csv_path), "--items",
            ",".join(ITEMS), "--by", "unit", "--weight", "weight", "--strata", "stratum",
            "--psu", "psu", "--timings"]  # fmt: skip
    extras = {
        "base": [], "raked": ["--rake", "sex,age_band", "--margins", str(margins)],
        "ssu+fpc": ["--ssu", "team", "--fpc", "psu_pop", "--fpc2", "team_pop"],
    }  # fmt: skip
    runs: dict[str, list] = {d: [] for d in designs}
    floors: dict[str, list] = {}
    for r in range(repeat):
        for design in designs:
            out = out_dir / f"{design}.json"
            wall, peak, _, cpu = run_child(base + extras[design] + ["--json", str(out)])
            meta = json.loads(out.read_text(encoding="utf-8"))["meta"]
            t = meta["timings"]
            fd = "raked" if design == "raked" else "base"  # ssu+fpc shares the base floor
            if len(floors.setdefault(fd, [])) <= r:
                floor, _, _, floor_cpu = run_child([sys.executable, "-c", FLOOR,
                                                    str(csv_path), fd, str(margins),
                                                    str(out_dir / "floor.json")])  # fmt: skip
                floors[fd].append((floor, floor_cpu))
            floor, floor_cpu = floors[fd][r]
            runs[design].append((wall, cpu, floor, floor_cpu))
            print(f"[{r + 1}/{repeat}] parindex {design:7s}: wall {wall:6.2f} s | "
                  f"read {t['read_s']:.2f} s | compute {t['compute_s']:.2f} s | "
                  f"peak RSS {peak:,.0f} MB | raking "
                  f"{meta['raking'] and meta['raking']['iterations']} it | floor "
                  f"{floor:.2f} s, ratio {wall / floor:.2f}x | CPU {cpu:.2f} s, floor "
                  f"{floor_cpu:.2f} s, ratio {cpu / floor_cpu:.2f}x", flush=True)  # fmt: skip
    walls, cpus = {}, {}
    for design, rows in runs.items():
        wall, cpu, floor, floor_cpu = np.median(np.array(rows), axis=0)
        walls[design], cpus[design] = wall, cpu
        print(f"median of {repeat}: parindex {design:7s}: wall {wall:6.2f} s, floor "
              f"{floor:.2f} s, ratio {wall / floor:.2f}x | CPU {cpu:.2f} s, floor "
              f"{floor_cpu:.2f} s, ratio {cpu / floor_cpu:.2f}x")  # fmt: skip
    if "base" in runs and "ssu+fpc" in runs:
        # Ratio of each round's pair (same load), then the median of those ratios.
        pairs = np.array([(s[0] / b[0], s[1] / b[1])
                          for b, s in zip(runs["base"], runs["ssu+fpc"], strict=True)])  # fmt: skip
        wall_ratio, cpu_ratio = np.median(pairs, axis=0)
        print(f"two stages with fpc / base (median of per-round ratios): {wall_ratio:.3f}x wall, "
              f"{cpu_ratio:.3f}x CPU (ratio of medians {walls['ssu+fpc'] / walls['base']:.3f}x "
              f"wall, {cpus['ssu+fpc'] / cpus['base']:.3f}x CPU)")  # fmt: skip
    return walls


def bench_r(csv_path: Path, margins: Path, walls: dict[str, float], out_dir: Path,
            timeout: float) -> None:  # fmt: skip
    if shutil.which("Rscript") is None:
        print("R: Rscript is absent; no comparison")
        return
    script = out_dir / "bench.R"
    script.write_text(R_SCRIPT, encoding="utf-8")
    for design in ("base", "raked"):
        cmd = ["Rscript", str(script), str(csv_path), design, str(margins)]
        try:
            wall, peak, out, _ = run_child(cmd, timeout)
        except TimeoutError as exc:
            print(f"R survey {design:5s}: {exc} (ratio > {timeout / walls[design]:.0f}x)")
            continue
        except RuntimeError as exc:
            print(f"R: survey package unavailable or failed ({str(exc).splitlines()[0]})")
            return
        print(
            f"R survey {design:5s}: wall {wall:7.2f} s (estimation {float(out):.2f} s) | "
            f"peak RSS {peak:,.0f} MB | ratio R/parindex (wall) {wall / walls[design]:.1f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--no-r", action="store_true", help="skip the R comparison")
    parser.add_argument("--r-timeout", type=float, default=600, help="seconds per R run")
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="with --keep: use the files already there (same --rows)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs of each design (interleaved); medians are reported",
    )
    parser.add_argument(
        "--nested",
        action="store_true",
        help="PSUs nested in units instead of crossed with them (see generate)",
    )
    parser.add_argument(
        "--designs",
        default=",".join(DESIGNS),
        help=f"comma-separated subset of {','.join(DESIGNS)}",
    )
    args = parser.parse_args()
    out_dir = args.keep or Path(tempfile.mkdtemp(prefix="parindex-bench-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        csv_path = out_dir / "responses.csv"
        margins = out_dir / "margins.csv"
        if args.reuse and args.keep and csv_path.exists() and margins.exists():
            print(f"reusing {csv_path} ({csv_path.stat().st_size / 1e6:.0f} MB)")
        else:
            start = time.perf_counter()
            margins = generate(csv_path, args.rows, nested=args.nested)
            size = csv_path.stat().st_size / 1e6
            print(f"generated {args.rows:,} rows ({size:.0f} MB) in "
                  f"{time.perf_counter() - start:.1f} s")  # fmt: skip
        designs = tuple(d for d in args.designs.split(",") if d)
        unknown = set(designs) - set(DESIGNS)
        if unknown or args.repeat < 1:
            parser.error(f"unknown design(s) {sorted(unknown)} or --repeat < 1")
        walls = bench_python(csv_path, margins, out_dir, args.repeat, designs)
        if not args.no_r and {"base", "raked"} <= set(walls):
            bench_r(csv_path, margins, walls, out_dir, args.r_timeout)
    finally:
        if args.keep is None:
            shutil.rmtree(out_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
