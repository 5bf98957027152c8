"""One submission per opening of an open link: a nonce made when the link is opened,
kept in the browser's signed session, deleted by the submit that uses it."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import bindparam, delete, insert, select

from survey_app.core.db import utcnow
from survey_app.extensions import db
from survey_app.openlinks.models import OpenLinkNonce

#: Unused nonces (opened, never submitted) are deleted after this many days.
NONCE_DAYS = 14

_nonces = OpenLinkNonce.__table__


def nonce_hash(nonce: str) -> bytes:
    return hashlib.sha256(nonce.encode()).digest()


def issue_nonce(link_id: int) -> str:
    """A new nonce for one opening of the link (its own short transaction); old unused
    ones of the link go at the same time.

    The read transaction of the link's lookup is ended first: on SQLite a GET request's
    transaction is deferred (``core/sqlite.py``), and turning a read snapshot into a
    write fails at once if another process wrote since; a transaction that starts with
    the write waits for the lock instead."""
    db.session.rollback()
    nonce = secrets.token_urlsafe(24)
    cutoff = utcnow() - dt.timedelta(days=NONCE_DAYS)
    db.session.execute(
        delete(_nonces).where(_nonces.c.open_link_id == link_id, _nonces.c.created_at < cutoff)
    )
    db.session.execute(
        insert(_nonces).values(
            nonce_hash=nonce_hash(nonce), open_link_id=link_id, created_at=utcnow()
        )
    )
    db.session.commit()
    return nonce


#: The submit's use of the nonce: deleted (row locked NOWAIT on PostgreSQL, as an
#: invitation's), or nothing when it was used already.
CONSUME_NONCE = (
    delete(_nonces)
    .where(
        _nonces.c.nonce_hash.in_(
            select(_nonces.c.nonce_hash)
            .where(
                _nonces.c.nonce_hash == bindparam("b_nonce_hash"),
                _nonces.c.open_link_id == bindparam("b_open_link_id"),
            )
            .with_for_update(nowait=True)
        )
    )
    .returning(_nonces.c.open_link_id)
)
