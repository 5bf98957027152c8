"""aggregation/ stays pure: importing it pulls in no web, database, queue or dataframe code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FORBIDDEN = ["flask", "sqlalchemy", "celery", "wtforms", "pandas", "survey_app", "worker"]


def test_aggregation_modules_import_only_numpy_and_scipy():
    code = (
        "import sys\n"
        "import aggregation.domains, aggregation.index, aggregation.reduce, aggregation.survey\n"
        f"print([m for m in {FORBIDDEN!r} if m in sys.modules])\n"
    )
    repo = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=repo, check=True, timeout=60)  # fmt: skip
    assert out.stdout.strip() == "[]"
