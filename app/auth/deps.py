"""Route dependencies that demand a scope: `ReadAccess`, `WriteAccess`, `AdminAccess`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from app.auth.models import ApiKey
from app.auth.service import authenticate, grants, session_key
from app.db import SessionDep
from app.errors import NotAuthenticated, PermissionDenied
from app.settings import SettingsDep

# the dashboard's session cookie (a random id, see WebSession); in the API it authenticates
# reads only, so a page elsewhere cannot make a signed-in browser change anything through it
SESSION_COOKIE = "dispmon_session"

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer KEY`")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _cookie_key(request: Request, session: Session) -> ApiKey | None:
    plain = request.cookies.get(SESSION_COOKIE)
    return session_key(session, plain) if plain else None


def _require(needed: str) -> Callable[..., ApiKey | None]:
    def dependency(request: Request, session: SessionDep, settings: SettingsDep,
                   creds: BearerDep) -> ApiKey | None:
        if creds is not None:
            key = authenticate(session, creds.credentials)
        elif needed == "read" and request.method in ("GET", "HEAD") and (
                cookie_key := _cookie_key(request, session)) is not None:
            key = cookie_key
        elif needed == "read" and settings.public_read:
            return None
        else:
            raise NotAuthenticated(f"this operation needs an API key with the {needed!r} scope")
        if not grants(key.scope, needed):
            raise PermissionDenied(
                f"the key {key.name!r} has scope {key.scope!r}; this operation needs {needed!r}"
            )
        return key

    return dependency


ReadAccess = Annotated[ApiKey | None, Depends(_require("read"))]
WriteAccess = Annotated[ApiKey, Depends(_require("write"))]
AdminAccess = Annotated[ApiKey, Depends(_require("admin"))]
