"""Creating and checking API keys. A key is shown once; only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import ApiKey
from app.db import utcnow
from app.errors import InvalidInput, NotAuthenticated

SCOPES = ("read", "write", "admin")
KEY_PREFIX = "dm_"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(session: Session, name: str, scope: str) -> tuple[ApiKey, str]:
    """Stores a new key and returns it with its plain text, which is never stored."""
    if scope not in SCOPES:
        raise InvalidInput(f"scope must be one of {', '.join(SCOPES)}, not {scope!r}")
    if not name.strip():
        raise InvalidInput("a key needs a name saying who or what uses it")
    plain = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name.strip(), scope=scope, prefix=plain[:10], key_hash=_digest(plain))
    session.add(key)
    session.flush()
    return key, plain


def authenticate(session: Session, plain: str) -> ApiKey:
    key = session.scalar(select(ApiKey).where(ApiKey.key_hash == _digest(plain)))
    if key is None or key.revoked_at is not None:
        raise NotAuthenticated("unknown or revoked API key")
    key.last_used_at = utcnow()
    return key


def grants(scope: str, needed: str) -> bool:
    """admin includes write, which includes read."""
    return SCOPES.index(scope) >= SCOPES.index(needed)
