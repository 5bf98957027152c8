"""The real servers: rate limits across four gunicorn workers while Redis is down and
back (issue 15 item 5, issue 17 item 5), the access log of gunicorn without tokens, and
no version banner from gunicorn or ``parindex serve``."""

from __future__ import annotations

import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

from survey_app.core.limitstore import RECHECK_SECONDS
from tests.services import require_or_skip
from tests.worker.conftest import RedisServer

ROOT = Path(__file__).resolve().parents[2]
#: The documented limits (survey_app/core/ratelimits.py, docs/SECURITY.md).
SIGN_IN_LIMIT, LINK_LIMIT = 10, 30
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(app, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARINDEX_")}
    env.update(
        PARINDEX_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        PARINDEX_INSTANCE_PATH=app.config["INSTANCE_PATH"],
        PARINDEX_SECRET_KEY=app.config["SECRET_KEY"],
        PARINDEX_LOG_LEVEL="WARNING",
        **extra,
    )
    return env


class Client:
    """A new connection per request (so gunicorn's workers share the requests), one
    session cookie."""

    def __init__(self, port: int) -> None:
        self.port, self.cookie = port, None

    def request(self, method: str, path: str, form: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        if response.getheader("Set-Cookie"):
            self.cookie = response.getheader("Set-Cookie").split(";", 1)[0]
        conn.close()
        return response.status, response.headers, text


def _wait_until_up(port: int, proc: subprocess.Popen, log: Path) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            break
        try:
            Client(port).request("GET", "/healthz")
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"the server did not start: {log.read_text()}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture
def private_redis(tmp_path):
    require_or_skip(shutil.which("redis-server") is not None, "redis-server is not installed")
    folder = tmp_path / "redis"
    folder.mkdir()
    server = RedisServer(folder)
    server.start()
    yield server
    server.stop()


def _wrong_sign_ins(port: int, n: int) -> list[int]:
    client = Client(port)
    token = CSRF.search(client.request("GET", "/login")[2]).group(1)
    form = {"csrf_token": token, "password": "not the password"}
    return [
        client.request("POST", "/login", form | {"email": f"guess{i}@x.vn"})[0] for i in range(n)
    ]


def test_four_gunicorn_workers_share_the_limits_while_redis_is_down_and_after(
    sqlite_app, private_redis, tmp_path
):
    import redis

    port, access, errors = _free_port(), tmp_path / "access.log", tmp_path / "error.log"
    env = _env(sqlite_app, PARINDEX_BROKER_URL=private_redis.url)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "4",
            "-k",
            "gthread",
            "--threads",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(access),
            "--access-logformat",
            '%(p)s %(h)s "%(r)s" %(s)s',
            "--error-logfile",
            str(errors),
            "survey_app.wsgi:app",
        ],  # fmt: skip
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_until_up(port, proc, errors)
        private_redis.stop()  # the outage: every worker must fall back to the shared file
        assert _wrong_sign_ins(port, SIGN_IN_LIMIT + 2) == [401] * SIGN_IN_LIMIT + [429] * 2
        guess = secrets.token_urlsafe(24)
        encoded = "".join(f"%{b:02X}" for b in guess.encode())
        paths = [f"/r/{secrets.token_urlsafe(24)}" for _ in range(LINK_LIMIT - 1)]
        paths += [f"/r/{encoded}", f"/o/{secrets.token_urlsafe(24)}"]
        answers = [Client(port).request("GET", p) for p in paths]
        assert [a[0] for a in answers] == [404] * LINK_LIMIT + [429]
        assert {a[1]["Server"] for a in answers} == {"gunicorn"}  # no version
        private_redis.start()  # back, empty: counting must move there within a second
        time.sleep(RECHECK_SECONDS + 0.5)
        assert _wrong_sign_ins(port, 1) == [401]  # a fresh count in Redis, not the 429 of the file
        assert Client(port).request("GET", f"/r/{secrets.token_urlsafe(24)}")[0] == 404
        keys = [k.decode() for k in redis.Redis(port=private_redis.port).scan_iter("*")]
        assert any("login" in k for k in keys) and any("link" in k for k in keys), keys
    finally:
        _stop(proc)
    logged = access.read_text()
    assert len({line.split()[0] for line in logged.splitlines()}) >= 2, logged  # workers
    assert "/r/[redacted]" in logged
    for part in {guess[i : i + 20] for i in range(len(guess) - 19)} | {encoded[:60]}:
        assert part not in logged + errors.read_text()


def test_the_development_server_announces_no_version(sqlite_app, tmp_path):
    port, log = _free_port(), tmp_path / "serve.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "survey_app.cli", "serve", "--port", str(port)],
        env=_env(sqlite_app, PARINDEX_BASE_URL=f"http://127.0.0.1:{port}"),
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_until_up(port, proc, log)
        status, headers, _ = Client(port).request("GET", "/login")
        assert status == 200 and headers.get_all("Server") == ["ParIndex"]
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            crowded = b"".join(b"X-%d: 1\r\n" % i for i in range(120))
            raw.sendall(b"GET / HTTP/1.1\r\n" + crowded + b"\r\n")  # refused before the app
            reply = raw.recv(65536).decode("latin-1")
        assert " 431 " in reply.split("\r\n")[0] and "Server: ParIndex\r\n" in reply
        for banner in ("Werkzeug", "Python/"):
            assert banner not in reply and banner not in str(headers)
    finally:
        _stop(proc)
