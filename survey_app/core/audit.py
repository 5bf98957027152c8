"""Writing to the append-only audit log."""

from __future__ import annotations

from typing import Any

from flask import has_request_context

from survey_app.core.models import AuditEntry
from survey_app.extensions import db


def _current_user():
    if not has_request_context():
        return None
    from flask import g

    return getattr(g, "user", None)


def log_change(
    action: str,
    object_type: str,
    object_id: Any = None,
    *,
    old: dict | None = None,
    new: dict | None = None,
    reason: str | None = None,
    unit_id: int | None = None,
    round_id: int | None = None,
    user=None,
    actor: str | None = None,
) -> AuditEntry:
    """Add an audit entry to the current transaction (committed with the change itself)."""
    user = user or _current_user()
    entry = AuditEntry(
        user_id=user.id if user else None,
        actor=actor or (user.email if user else "system"),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        old=old,
        new=new,
        reason=reason,
        unit_id=unit_id,
        round_id=round_id,
    )
    db.session.add(entry)
    return entry
