"""Password hashing with argon2id, and generated passwords for new accounts."""

from __future__ import annotations

import secrets

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


def generate_password() -> str:
    """A 20-character password that survives being read aloud or copied from a terminal."""
    return secrets.token_urlsafe(15)
