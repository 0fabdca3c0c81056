"""The pages: parse the request, ask the services, render a template. No SQL here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from importlib import resources
from typing import Annotated, Any
from urllib.parse import quote as urlquote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from app.alerts import service as alerts
from app.auth.deps import SESSION_COOKIE
from app.auth.models import ApiKey
from app.auth.service import (
    authenticate,
    end_session,
    grants,
    sees_secrets,
    session_key,
    start_session,
)
from app.dashboard import service
from app.dashboard.charts import Marker, people, series_chart, sparkline
from app.dashboard.security import (
    SIGNIN_COOKIE,
    CheckedPost,
    csrf_token,
    safe_next,
    secure_cookies,
    signin_binding,
)
from app.dashboard.text import direction, mark_figures, mark_number
from app.db import SessionDep
from app.errors import DispmonError, NotAuthenticated, NotFound
from app.gazetteer.service import current_gazetteer
from app.limits import MAX_PAGE, Id, PlaceId
from app.notify import service as notify
from app.redaction import redact_text, redact_url
from app.settings import Settings, SettingsDep

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(resources.files("app.dashboard") / "templates"))
templates.env.filters["people"] = people
templates.env.filters["thousands"] = lambda n: f"{n:,}" if isinstance(n, int) else "–"
templates.env.filters["day_month"] = lambda d: f"{d.day} {d:%B %Y}"
templates.env.filters["signed"] = lambda n: "–" if n is None else (f"+{n:,}" if n > 0 else f"{n:,}")
templates.env.globals.update(sparkline=sparkline, direction=direction, mark_number=mark_number,
                             trigger_figure=service.trigger_figure)


@dataclass(frozen=True, slots=True)
class Viewer:
    key: ApiKey | None
    can_read: bool
    csrf: str | None = None  # the token of this session's forms

    @property
    def is_admin(self) -> bool:
        return self.key is not None and grants(self.key.scope, "admin")


def _sees_secrets(context: Context) -> bool:
    viewer = context.get("viewer")
    return isinstance(viewer, Viewer) and sees_secrets(viewer.key)


@pass_context
def _shown_url(context: Context, url: str | None) -> str | None:
    """A source's URL as this viewer may see it (admins: as stored)."""
    return url if url is None or _sees_secrets(context) else redact_url(url)


@pass_context
def _shown_text(context: Context, text: str | None) -> str | None:
    """A message (a fetch error) with its URLs as this viewer may see them."""
    return text if text is None or _sees_secrets(context) else redact_text(text)


templates.env.filters["shown_url"] = _shown_url
templates.env.filters["shown_text"] = _shown_text


class SignInRequired(Exception):
    """A page needs a key the browser did not present; answered with a redirect to /signin."""


def _viewer(request: Request, session: SessionDep, settings: SettingsDep) -> Viewer:
    plain = request.cookies.get(SESSION_COOKIE)
    key = session_key(session, plain) if plain else None
    can_read = settings.public_read or (key is not None and grants(key.scope, "read"))
    if not can_read:
        raise SignInRequired
    return Viewer(key, can_read, csrf_token(plain) if plain and key else None)


ViewerDep = Annotated[Viewer, Depends(_viewer)]


def _page(request: Request, name: str, viewer: Viewer | None, status: int = 200,
          **context: Any) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, {"viewer": viewer, **context},
                                          status_code=status)
    if viewer is not None and viewer.key is not None:
        response.headers["Cache-Control"] = "no-store"  # a signed-in page is no one else's
    return response


def signin_redirect(request: Request, _exc: Exception) -> Response:
    target = urlquote(safe_next(request.url.path), safe="/")
    return RedirectResponse(f"/signin?next={target}", status_code=303)


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, session: SessionDep, viewer: ViewerDep) -> HTMLResponse:
    gazetteer = current_gazetteer(session)
    return _page(request, "overview.html", viewer,
                 destinations=service.recent_destinations(session, gazetteer),
                 alerts=service.open_alerts(session), sources=service.source_states(session))


FiguresPage = Annotated[int, Query(ge=1, le=1_000_000, description="the page of figures")]


@router.get("/destinations/{place_id}", response_class=HTMLResponse)
def destination(place_id: PlaceId, request: Request, session: SessionDep,
                viewer: ViewerDep, page: FiguresPage = 1) -> HTMLResponse:
    place = current_gazetteer(session).get(place_id)
    if place is None:
        return _page(request, "missing.html", viewer, 404, what=f"No place with id {place_id}.")
    points = service.series_of(session, place.id)
    place_alerts = service.alerts_of(session, place.id)
    markers = [Marker(a.data_day, f"{a.severity}: {a.summary}", a.severity) for a in place_alerts]
    figures = service.figures_behind(session, place.id, page)
    return _page(request, "destination.html", viewer, place=place, points=points,
                 chart=series_chart(points, markers), alerts=place_alerts, figures=figures,
                 demo=figures.demo, quiet_since=service.quiet_since(points))


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(alert_id: Id, request: Request, session: SessionDep,
               viewer: ViewerDep) -> HTMLResponse:
    try:
        alert, rule, silenced = alerts.get_alert(session, alert_id)
    except NotFound:
        return _page(request, "missing.html", viewer, 404, what=f"No alert {alert_id}.")
    points = service.series_of(session, alert.destination_id)
    chart = series_chart(points, [Marker(alert.data_day, alert.summary, alert.severity)])
    return _page(request, "alert.html", viewer, alert=alert, rule=rule, silenced=silenced,
                 chart=chart, evidence=alert.evidence, error=request.query_params.get("error"))


def _alert_action(request: Request, session: SessionDep, viewer: Viewer, alert_id: Id,
                  action: str) -> Response:
    if not viewer.is_admin or viewer.key is None:
        return _page(request, "missing.html", viewer, 403,
                     what="Only a signed-in admin can change an alert.")
    try:
        if action == "ack":
            alerts.acknowledge(session, alert_id, viewer.key.name)
        else:
            alerts.resolve(session, current_gazetteer(session), alert_id, viewer.key.name)
    except DispmonError as exc:
        return RedirectResponse(f"/alerts/{alert_id}?error={urlquote(exc.detail)}", 303)
    return RedirectResponse(f"/alerts/{alert_id}", status_code=303)


@router.post("/alerts/{alert_id}/ack")
def acknowledge(alert_id: Id, request: Request, _checked: CheckedPost, session: SessionDep,
                viewer: ViewerDep) -> Response:
    return _alert_action(request, session, viewer, alert_id, "ack")


@router.post("/alerts/{alert_id}/resolve")
def resolve(alert_id: Id, request: Request, _checked: CheckedPost, session: SessionDep,
            viewer: ViewerDep) -> Response:
    return _alert_action(request, session, viewer, alert_id, "resolve")


@router.get("/reports/{report_id}", response_class=HTMLResponse)
def report_page(report_id: Id, request: Request, session: SessionDep,
                viewer: ViewerDep) -> HTMLResponse:
    found = service.report_with_figures(session, report_id)
    if found is None:
        return _page(request, "missing.html", viewer, 404, what=f"No report {report_id}.")
    report, source, figures = found
    return _page(request, "report.html", viewer, report=report, source=source, figures=figures,
                 marked=mark_figures(report.text, figures),
                 dir=direction(report.text, report.lang))


def _signin_page(request: Request, settings: Settings, next: str, status: int = 200,
                 error: str | None = None) -> HTMLResponse:
    binding, finish = signin_binding(request, settings)
    page = _page(request, "signin.html", None, status, next=safe_next(next), error=error,
                 csrf=csrf_token(binding))
    page.headers["Cache-Control"] = "no-store"  # its token belongs to this browser's cookie
    finish(page)
    return page


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, settings: SettingsDep, next: str = "/") -> HTMLResponse:
    return _signin_page(request, settings, next)


@router.post("/signin")
def signin(request: Request, _checked: CheckedPost, session: SessionDep, settings: SettingsDep,
           key: Annotated[str, Form()], next: Annotated[str, Form()] = "/") -> Response:
    try:
        api_key = authenticate(session, key.strip())
    except NotAuthenticated:
        return _signin_page(request, settings, next, 401, "That key is unknown or revoked.")
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        end_session(session, old)  # a fresh id on every sign-in: none can be planted before it
    lifetime = timedelta(hours=settings.session_hours)
    plain = start_session(session, api_key, lifetime)
    response = RedirectResponse(safe_next(next), status_code=303)
    # a random id, HttpOnly; Lax so that a link to an alert opens signed in, while posts from
    # elsewhere carry neither the cookie nor the form's token
    response.set_cookie(SESSION_COOKIE, plain, max_age=int(lifetime.total_seconds()),
                        httponly=True, samesite="lax", secure=secure_cookies(request, settings))
    response.delete_cookie(SIGNIN_COOKIE, httponly=True, samesite="strict",
                           secure=secure_cookies(request, settings))
    return response


@router.post("/signout")
def signout(request: Request, _checked: CheckedPost, session: SessionDep,
            settings: SettingsDep) -> Response:
    plain = request.cookies.get(SESSION_COOKIE)
    if plain:
        end_session(session, plain)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax",
                           secure=secure_cookies(request, settings))
    return response


# -- e-mail and chat subscriptions (app/notify): admins see them and re-check an address ----

@router.get("/subscriptions", response_class=HTMLResponse)
def subscriptions_page(request: Request, session: SessionDep,
                       viewer: ViewerDep) -> HTMLResponse:
    if not viewer.is_admin:
        return _page(request, "missing.html", viewer, 403,
                     what="Only a signed-in admin can see the subscriptions.")
    return _page(request, "subscriptions.html", viewer,
                 subscriptions=notify.list_subscriptions(session, None, MAX_PAGE),
                 error=request.query_params.get("error"))


@router.post("/subscriptions/{subscription_id}/test")
def check_subscription(subscription_id: Id, request: Request, _checked: CheckedPost,
                       session: SessionDep, viewer: ViewerDep) -> Response:
    if not viewer.is_admin:
        return _page(request, "missing.html", viewer, 403,
                     what="Only a signed-in admin can check a subscription.")
    try:
        notify.send_test(session, subscription_id)
    except DispmonError as exc:
        return RedirectResponse(f"/subscriptions?error={urlquote(exc.detail)}", 303)
    return RedirectResponse("/subscriptions", status_code=303)
