"""Password hashing with argon2id, and generated passwords for new accounts."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

#: The shortest password a person may choose (web forms and the CLI).
MIN_LENGTH = 12

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def dummy_hash() -> str:
    """A hash of no one's password, checked when an e-mail address has no account, so
    that answer takes as long as a wrong password."""
    return _hasher.hash(secrets.token_urlsafe(16))


def generate_password() -> str:
    """A 20-character password that survives being read aloud or copied from a terminal."""
    return secrets.token_urlsafe(15)
