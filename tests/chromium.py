"""Debian's Chromium as every browser test launches it (Playwright drives it; no download)."""

from __future__ import annotations

import os
from pathlib import Path

CHROMIUM = Path(os.environ.get("PARINDEX_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
