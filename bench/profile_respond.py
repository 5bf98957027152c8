"""Time (and optionally profile) the respondent path in-process:
GET /r/<token> → GET /respond → POST /respond (submit), on SQLite or PostgreSQL.

    python bench/profile_respond.py [--db sqlite|pg] [-n 2000] [--profile submit|form|link]
                                    [--set NAME=JSON ...]

Prints the mean CPU time of each step in ms: the app's, called as a WSGI application the
way gunicorn calls it (the HTTP server's own work is not included). Not a test;
see load_submit.py for the load benchmark through gunicorn.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import re
import sys
import tempfile
import time
from urllib.parse import urlencode

import psycopg

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
ANSWERS = {f"Q{i:02d}": str(1 + i % 4) for i in range(1, 13)}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_app(
    db: str,
    folder: str,
    extra: dict | None = None,
    pg_db: str = "parindex_profile",
    redis: str = "redis://127.0.0.1:6379/0",
):
    from survey_app import create_app

    if db == "pg":
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{pg_db}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{pg_db}"')
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{pg_db}"
    else:
        url = f"sqlite:///{folder}/profile.sqlite"
    return create_app(
        {
            "INSTANCE_PATH": folder,
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "b" * 40,
            # as in production: PostgreSQL with Redis, the embedded mode in memory
            "RATELIMIT_STORAGE_URI": redis if db == "pg" else "memory://",
            **(extra or {}),
        }
    )


class Browser:
    """Calls the WSGI app directly, as gunicorn would (no test client), with one cookie."""

    def __init__(self, app) -> None:
        self.app, self.cookie = app, ""

    def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, str]:
        environ = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8078",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1:8078",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        if body:
            environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
            environ["CONTENT_LENGTH"] = str(len(body))
        if self.cookie:
            environ["HTTP_COOKIE"] = self.cookie
        seen = {}

        def start_response(status, headers, exc_info=None):
            seen["status"] = int(status.split()[0])
            for name, value in headers:
                if name.lower() == "set-cookie":
                    self.cookie = value.split(";", 1)[0]

        chunks = self.app(environ, start_response)
        try:
            data = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
        return seen["status"], data.decode()


def flow(app, token: str, timings: dict, profiler=None, which=None):
    browser = Browser(app)
    steps = (
        ("link", lambda: browser.request("GET", f"/r/{token}")),
        ("form", lambda: browser.request("GET", "/respond")),
        ("submit", lambda: browser.request("POST", "/respond", body)),
    )
    body = b""
    for name, call in steps:
        if profiler and name == which:
            profiler.enable()
        t0 = time.process_time()  # CPU of this process: the app's work, not waiting
        status, text = call()
        timings[name] += time.process_time() - t0
        if profiler and name == which:
            profiler.disable()
        if name == "form":  # the browser's work, not timed
            body = _submit_body(text)
        assert status in (200, 303), (name, status)


def _submit_body(page: str) -> bytes:
    return urlencode({**ANSWERS, **_form_fields(page)}).encode()


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
    ap.add_argument("--pg-db", default="parindex_profile", help="PostgreSQL database (dropped)")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="Redis for rate limits")
    args = ap.parse_args()
    from bench.respond_seed import seed_round

    with tempfile.TemporaryDirectory() as folder:
        extra = {k: json.loads(v) for k, v in (item.split("=", 1) for item in args.set)}
        app = make_app(args.db, folder, extra, args.pg_db, args.redis)
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
