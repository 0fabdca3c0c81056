"""The pages: parse the request, ask the services, render a template. No SQL here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from importlib import resources
from typing import Annotated, Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit
from urllib.parse import quote as urlquote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from pydantic import ValidationError
from sqlalchemy.orm import Session

from app import pipeline
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
from app.crypto import secret_box
from app.dashboard import service, submit
from app.dashboard.charts import Marker, people, series_chart, sparkline
from app.dashboard.review import KINDS, QUALIFIERS, UNITS, Attempt, correction_of, explain, told
from app.dashboard.security import (
    SIGNIN_COOKIE,
    CheckedPost,
    csrf_token,
    safe_next,
    secure_cookies,
    signin_binding,
)
from app.dashboard.submit import FormRefused, Preview, ReportForm
from app.dashboard.subscription_forms import RULE_KINDS, Typed, TypedForm, refusal, typed_of
from app.dashboard.text import direction, mark_figures, mark_number
from app.db import SessionDep, utcnow
from app.demo import DemoFlag
from app.errors import DispmonError, NotAuthenticated, NotFound
from app.gazetteer.service import additions_mark, current_gazetteer
from app.incidents.service import open_incidents
from app.limits import MAX_PAGE, Id, PlaceId
from app.notify import service as notify
from app.notify.models import ChannelKind
from app.redaction import redact_text, redact_url
from app.reports import review as review_service
from app.reports import service as reports_service
from app.reports.models import ReviewAction
from app.settings import Settings, SettingsDep
from app.sources.models import CREDIBILITY_GRADES
from app.summary import conditional

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(resources.files("app.dashboard") / "templates"))
templates.env.filters["people"] = people
templates.env.filters["thousands"] = lambda n: f"{n:,}" if isinstance(n, int) else "–"
templates.env.filters["day_month"] = lambda d: f"{d.day} {d:%B %Y}"
templates.env.filters["signed"] = lambda n: "–" if n is None else (f"+{n:,}" if n > 0 else f"{n:,}")
templates.env.globals.update(sparkline=sparkline, direction=direction, mark_number=mark_number,
                             trigger_figure=service.trigger_figure, units=UNITS,
                             qualifiers=QUALIFIERS, kinds=KINDS)
templates.env.filters["told"] = told


@dataclass(frozen=True, slots=True)
class Viewer:
    key: ApiKey | None
    can_read: bool
    csrf: str | None = None  # the token of this session's forms

    @property
    def is_admin(self) -> bool:
        return self.key is not None and grants(self.key.scope, "admin")

    @property
    def can_write(self) -> bool:
        """May review figures: a signed-in key with scope write or admin."""
        return self.key is not None and grants(self.key.scope, "write")


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
FormText = Annotated[str, Form()]


def _notice(request: Request, name: str) -> int | None:
    """The figure whose review the previous form recorded (`?reviewed=ID`), or found already
    so (`?unchanged=ID`), to say so."""
    value = request.query_params.get(name, "")
    return int(value) if value.isdigit() and len(value) <= 10 else None


def _page(request: Request, name: str, viewer: Viewer | None, status: int = 200,
          **context: Any) -> HTMLResponse:
    context.setdefault("attempt", None)
    notices = {"reviewed": _notice(request, "reviewed"),
               "unchanged": _notice(request, "unchanged")}
    response = templates.TemplateResponse(request, name,
                                          {"viewer": viewer, **notices, **context},
                                          status_code=status)
    if viewer is not None and viewer.key is not None:
        response.headers["Cache-Control"] = "no-store"  # a signed-in page is no one else's
    return response


def signin_redirect(request: Request, _exc: Exception) -> Response:
    target = urlquote(safe_next(request.url.path), safe="/")
    return RedirectResponse(f"/signin?next={target}", status_code=303)


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, session: SessionDep, viewer: ViewerDep,
             demo: Annotated[bool | None, Query(
                 description="the demo's data, or the real (never both); absent: the real "
                             "once there is any, the demo until then")] = None) -> Response:
    """The real destinations and alerts, or the demo's: never both at once. A new install shows
    its demo until the first real figure makes a series, saying so."""
    gazetteer = current_gazetteer(session)
    if demo is None:
        demo = not service.has_series(session, demo=False) and service.has_series(session,
                                                                                  demo=True)
    # a 304 when nothing the page shows changed for this viewer (its forms' token included)
    parts, modified = service.overview_state(session, demo=demo)
    tag = conditional.etag("overview", demo, parts, additions_mark(session), request.url.query,
                           viewer.key.id if viewer.key else None, viewer.csrf, viewer.can_read)
    if (cached := conditional.not_modified(request, tag, modified)) is not None:
        return cached
    page = _page(request, "overview.html", viewer,
                 destinations=service.recent_destinations(session, gazetteer, demo=demo),
                 alerts=[a for a in service.open_alerts(session, demo=demo)
                         if a.incident_id is None],
                 incidents=open_incidents(session, demo=demo, gazetteer=gazetteer),
                 retracted=service.retracted_alerts(session, demo=demo),
                 waiting=service.waiting_count(session),
                 sources=service.source_states(session), demo=demo,
                 has_demo=demo or service.has_series(session, demo=True))
    conditional.stamp(page, tag, modified)
    return page


FiguresPage = Annotated[int, Query(ge=1, le=1_000_000, description="the page of figures")]


@router.get("/destinations/{place_id}", response_class=HTMLResponse)
def destination(place_id: PlaceId, request: Request, session: SessionDep,
                viewer: ViewerDep, page: FiguresPage = 1,
                demo: DemoFlag = False) -> HTMLResponse:
    return _destination(request, session, viewer, place_id, page, demo)


def _destination(request: Request, session: Session, viewer: Viewer, place_id: str, page: int,
                 demo: bool, refused: Attempt | None = None) -> HTMLResponse:
    place = current_gazetteer(session).get(place_id)
    if place is None:
        return _page(request, "missing.html", viewer, 404, what=f"No place with id {place_id}.")
    points = service.series_of(session, place.id, demo=demo)
    place_alerts = service.alerts_of(session, place.id, demo=demo)
    markers = [Marker(a.data_day, f"{a.severity}: {a.summary}", a.severity) for a in place_alerts
               if a.status != "retracted"]
    figures = service.figures_behind(session, place.id, page, demo=demo)
    return _page(request, "destination.html", viewer, _status(refused), place=place,
                 points=points, chart=series_chart(points, markers), alerts=place_alerts,
                 figures=figures, waiting=service.waiting_for(session, place.id, demo=demo),
                 demo=demo, quiet_since=service.quiet_since(points), attempt=refused,
                 **_back(f"/destinations/{place.id}", page=page, demo=demo))


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(alert_id: Id, request: Request, session: SessionDep,
               viewer: ViewerDep) -> HTMLResponse:
    return _alert(request, session, viewer, alert_id)


def _alert(request: Request, session: Session, viewer: Viewer, alert_id: int,
           refused: Attempt | None = None) -> HTMLResponse:
    try:
        alert, rule, silenced = alerts.get_alert(session, alert_id)
    except NotFound:
        return _page(request, "missing.html", viewer, 404, what=f"No alert {alert_id}.")
    points = service.series_of(session, alert.destination_id, demo=alert.demo)
    chart = series_chart(points, [Marker(alert.data_day, alert.summary, alert.severity)])
    evidence = alert.evidence
    now = service.figures_now(session, (int(f["figure_id"]) for f in
                                        evidence.get("figures", []) if f.get("figure_id")))
    return _page(request, "alert.html", viewer, _status(refused), alert=alert, rule=rule,
                 silenced=silenced, chart=chart, evidence=evidence, figures_now=now,
                 history=service.alert_history(session, alert.id),
                 retraction=service.retraction(session, alert),
                 error=request.query_params.get("error"), attempt=refused,
                 **_back(f"/alerts/{alert.id}"))


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


# -- the report form: field staff paste a text, see what it says, and file it -----------------

@router.get("/reports/new", response_class=HTMLResponse)
def report_form(request: Request, session: SessionDep, viewer: ViewerDep) -> HTMLResponse:
    """A text to file as a report, with its source and the source's credibility."""
    if not viewer.can_write:
        return _page(request, "missing.html", viewer, 403,
                     what="Only a signed-in key with write scope can submit reports.")
    return _report_form(request, session, viewer, ReportForm())


def _report_form(request: Request, session: Session, viewer: Viewer, form: ReportForm,
                 preview: Preview | None = None) -> HTMLResponse:
    return _page(request, "report_form.html", viewer, form.status, form=form, preview=preview,
                 sources=service.real_sources(session),
                 credibilities=CREDIBILITY_GRADES)


@router.post("/reports/new")
def submit_report(request: Request, _checked: CheckedPost, session: SessionDep,
                  settings: SettingsDep, viewer: ViewerDep, step: FormText = "preview",
                  text: FormText = "", title: FormText = "", url: FormText = "",
                  published: FormText = "", lang: FormText = "", source: FormText = "",
                  credibility: FormText = "") -> Response:
    """`step=preview` shows the figures the extractor reads in the text and stores nothing;
    `step=save` files the report through `pipeline.ingest`, as `POST /api/v1/reports` does, in
    the signed-in key's right (an existing source's credibility changes for an admin only),
    then opens it. A form that cannot be filed comes back as typed, with the reason."""
    if viewer.key is None or not viewer.can_write:
        return _page(request, "missing.html", viewer, 403,
                     what="Only a signed-in key with write scope can submit reports.")
    form = ReportForm(text, title, url, published, lang, source, credibility)
    try:
        body = form.body()
    except FormRefused as exc:
        return _report_form(request, session, viewer, form.refused(exc.message))
    new = submit.new_report(body)
    submitted = body.submitted_source()
    name = submitted.name if submitted else "Manual submissions"
    if step != "save":
        existing = service.source_named(session, name)
        try:
            figures = submit.read_figures(settings, current_gazetteer(session), new,
                                          existing.lang if existing else None)
        except DispmonError as exc:
            return _report_form(request, session, viewer, form.refused(exc.detail, exc.status))
        return _report_form(request, session, viewer, form,
                            Preview(figures, new, name, existing, utcnow().date()))
    try:
        with session.begin_nested():  # a refused report leaves nothing behind, its source too
            filed_under = reports_service.manual_source(
                session, submitted.name if submitted else None,
                credibility=submitted.credibility if submitted else None,
                may_change=viewer.is_admin)
            result = pipeline.ingest(session, settings, filed_under, new)
    except DispmonError as exc:
        if exc.status >= 500:
            raise
        return _report_form(request, session, viewer, form.refused(exc.detail, exc.status))
    return RedirectResponse(f"/reports/{result.report.id}", status_code=303)


@router.get("/reports/{report_id}", response_class=HTMLResponse)
def report_page(report_id: Id, request: Request, session: SessionDep,
                viewer: ViewerDep) -> HTMLResponse:
    return _report(request, session, viewer, report_id)


def _report(request: Request, session: Session, viewer: Viewer, report_id: int,
            refused: Attempt | None = None) -> HTMLResponse:
    found = service.report_with_figures(session, report_id)
    if found is None:
        return _page(request, "missing.html", viewer, 404, what=f"No report {report_id}.")
    report, source, figures = found
    return _page(request, "report.html", viewer, _status(refused), report=report,
                 source=source, figures=figures, marked=mark_figures(report.text, figures),
                 dir=direction(report.text, report.lang), attempt=refused,
                 **_back(f"/reports/{report.id}"))


# -- review: the queue, a figure and its history, and the forms' one action -----------------

QueueAfter = Annotated[Id | None, Query(description="the last figure of the previous page")]


@router.get("/review", response_class=HTMLResponse)
def review_queue(request: Request, session: SessionDep, viewer: ViewerDep,
                 after: QueueAfter = None) -> HTMLResponse:
    """The figures waiting for a person, oldest first (DISPMON_REVIEW)."""
    return _queue(request, session, viewer, after)


def _queue(request: Request, session: Session, viewer: Viewer, after: int | None,
           refused: Attempt | None = None) -> HTMLResponse:
    return _page(request, "review.html", viewer, _status(refused),
                 queue=service.review_queue(session, after), after=after,
                 waiting=service.waiting_count(session), attempt=refused,
                 **_back("/review", after=after))


@router.get("/figures/{figure_id}", response_class=HTMLResponse)
def figure_page(figure_id: Id, request: Request, session: SessionDep,
                viewer: ViewerDep) -> HTMLResponse:
    """A figure as read and as it counts, and every review of it: who, when, before, after,
    why."""
    return _figure(request, session, viewer, figure_id)


def _figure(request: Request, session: Session, viewer: Viewer, figure_id: int,
            refused: Attempt | None = None) -> HTMLResponse:
    row = service.figure_row(session, figure_id)
    if row is None:
        return _page(request, "missing.html", viewer, 404, what=f"No figure {figure_id}.")
    return _page(request, "figure.html", viewer, _status(refused), row=row,
                 history=review_service.history(session, figure_id), attempt=refused,
                 **_back(f"/figures/{figure_id}"))


def _status(refused: Attempt | None) -> int:
    return 200 if refused is None else refused.status


def _back(path: str, **query: object) -> dict[str, str]:
    """Where the page's review forms return: the page itself, as asked (its page, its realm)."""
    shown = {k: ("true" if v is True else str(v)) for k, v in query.items()
             if v not in (None, False) and not (k == "page" and v == 1)}
    return {"back": path + (f"?{urlencode(shown)}" if shown else "")}


_PAGES = re.compile(r"/(reports|alerts|figures|destinations)/([^/]{1,64})|/review")


def _again(request: Request, session: Session, viewer: Viewer, back: str,
           refused: Attempt) -> HTMLResponse:
    """The page the refused form was on, again, with the form as it was typed and why it was
    refused; the figure's own page when that page is not one with review forms."""
    parts = urlsplit(back)
    query = dict(parse_qsl(parts.query))
    found = _PAGES.fullmatch(parts.path)
    number = found.group(2) if found else None
    whole = int(number) if number and number.isdigit() and len(number) <= 9 else None
    if found is None or found.group(1) == "figures":
        return _figure(request, session, viewer, refused.figure_id, refused)
    if found.group(1) is None:
        after = query.get("after", "")
        return _queue(request, session, viewer,
                      int(after) if after.isdigit() and len(after) <= 9 else None, refused)
    if found.group(1) == "destinations":
        page = query.get("page", "")
        return _destination(request, session, viewer, unquote(found.group(2)),
                            int(page) if page.isdigit() and len(page) <= 7 else 1,
                            query.get("demo") == "true", refused)
    if whole is None:
        return _figure(request, session, viewer, refused.figure_id, refused)
    if found.group(1) == "reports":
        return _report(request, session, viewer, whole, refused)
    return _alert(request, session, viewer, whole, refused)



@router.post("/figures/{figure_id}/review")
def review_figure(figure_id: Id, request: Request, _checked: CheckedPost, session: SessionDep,
                  settings: SettingsDep, viewer: ViewerDep, action: FormText = "",
                  reason: FormText = "", count: FormText = "", unit: FormText = "",
                  qualifier: FormText = "", kind: FormText = "", destination: FormText = "",
                  as_of: FormText = "", back: FormText = "") -> Response:
    """Confirms, rejects or corrects a figure through `pipeline.apply_review`, as the API does,
    in the signed-in key's name; back to the page the form was on. A form that cannot be
    applied shows that page again (422) with the form as typed and the reason."""
    if viewer.key is None or not viewer.can_write:
        return _page(request, "missing.html", viewer, 403,
                     what="Only a signed-in key with write scope can review figures.")
    back = safe_next(back or f"/figures/{figure_id}")
    attempt = Attempt(figure_id, action, reason, count, unit, qualifier, kind, destination,
                      as_of)
    try:
        body = attempt.review()
    except ValidationError as exc:
        return _again(request, session, viewer, back, attempt.refused(explain(exc)))
    try:
        with session.begin_nested():  # a refused review leaves nothing behind
            applied = pipeline.apply_review(
                session, settings, current_gazetteer(session), figure_id,
                ReviewAction(body.action), by=viewer.key.name, reason=body.reason,
                correction=correction_of(body))
    except NotFound:
        return _page(request, "missing.html", viewer, 404, what=f"No figure {figure_id}.")
    except DispmonError as exc:
        if exc.status >= 500:
            raise
        return _again(request, session, viewer, back, attempt.refused(exc.detail, exc.status))
    return RedirectResponse(_with_notice(back, figure_id, applied.reviewed.changed),
                            status_code=303)


_NOTICE = ("reviewed", "unchanged")


def _with_notice(back: str, figure_id: int, changed: bool) -> str:
    """`back` telling the page which figure was just reviewed (`?reviewed=ID`), or that the
    review found it already so (`?unchanged=ID`)."""
    parts = urlsplit(back)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in _NOTICE]
    query.append((_NOTICE[0] if changed else _NOTICE[1], str(figure_id)))
    return parts._replace(query=urlencode(query), fragment="").geturl()


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
    return _subscriptions(request, session, viewer)


def _subscriptions(request: Request, session: Session, viewer: Viewer, status: int = 200,
                   error: str | None = None, typed: Typed | None = None) -> HTMLResponse:
    """The page; a refused form is shown again as typed, with why (`status` 4xx)."""
    return _page(request, "subscriptions.html", viewer, status,
                 subscriptions=notify.list_subscriptions(session, None, MAX_PAGE),
                 error=error or request.query_params.get("error"), typed=typed,
                 edit_form=typed_of, rule_kinds=RULE_KINDS, channels=list(ChannelKind),
                 blank=Typed())


def _admin_only(request: Request, viewer: Viewer) -> HTMLResponse | None:
    if viewer.is_admin:
        return None
    return _page(request, "missing.html", viewer, 403,
                 what="Only a signed-in admin can change the subscriptions.")


@router.post("/subscriptions")
def add_subscription(request: Request, _checked: CheckedPost, form: TypedForm,
                     session: SessionDep, settings: SettingsDep,
                     viewer: ViewerDep) -> Response:
    """Adds a subscription through the API's service; its address gets a test message."""
    if (refused := _admin_only(request, viewer)) is not None:
        return refused
    try:
        body = form.create()
    except ValidationError as exc:
        return _subscriptions(request, session, viewer, 422, refusal(exc), form)
    try:
        with session.begin_nested():  # a refused subscription leaves nothing behind
            notify.create_subscription(
                session, secret_box(settings), current_gazetteer(session), name=body.name,
                channel=body.channel, address=body.address, token=body.token,
                destinations=body.destinations, countries=body.countries,
                rule_kinds=body.rule_kinds, min_severity=body.min_severity, demo=body.demo,
                rhythm=body.rhythm, digest_hour=body.digest_hour, timezone=body.timezone,
                digest_when_quiet=body.digest_when_quiet)
    except DispmonError as exc:
        return _subscriptions(request, session, viewer, exc.status, exc.detail, form)
    return RedirectResponse("/subscriptions", status_code=303)


@router.post("/subscriptions/{subscription_id}")
def edit_subscription(subscription_id: Id, request: Request, _checked: CheckedPost,
                      form: TypedForm, session: SessionDep, settings: SettingsDep,
                      viewer: ViewerDep) -> Response:
    """Changes a subscription as the API's PATCH does; a blank address keeps the old one."""
    if (refused := _admin_only(request, viewer)) is not None:
        return refused
    typed = Typed(form.values, form.rule_kinds, subscription_id)
    try:
        changes = typed.patch()
    except ValidationError as exc:
        return _subscriptions(request, session, viewer, 422, refusal(exc), typed)
    try:
        with session.begin_nested():
            notify.update_subscription(session, secret_box(settings),
                                       current_gazetteer(session), subscription_id, changes)
    except DispmonError as exc:
        return _subscriptions(request, session, viewer, exc.status, exc.detail, typed)
    return RedirectResponse(f"/subscriptions#subscription-{subscription_id}", 303)


@router.post("/subscriptions/{subscription_id}/enabled")
def enable_subscription(subscription_id: Id, request: Request, _checked: CheckedPost,
                        session: SessionDep, settings: SettingsDep, viewer: ViewerDep,
                        enabled: Annotated[bool, Form()]) -> Response:
    """Turns a subscription off (it hears of nothing) or on again."""
    if (refused := _admin_only(request, viewer)) is not None:
        return refused
    try:
        with session.begin_nested():
            notify.update_subscription(session, secret_box(settings),
                                       current_gazetteer(session), subscription_id,
                                       {"enabled": enabled})
            if not enabled:
                notify.get_subscription(session, subscription_id).disabled_reason = (
                    f"turned off by {viewer.key.name if viewer.key else 'an admin'}")
    except DispmonError as exc:
        return _subscriptions(request, session, viewer, exc.status, exc.detail)
    return RedirectResponse(f"/subscriptions#subscription-{subscription_id}", 303)


@router.post("/subscriptions/{subscription_id}/delete")
def remove_subscription(subscription_id: Id, request: Request, _checked: CheckedPost,
                        session: SessionDep, viewer: ViewerDep) -> Response:
    if (refused := _admin_only(request, viewer)) is not None:
        return refused
    try:
        with session.begin_nested():
            notify.delete_subscription(session, subscription_id)
    except DispmonError as exc:
        return _subscriptions(request, session, viewer, exc.status, exc.detail)
    return RedirectResponse("/subscriptions", status_code=303)


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
