"""Signing the session cookie and the CSRF token faster, in itsdangerous's own format.

Every respondent request signs or checks the session cookie, and the link and the form
page sign a CSRF token. itsdangerous, as Flask and Flask-WTF call it, builds a new
serializer (CSRF) and a new signer each time, derives the key again (an HMAC) for every
signature, takes Python's pure-Python HMAC path, and tries to zlib-compress even a
200-byte cookie; Flask's session JSON tags every value of the session. Together that was
about a tenth of the server's CPU under respondent load.

What is here produces and accepts exactly what they do (tests check both directions):

- :class:`FastSigner` derives each key once per secret and salt, and computes HMACs
  with :func:`hmac.digest` (the same bytes);
- :class:`FastURLSafeTimedSerializer` compresses only payloads large enough to gain from
  it (a compressed payload is still read, as before), and makes its signer once per salt
  rather than for every call;
- :class:`SessionJSON` writes plain JSON when the session holds nothing that Flask's
  tags would change (strings, numbers, booleans, None, lists and dicts), and Flask's
  tagged JSON otherwise; it reads both;
- :func:`csrf_token` is Flask-WTF's ``generate_csrf`` on a cached serializer: the same
  session entry, the same token, cached on ``g`` where Flask-WTF looks for it, so Flask-WTF
  (its form fields, its check on every POST) works on as before;
- :func:`csrf_token_matches` accepts exactly the tokens Flask-WTF's ``validate_csrf``
  accepts; anything it does not accept still goes through Flask-WTF's own check.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from functools import lru_cache

from flask import current_app, g, session
from flask.json.tag import TaggedJSONSerializer
from itsdangerous import BadData, Serializer, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.signer import HMACAlgorithm

#: Payloads shorter than this are not worth compressing (a session cookie is ~200 bytes).
COMPRESS_FROM = 1024
#: Flask-WTF's salt and default key derivation for its CSRF tokens.
CSRF_SALT = "wtf-csrf-token"


class _HMAC(HMACAlgorithm):
    """:func:`hmac.digest` (one C call) where ``hmac.new`` with a hashlib function would
    take the pure-Python path; the same signature."""

    def __init__(self, digest_method) -> None:
        super().__init__(digest_method)
        self.name = digest_method().name

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        return hmac.digest(key, value, self.name)


@lru_cache(maxsize=64)
def _derived(secret_key: bytes, salt: bytes, derivation: str, digest_name: str) -> bytes:
    digest = getattr(hashlib, digest_name)
    if derivation == "concat":
        return digest(salt + secret_key).digest()
    if derivation == "django-concat":
        return digest(salt + b"signer" + secret_key).digest()
    if derivation == "hmac":
        return hmac.digest(secret_key, salt, digest_name)
    if derivation == "none":
        return secret_key
    raise TypeError("Unknown key derivation method")


class FastSigner(TimestampSigner):
    """A timestamp signer whose derived keys are computed once per secret and salt."""

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        key = self.secret_keys[-1] if secret_key is None else secret_key
        if isinstance(key, str):
            key = key.encode()
        return _derived(key, self.salt, self.key_derivation, self.algorithm.name)


class FastURLSafeTimedSerializer(URLSafeTimedSerializer):
    """Signs with :class:`FastSigner`; compresses only payloads worth compressing."""

    default_signer = FastSigner

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # One algorithm object for every signer this serializer makes (one per salt).
        digest = self.signer_kwargs.get("digest_method") or TimestampSigner.default_digest_method
        self.signer_kwargs = {**self.signer_kwargs, "algorithm": _HMAC(digest)}
        self._signers: dict[str | bytes, FastSigner] = {}

    def make_signer(self, salt: str | bytes | None = None) -> FastSigner:
        """The signer of ``salt``, made once: itsdangerous makes a new one for every
        ``dumps`` and ``loads``, and a signer holds nothing but its keys and salt."""
        if salt is None:
            salt = self.salt
        signer = self._signers.get(salt)
        if signer is None:
            signer = self._signers[salt] = super().make_signer(salt)
        return signer

    def dump_payload(self, obj) -> bytes:
        if len(payload := Serializer.dump_payload(self, obj)) < COMPRESS_FROM:
            return base64_encode(payload)
        return super().dump_payload(obj)


class SessionJSON(TaggedJSONSerializer):
    """Flask's session serializer, without the tagging walk when nothing needs a tag."""

    def dumps(self, value) -> str:
        if self._plain(value):
            return json.dumps(value, separators=(",", ":"))
        return super().dumps(value)

    def loads(self, value: str):
        """As Flask's (tags are undone from the inside out), with ``json``'s own hook."""
        return json.loads(value, object_hook=self._untag_one)

    def _untag_one(self, value: dict):
        if len(value) == 1:
            key = next(iter(value))
            if key in self.tags:
                return self.tags[key].to_python(value[key])
        return value

    def _plain(self, value) -> bool:
        kind = type(value)
        if kind is str or kind is int or kind is bool or kind is float or value is None:
            return True
        if kind is list:
            return all(self._plain(v) for v in value)
        if kind is dict:
            if len(value) == 1 and next(iter(value)) in self.tags:
                return False  # would read back as a tagged value
            return all(type(k) is str and self._plain(v) for k, v in value.items())
        return False


@lru_cache(maxsize=16)
def csrf_serializer(secret_key: str | bytes) -> FastURLSafeTimedSerializer:
    return FastURLSafeTimedSerializer(secret_key, salt=CSRF_SALT)


def csrf_token_matches(token: str | None) -> bool:
    """Whether ``token`` is this session's valid CSRF token, as Flask-WTF's
    ``validate_csrf`` would find it (False where it would raise)."""
    config = current_app.config
    expected = session.get(config["WTF_CSRF_FIELD_NAME"])
    if not token or not isinstance(expected, str):
        return False
    secret = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    try:
        value = csrf_serializer(secret).loads(token, max_age=config["WTF_CSRF_TIME_LIMIT"])
    except BadData:
        return False
    return isinstance(value, str) and hmac.compare_digest(expected, value)


def csrf_token() -> str:
    """This session's CSRF token, as Flask-WTF's ``generate_csrf()`` gives it."""
    config = current_app.config
    field = config["WTF_CSRF_FIELD_NAME"]
    token = g.get(field)
    if token is None:
        raw = csrf_session_secret()
        secret = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
        token = csrf_serializer(secret).dumps(raw)
        setattr(g, field, token)
    return token


def csrf_session_secret() -> str:
    """The session's CSRF secret (the value every token of this session signs), made as
    Flask-WTF's ``generate_csrf()`` makes it if the session has none yet. A page that
    only needs the session ready for a token on the next page calls this rather than
    sign a token nobody reads."""
    field = current_app.config["WTF_CSRF_FIELD_NAME"]
    if field not in session:
        session[field] = hashlib.sha1(os.urandom(64)).hexdigest()  # noqa: S324 (as Flask-WTF)
    return session[field]
