"""Route dependencies that demand a scope: `ReadAccess`, `WriteAccess`, `AdminAccess`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth.models import ApiKey
from app.auth.service import authenticate, grants
from app.db import SessionDep
from app.errors import NotAuthenticated, PermissionDenied
from app.settings import SettingsDep

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer KEY`")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _require(needed: str) -> Callable[..., ApiKey | None]:
    def dependency(session: SessionDep, settings: SettingsDep, creds: BearerDep) -> ApiKey | None:
        if creds is None:
            if needed == "read" and settings.public_read:
                return None
            raise NotAuthenticated(f"this operation needs an API key with the {needed!r} scope")
        key = authenticate(session, creds.credentials)
        if not grants(key.scope, needed):
            raise PermissionDenied(
                f"the key {key.name!r} has scope {key.scope!r}; this operation needs {needed!r}"
            )
        return key

    return dependency


ReadAccess = Annotated[ApiKey | None, Depends(_require("read"))]
WriteAccess = Annotated[ApiKey, Depends(_require("write"))]
AdminAccess = Annotated[ApiKey, Depends(_require("admin"))]
