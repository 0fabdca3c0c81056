"""Creating and checking API keys, and the dashboard's sessions signed in with them. A key is
shown once and a session id lives only in its cookie; only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.auth.models import ApiKey, WebSession
from app.db import utcnow
from app.errors import InvalidInput, NotAuthenticated, NotFound

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
    _touch(session, key)
    return key


TOUCH_EVERY = timedelta(minutes=1)


def _touch(session: Session, key: ApiKey) -> None:
    """Records the key's use, at most once a minute, and never waiting: every request with
    the same key writing its row would hold that row's lock to the end of the request, and
    queue all the key's concurrent requests behind one another (SKIP LOCKED on PostgreSQL;
    SQLite has one writer anyway)."""
    now = utcnow()
    if key.last_used_at is not None and now - key.last_used_at < TOUCH_EVERY:
        return
    free = select(ApiKey.id).where(ApiKey.id == key.id).with_for_update(skip_locked=True)
    session.execute(update(ApiKey).where(ApiKey.id.in_(free)).values(last_used_at=now)
                    .execution_options(synchronize_session=False))


def grants(scope: str, needed: str) -> bool:
    """admin includes write, which includes read."""
    return SCOPES.index(scope) >= SCOPES.index(needed)


def sees_secrets(key: ApiKey | None) -> bool:
    """Only admins see source URLs with their credentials and app identifiers."""
    return key is not None and grants(key.scope, "admin")


def revoke_key(session: Session, key: ApiKey) -> None:
    """The key stops working, and so does every browser signed in with it."""
    now = utcnow()
    key.revoked_at = now
    session.execute(update(WebSession).where(WebSession.api_key_id == key.id,
                                             WebSession.revoked_at.is_(None))
                    .values(revoked_at=now))


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke_key_by_id(session: Session, key_id: int) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"no API key {key_id}")
    if key.revoked_at is None:
        revoke_key(session, key)
    return key


def start_session(session: Session, key: ApiKey, lifetime: timedelta) -> str:
    """A new sign-in for `key`: returns the random id for the cookie; only its hash is stored."""
    now = utcnow()
    plain = secrets.token_urlsafe(32)
    session.add(WebSession(token_hash=_digest(plain), api_key_id=key.id, created_at=now,
                           expires_at=now + lifetime))
    session.flush()
    return plain


def delete_expired_sessions(session: Session) -> int:
    """Deletes sessions past their expiry (signed-out ones expire too); the caller commits."""
    result = session.execute(delete(WebSession).where(WebSession.expires_at < utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)


def session_key(session: Session, plain: str) -> ApiKey | None:
    """The key a session cookie signs in with; None when it is unknown, expired, signed out or
    its key revoked."""
    row = session.execute(
        select(WebSession, ApiKey).join(ApiKey, ApiKey.id == WebSession.api_key_id)
        .where(WebSession.token_hash == _digest(plain))
    ).first()
    if row is None:
        return None
    web, key = row
    if web.revoked_at is not None or key.revoked_at is not None or web.expires_at <= utcnow():
        return None
    return key


def end_session(session: Session, plain: str) -> None:
    """Signs the session out: its cookie, even if kept, signs in no more."""
    session.execute(update(WebSession).where(WebSession.token_hash == _digest(plain),
                                             WebSession.revoked_at.is_(None))
                    .values(revoked_at=utcnow()))
