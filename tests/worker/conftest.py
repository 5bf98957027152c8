"""Real parts for the worker tests: a Redis server of the test's own (so it can be killed
and restarted empty) and real ``parindex worker`` processes on the test's PostgreSQL."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.services import require_or_skip

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """``redis-server`` on a free port, keeping nothing on disk."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        for _ in range(100):
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
                return
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def redis_server(tmp_path):
    require_or_skip(shutil.which("redis-server") is not None, "redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


class WorkerProcess:
    """A ``parindex worker`` in its own process group, so kill -9 takes its children too."""

    def __init__(self, env: dict, name: str, log: Path, beat: bool, concurrency: int) -> None:
        args = [
            sys.executable,
            "-m",
            "survey_app.cli",
            "worker",
            f"--hostname={name}@%h",
            f"--concurrency={concurrency}",
            "--loglevel=INFO",
        ] + (["--beat"] if beat else [])
        self.log = log
        self.proc = subprocess.Popen(
            args,
            env=env,
            cwd=ROOT,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill9(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill9()


@pytest.fixture
def workers(pg_app, redis_server, tmp_path):
    """Start workers with ``workers.start(name, beat=…)``; all are stopped afterwards."""
    started: list[WorkerProcess] = []

    class Pool:
        def env(self, name: str) -> dict:
            instance = tmp_path / name
            instance.mkdir(exist_ok=True)
            return {
                **{k: v for k, v in os.environ.items() if not k.startswith("PARINDEX_")},
                "PYTHONPATH": str(ROOT),
                "PARINDEX_DATABASE_URL": pg_app.config["SQLALCHEMY_DATABASE_URI"],
                "PARINDEX_BROKER_URL": redis_server.url,
                "PARINDEX_SECRET_KEY": pg_app.config["SECRET_KEY"],
                "PARINDEX_INSTANCE_PATH": str(instance),
                "PARINDEX_JOB_LEASE_SECONDS": "4",
                "PARINDEX_JOB_REDISPATCH_SECONDS": "3",
            }

        def start(self, name: str, beat: bool = False, concurrency: int = 1) -> WorkerProcess:
            proc = WorkerProcess(self.env(name), name, tmp_path / f"{name}.log", beat, concurrency)
            started.append(proc)
            return proc

    yield Pool()
    for proc in started:
        proc.stop()


def wait_for(condition, timeout: float, what: str, logs=()) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    tails = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in logs if p.exists())
    raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{tails}")


def parindex_index(responses: Path, out: Path, frame: bool = True):
    """``parindex index`` on the example files with ``responses`` and, as the demo round
    has it, the example frame (``--frame``); returns click's Result."""
    from click.testing import CliRunner

    from survey_app.cli import main
    from tests.conftest import EXAMPLES

    args = ["index", "--criteria-set", EXAMPLES / "criteria_set_cuc.yaml",
            "--criteria-set", EXAMPLES / "criteria_set_vu.yaml",
            "--questionnaire", EXAMPLES / "questionnaire.yaml", "--units", EXAMPLES / "units.csv",
            "--self", EXAMPLES / "self_assessment.csv", "--responses", responses,
            "--previous", EXAMPLES / "previous.csv", "--json", out]  # fmt: skip
    if frame:
        args += ["--frame", EXAMPLES / "frame.csv"]
    return CliRunner().invoke(main, [str(a) for a in args])
