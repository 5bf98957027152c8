"""A real ParIndex (`parindex serve`, SQLite, embedded worker) in a subprocess, driven by
Debian's Chromium through Playwright, with axe-core injected into the pages it visits."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.chromium import ARGS, CHROMIUM
from tests.services import require_or_skip

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "pages"
#: ``PARINDEX_PAGE_SHOTS=1``: a full-page screenshot of every page checked, for walking
#: the interface by eye; otherwise only of pages with a problem (a quarter of the crawl's
#: time went into encoding screenshots nobody looked at).
ALL_SHOTS = os.environ.get("PARINDEX_PAGE_SHOTS") == "1"
ROOT = Path(__file__).resolve().parents[2]
WIDTHS = {"phone": (360, 740), "desktop": (1366, 900)}
PASSWORD = "mật khẩu thử nghiệm dài"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running ``parindex serve`` and the instance folder it owns."""

    base: str
    env: dict
    process: subprocess.Popen
    log: Path
    accounts: dict[str, tuple[str, str]] = field(default_factory=dict)

    def cli(self, *args: str, stdin: str | None = None, env=None, status: int = 0) -> str:
        """``parindex ARGS`` on the server's instance, in this process (Click's runner,
        with exactly the server's ``PARINDEX_*`` environment): the same commands as a
        subprocess, without an interpreter start and imports for each."""
        from click.testing import CliRunner

        from survey_app.cli import main

        wanted = {**self.env, **(env or {})}
        overlay = {k: None for k in os.environ if k.startswith("PARINDEX_") and k not in wanted}
        overlay.update({k: v for k, v in wanted.items() if k.startswith("PARINDEX_")})
        done = CliRunner().invoke(main, list(args), input=stdin, env=overlay)
        assert done.exit_code == status, done.output + repr(done.exception)
        return done.output


def start_server(instance: Path, prepare) -> Server:
    """Migrate a fresh instance, run ``prepare(server)`` (CLI set-up), then serve it."""
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PARINDEX_") or k in ("PARINDEX_REQUIRE_SERVICES",)
    }
    env.update(
        PARINDEX_INSTANCE_PATH=str(instance),
        PARINDEX_BASE_URL=f"http://127.0.0.1:{port}",
        PARINDEX_LOG_LEVEL="WARNING",
    )
    log = instance.parent / f"{instance.name}-serve.log"
    server = Server(f"http://127.0.0.1:{port}", env, None, log)  # type: ignore[arg-type]
    server.cli("db", "upgrade")
    prepare(server)
    server.process = subprocess.Popen(
        [sys.executable, "-m", "survey_app.cli", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    for _ in range(150):
        try:
            urllib.request.urlopen(f"{server.base}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.1)
    server.process.kill()
    raise AssertionError(f"parindex serve did not start: {log.read_text()}")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="module")
def chromium():
    require_or_skip(CHROMIUM.exists(), f"Chromium is not installed at {CHROMIUM} (make browser)")
    require_or_skip(AXE.exists(), f"axe-core is not installed at {AXE} (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        pw.selectors.set_test_id_attribute("data-test")
        yield browser
        browser.close()


def sign_in(context, base: str, email: str, password: str):
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, page.content()
    return page


_AXE_SOURCE: list[str] = []


def _axe_source() -> str:
    if not _AXE_SOURCE:
        _AXE_SOURCE.append(AXE.read_text(encoding="utf-8"))
    return _AXE_SOURCE[0]


def axe_violations(page, impacts=("serious", "critical")) -> list[str]:
    """axe-core's violations of ``impacts`` on the page as it is now, one line each."""
    # Evaluated through the DevTools protocol, which the page's CSP does not govern
    # (a <script> tag would be refused, as it should be).
    page.evaluate(_axe_source())
    result = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(
            n["target"][0] if isinstance(n["target"][0], str) else str(n["target"])
            for n in v["nodes"][:3]
        )
        for v in result
        if v["impact"] in impacts
    ]


def check_page(page, name: str, width_name: str) -> list[str]:
    """What is wrong with the page: sideways scrolling at its width, an element marked
    ``hidden`` that a style shows anyway, a table caption running past the screen (to be
    read by scrolling), and axe-core's serious or critical violations.
    A page with a problem (or every page, with :data:`ALL_SHOTS`) is screenshot into
    tests/artifacts/pages/."""
    problems = []
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 0:
        problems.append(f"{name} @ {width_name}: the page scrolls sideways by {overflow} px")
    shown = page.evaluate(
        """[...document.querySelectorAll("[hidden]")]
             .filter(e => e.getClientRects().length).map(e => e.outerHTML.slice(0, 80))"""
    )
    problems += [f"{name} @ {width_name}: hidden but shown: {e}" for e in shown]
    wide = page.evaluate(
        """[...document.querySelectorAll("caption")]
             .filter(c => c.getBoundingClientRect().right > window.innerWidth + 1)
             .map(c => c.textContent.trim().slice(0, 60))"""
    )
    problems += [f"{name} @ {width_name}: caption wider than the screen: {c}" for c in wide]
    problems += [f"{name} @ {width_name}: {v}" for v in axe_violations(page)]
    if problems or ALL_SHOTS:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "home"
        page.screenshot(path=str(ARTIFACTS / f"{safe}-{width_name}.png"), full_page=True)
    return problems
