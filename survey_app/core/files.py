"""Files that belong to rows: written under a temporary name and moved into place only
when the transaction that adds their row commits; removed with the row only when the
transaction that deletes it commits. A failed write, a rollback or a failed commit leaves
no file without a row (and no row without its file).

Temporary names start with a dot and end in ``.part``; ``sweep_orphans`` removes those
left by a crash, and files with no row, once older than a grace period.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_ADDED, _REMOVED = "parindex_files_added", "parindex_files_removed"


def temp_path(final: Path) -> Path:
    return final.with_name(f".{final.name}.part")


def stage_file(session: Session, final: Path, data: bytes) -> None:
    """Write ``data`` for ``final``; it appears there when ``session`` commits."""
    final.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_path(final)
    try:
        with open(temp, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    session.info.setdefault(_ADDED, []).append(final)


def unlink_on_commit(session: Session, path: Path) -> None:
    """Remove ``path`` once ``session`` commits (the row that names it is gone then)."""
    session.info.setdefault(_REMOVED, []).append(path)


@event.listens_for(Session, "after_commit")
def _promote(session: Session) -> None:
    for final in session.info.pop(_ADDED, []):
        try:
            os.replace(temp_path(final), final)
        except OSError:
            log.exception("a committed file could not be moved into place")
    for path in session.info.pop(_REMOVED, []):
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_transaction_end")
def _discard(session: Session, transaction) -> None:
    if transaction.parent is not None:  # a savepoint: the outer transaction decides
        return
    for final in session.info.pop(_ADDED, []):  # not committed: rolled back or closed
        temp_path(final).unlink(missing_ok=True)
    session.info.pop(_REMOVED, None)


def sweep_orphans(
    folder: Path, known: Callable[[Iterable[str]], set[str]], grace_seconds: float
) -> int:
    """Remove files of ``folder`` older than ``grace_seconds`` that ``known`` does not
    claim (it gets candidate names, returns those with a row), and stale temporary files.
    Returns how many were removed."""
    if not folder.is_dir():
        return 0
    cutoff = time.time() - grace_seconds
    old = [p for p in folder.iterdir() if p.is_file() and p.stat().st_mtime < cutoff]
    temps = [p for p in old if p.name.startswith(".") and p.name.endswith(".part")]
    names = [p.name for p in old if p not in temps]
    claimed = known(names) if names else set()
    gone = temps + [p for p in old if p.name in names and p.name not in claimed]
    for path in gone:
        path.unlink(missing_ok=True)
    if gone:
        log.warning("%d orphan file(s) removed from %s", len(gone), folder.name)
    return len(gone)
