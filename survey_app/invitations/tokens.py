"""Link tokens: 192 random bits, kept only as an HMAC-SHA256 under a key derived from SECRET_KEY."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from flask import current_app

#: Separates the token key from every other use of SECRET_KEY (sessions, CSRF).
_KEY_LABEL = b"parindex/invitation-token/v1"


def new_token() -> str:
    """A fresh link token: 24 random bytes, 32 URL-safe characters."""
    return secrets.token_urlsafe(24)


def token_hash(token: str) -> bytes:
    """The keyed hash stored in ``invitations.token_hash``; a database dump alone cannot
    be turned back into working links, nor can it be brute-forced without the key."""
    return hmac.new(_token_key(), token.encode("utf-8"), hashlib.sha256).digest()


def _token_key() -> bytes:
    secret = current_app.config["SECRET_KEY"]
    keys = current_app.extensions.setdefault("parindex_token_keys", {})
    if secret not in keys:  # derived once per key, not per link opened
        keys[secret] = hmac.new(secret.encode("utf-8"), _KEY_LABEL, hashlib.sha256).digest()
    return keys[secret]


#: What a link token can be (``new_token`` makes 32 URL-safe characters).
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def looks_like_token(token: str) -> bool:
    """Cheap shape check before touching the database: 16 to 64 URL-safe base64
    characters (letters, digits, ``-`` and ``_``)."""
    return _TOKEN_SHAPE.fullmatch(token) is not None
