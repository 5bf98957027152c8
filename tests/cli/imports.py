"""Which modules a ``parindex`` command imports, run whole in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def imported_by(args: list[str], modules: tuple[str, ...], env: dict | None = None):
    """``(those of modules the command ``parindex args`` imported, the process)``; the
    command may fail (its exit is caught) once it has imported what it runs with."""
    code = ("import sys\nfrom survey_app.cli import main\ntry:\n    main(sys.argv[1:])\n"
            "except SystemExit:\n    pass\n"
            f"print(*[m for m in {modules!r} if m in sys.modules] or ['none'])")  # fmt: skip
    env = dict(os.environ if env is None else env, PYTHONPATH=str(REPO))
    cmd = [sys.executable, "-c", code, *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    # the last line is ours (the command may print before it); none at all: it crashed
    lines = proc.stdout.splitlines() or ["(no output)"]
    found = lines[-1].split()
    return ([] if found == ["none"] else found), proc
