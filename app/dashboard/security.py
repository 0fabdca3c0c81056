"""The dashboard on the open web: where sign-in may send the browser, and which posts it obeys.

Every form carries a CSRF token derived from the cookie it posts with (the session's, or before
sign-in a short-lived random one), and every POST must come from the service's own origin (its
Origin header, else its Referer). Either failing is a 403 problem, before anything changes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Annotated
from urllib.parse import unquote, urlsplit

from fastapi import Depends, Request, Response

from app.auth.deps import SESSION_COOKIE
from app.errors import PermissionDenied
from app.settings import Settings, SettingsDep

# before sign-in, the sign-in form's token is bound to this cookie (against login CSRF)
SIGNIN_COOKIE = "dispmon_signin"
SIGNIN_COOKIE_SECONDS = 3600
CSRF_FIELD = "csrf_token"
_MAX_NEXT = 2000


def _local(path: str) -> bool:
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return False
    # browsers drop tabs and newlines from URLs ("/\t/evil.example" is "//evil.example")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in path):
        return False
    parts = urlsplit(path)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None) -> str:
    """`target` when it is a path on this site, else "/": never `//host`, `/\\host`, a scheme,
    control characters, or any of those percent-encoded (once or several times)."""
    if not target or len(target) > _MAX_NEXT:
        return "/"
    probe = target
    for _ in range(4):
        if not _local(probe):
            return "/"
        decoded = unquote(probe)
        if decoded == probe:
            return target
        probe = decoded
    return "/"  # still decoding after four rounds: nobody links like that


def csrf_token(binding: str) -> str:
    """The token forms carry: a MAC of the cookie they are posted with, which a page elsewhere
    can neither read nor compute."""
    return hmac.new(binding.encode(), b"dispmon-csrf", hashlib.sha256).hexdigest()


def csrf_binding(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or request.cookies.get(SIGNIN_COOKIE)


def secure_cookies(request: Request, settings: Settings) -> bool:
    return settings.https or request.url.scheme == "https"


def signin_binding(request: Request, settings: Settings) -> tuple[str, Callable[[Response], None]]:
    """The cookie the sign-in form's token is bound to, and what to do to the page's response:
    set that cookie when the browser has none yet."""
    binding = csrf_binding(request)
    if binding is not None:
        return binding, lambda _response: None
    fresh = secrets.token_urlsafe(32)

    def set_cookie(response: Response) -> None:
        response.set_cookie(SIGNIN_COOKIE, fresh, max_age=SIGNIN_COOKIE_SECONDS, httponly=True,
                            samesite="strict", secure=secure_cookies(request, settings))

    return fresh, set_cookie


def _origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def same_origin(request: Request, settings: Settings) -> bool:
    """The POST comes from a page of this service: its Origin, or when the browser sent none,
    its Referer, is DISPMON_PUBLIC_URL's origin (or, with none set, names the host asked)."""
    claimed = request.headers.get("origin")
    if claimed is None:
        claimed = request.headers.get("referer")
    if not claimed:
        return False  # "null" and absent alike: nothing shows where the form was
    origin = _origin(claimed)
    if origin is None:
        return False
    if settings.public_url:
        return origin == _origin(settings.public_url)
    # without a public URL a proxy may have ended TLS: compare host and port as asked
    host = _origin(f"{origin[0]}://{request.headers.get('host', '')}")
    return host is not None and origin[1:] == host[1:]


async def _checked_post(request: Request, settings: SettingsDep) -> None:
    if not same_origin(request, settings):
        raise PermissionDenied("this form was not posted from a page of this service "
                               "(Origin or Referer missing or foreign)")
    token = (await request.form()).get(CSRF_FIELD)
    binding = csrf_binding(request)
    if not (isinstance(token, str) and binding
            and hmac.compare_digest(token, csrf_token(binding))):
        raise PermissionDenied("the form's CSRF token is missing or stale; reload the page "
                               "and try again")


CheckedPost = Annotated[None, Depends(_checked_post)]
