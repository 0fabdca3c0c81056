"""The one exception tree of the service, and its translation into JSON problem objects.

    DispmonError                    (500) anything the service raises on purpose
    ├── SecretUnreadable            (500) a stored secret no configured key decrypts
    ├── InvalidInput                (422) a request or a file the service cannot accept
    │   └── PayloadTooLarge         (413) a body or a report over the configured size
    ├── NotAuthenticated            (401) no API key, or an unknown or revoked one
    ├── PermissionDenied            (403) a key whose scope does not allow the operation
    ├── NotFound                    (404) no such report, destination, source...
    ├── Conflict                    (409) the request clashes with what is stored
    ├── Busy                        (503) no database connection freed up in time; retry later
    └── UpstreamError               (502) a source or a receiver outside failed us
        └── FetchFailed                       a fetch failed; retried with backoff
            ├── OutboundBlocked               the outbound gate refused the URL (scheme, address)
            └── SourceMisconfigured           the source's settings are wrong; retried rarely

Routers and services raise these; `install_handlers` turns every error, including FastAPI's own
validation errors and unexpected exceptions, into `{"type", "title", "status", "detail"}`
without a stack trace.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel

if TYPE_CHECKING:  # FastAPI only where an answer is made: the CLI raises these without it
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"


class Problem(BaseModel):
    """What every error answers, as `application/problem+json`."""

    type: str
    title: str
    status: int
    detail: str


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "model": Problem,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


# the problems any API route may answer, for its OpenAPI description
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem_response("The request is malformed"),
    401: _problem_response("No API key, or an unknown or revoked one"),
    403: _problem_response("The key's scope does not allow this"),
    404: _problem_response("No such resource"),
    409: _problem_response("The request clashes with what is stored"),
    413: _problem_response("The body or the report is too large"),
    422: _problem_response("The input is invalid: each field and what is wrong with it"),
    503: _problem_response("The service is not ready; try again later"),
}


class DispmonError(Exception):
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"
    slug: ClassVar[str] = "internal-error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class SecretUnreadable(DispmonError):
    title = "Secret cannot be decrypted"
    slug = "secret-unreadable"


class InvalidInput(DispmonError):
    status = 422
    title = "Invalid input"
    slug = "invalid-input"


class PayloadTooLarge(InvalidInput):
    status = 413
    title = "Payload too large"
    slug = "payload-too-large"


class NotAuthenticated(DispmonError):
    status = 401
    title = "Not authenticated"
    slug = "not-authenticated"


class PermissionDenied(DispmonError):
    status = 403
    title = "Permission denied"
    slug = "permission-denied"


class NotFound(DispmonError):
    status = 404
    title = "Not found"
    slug = "not-found"


class Conflict(DispmonError):
    status = 409
    title = "Conflict"
    slug = "conflict"


class Busy(DispmonError):
    """Every database slot stayed taken for DISPMON_DB_WAIT_SECONDS: answered at once with
    `Retry-After`, rather than queueing the request until the client gives up."""

    status = 503
    title = "Busy"
    slug = "busy"

    def __init__(self, detail: str, *, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class UpstreamError(DispmonError):
    status = 502
    title = "Upstream error"
    slug = "upstream-error"


_TITLES = {cls.status: (cls.title, cls.slug) for cls in (
    NotAuthenticated, PermissionDenied, NotFound, Conflict, Busy, PayloadTooLarge, InvalidInput)}
_TITLES.update({400: ("Bad request", "bad-request"),
                405: ("Method not allowed", "method-not-allowed")})


def problem(status: int, detail: str, title: str | None = None, slug: str | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    from fastapi.responses import JSONResponse

    default_title, default_slug = _TITLES.get(status, ("Error", "error"))
    body = {
        "type": f"https://dispmon.org/problems/{slug or default_slug}",
        "title": title or default_title,
        "status": status,
        "detail": detail,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


def install_handlers(app: FastAPI) -> None:
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException

    @app.exception_handler(DispmonError)
    async def _dispmon(_request: Request, exc: DispmonError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if isinstance(exc, Busy):
            headers = {"Retry-After": str(exc.retry_after)}
        return problem(exc.status, exc.detail, exc.title, exc.slug, headers=headers, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _location(err.get("loc", ())), "message": str(err.get("msg", ""))}
            for err in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
        return problem(422, detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers) if exc.headers else None
        return problem(exc.status_code, str(exc.detail), headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "The service failed to handle this request; it has been logged.")


class FetchFailed(UpstreamError):
    """A fetch failed (network, HTTP status, unreadable payload). `retry_after` in seconds, when
    the server said when to come back."""

    title = "Fetch failed"
    slug = "fetch-failed"

    def __init__(self, detail: str, *, http_status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.http_status = http_status
        self.retry_after = retry_after


class SourceMisconfigured(FetchFailed):
    """Retrying will not help until someone changes the source (bad key, unapproved appname)."""

    title = "Source misconfigured"
    slug = "source-misconfigured"


class OutboundBlocked(FetchFailed):
    """The outbound gate (app/http.py) refused the URL: not http(s), or a private, loopback,
    link-local, multicast or reserved address that DISPMON_OUTBOUND_ALLOWLIST does not list."""

    title = "Outbound request blocked"
    slug = "outbound-blocked"
