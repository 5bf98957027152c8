"""Time (and optionally profile) the respondent path in-process, with Flask's test client:
GET /r/<token> → GET /respond → POST /respond (submit), on SQLite or PostgreSQL.

    python bench/profile_respond.py [--db sqlite|pg] [-n 2000] [--profile submit|form|link]
                                    [--set NAME=JSON ...]

Prints the mean CPU time of each step in ms (the app and the test client). Not a test;
see load_submit.py for the load benchmark through gunicorn.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import re
import tempfile
import time

import psycopg

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
ANSWERS = {f"Q{i:02d}": str(1 + i % 4) for i in range(1, 13)}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_app(db: str, folder: str, extra: dict | None = None):
    from survey_app import create_app

    if db == "pg":
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute('DROP DATABASE IF EXISTS "parindex_profile" WITH (FORCE)')
            conn.execute('CREATE DATABASE "parindex_profile"')
        url = "postgresql+psycopg://postgres@127.0.0.1:5432/parindex_profile"
    else:
        url = f"sqlite:///{folder}/profile.sqlite"
    return create_app(
        {
            "INSTANCE_PATH": folder,
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "b" * 40,
            **(extra or {}),
        }
    )


def flow(app, token: str, timings: dict, profiler=None, which=None):
    client = app.test_client()
    steps = (
        ("link", lambda: client.get(f"/r/{token}")),
        ("form", lambda: client.get("/respond")),
        ("submit", lambda: client.post("/respond", data={**ANSWERS, **_form_fields(page)})),
    )
    page = None
    for name, call in steps:
        if profiler and name == which:
            profiler.enable()
        t0 = time.process_time()  # CPU of this process: the app's work, not waiting
        response = call()
        timings[name] += time.process_time() - t0
        if profiler and name == which:
            profiler.disable()
        if name == "form":
            page = response.text
        assert response.status_code in (200, 303), (name, response.status_code)


def _form_fields(page: str) -> dict:
    token = CSRF.search(page)
    return {"s": "0", "action": "submit", **({"csrf_token": token.group(1)} if token else {})}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--db", choices=("sqlite", "pg"), default="sqlite")
    ap.add_argument("-n", type=int, default=2000)
    ap.add_argument("--profile", choices=("link", "form", "submit"))
    ap.add_argument("--sort", default="cumulative")
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=JSON",
        help="override an app setting, e.g. RATELIMIT_ENABLED=false (a layer's cost)",
    )
    args = ap.parse_args()
    from bench.respond_seed import seed_round

    with tempfile.TemporaryDirectory() as folder:
        extra = {k: json.loads(v) for k, v in (item.split("=", 1) for item in args.set)}
        app = make_app(args.db, folder, extra)
        _, tokens = seed_round(app, args.n + 50)
        timings = dict.fromkeys(("link", "form", "submit"), 0.0)
        for token in tokens[:50]:  # warm up: caches, pool
            flow(app, token, timings)
        timings = dict.fromkeys(timings, 0.0)
        profiler = cProfile.Profile() if args.profile else None
        for token in tokens[50:]:
            flow(app, token, timings, profiler, args.profile)
        for name, total in timings.items():
            print(f"{name:7s} {1000 * total / args.n:6.3f} ms CPU")
        print(f"flow    {1000 * sum(timings.values()) / args.n:6.3f} ms CPU")
        if profiler:
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(45)


if __name__ == "__main__":
    main()
