"""Staff review figures on the pages: the queue, the forms on the report, destination and alert
pages, each figure's history, and retracted alerts shown as such. On SQLite and PostgreSQL,
through the whole application with a signed-in browser session."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.alerts.models import Alert
from app.auth.service import create_key
from app.main import create_app
from app.reports.models import Figure, FigureReview
from app.series.models import SeriesPoint
from app.settings import Settings
from tests.dashboard.forms import ORIGIN, sign_in, token_on
from tests.webhooks.helpers import hook_settings, outbox, subscribe

D = date(2025, 3, 10)
TOLL = "Some 600 people have arrived in Akkar, officials said."
FLED = "About 12,000 people have fled to Baalbek-Hermel, officials said."
REVIEW_FORM = re.compile(r'<form method="post" action="/figures/\d+/review"')


def _key(factory: sessionmaker[Session], scope: str) -> str:
    with factory.begin() as session:
        return create_key(session, f"staff {scope}", scope)[1]


@pytest.fixture
def browser(settings: Settings) -> Iterator[TestClient]:
    """The service as a browser sees it: reads need a key, no redirect is followed."""
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def post(client: TestClient, key: str, text: str) -> dict[str, Any]:
    response = client.post(
        "/api/v1/reports",
        headers={"Authorization": f"Bearer {key}"},
        json={"text": text, "published_at": D.isoformat(), "source": "Field team"},
    )
    assert response.status_code == 201, response.text
    [figure] = response.json()["figures"]
    assert isinstance(figure, dict)
    return figure


def points(factory: sessionmaker[Session], place: str) -> dict[date, int]:
    with factory() as session:
        return {
            p.day: p.estimate
            for p in session.scalars(select(SeriesPoint).where(SeriesPoint.destination_id == place))
        }


def alert_of(factory: sessionmaker[Session], place: str) -> Alert:
    with factory() as session:
        return session.scalars(select(Alert).where(Alert.destination_id == place)).one()


def reviews(factory: sessionmaker[Session], figure_id: int) -> list[str]:
    with factory() as session:
        return list(
            session.scalars(select(FigureReview.action).where(FigureReview.figure_id == figure_id))
        )


def state(factory: sessionmaker[Session], figure_id: int) -> str:
    with factory() as session:
        return session.get_one(Figure, figure_id).review_state


def review(client: TestClient, page: str, figure_id: int, **fields: str) -> httpx2.Response:
    """Posts a figure's review form as the browser on `page` does: with the page's token, from
    this origin, to come back to `page`. (`verb` is the form's `action` field.)"""
    token = token_on(client.get(page).text)
    data = {"action": fields.pop("verb"), "back": page, **fields, "csrf_token": token}
    return client.post(f"/figures/{figure_id}/review", data=data, headers={"Origin": ORIGIN})


def no_inline_code(html: str) -> bool:
    """What the Content-Security-Policy would block: the pages need none of it."""
    return "<script" not in html and "style=" not in html and "<style" not in html


def test_the_queue_lists_a_waiting_figure_and_confirming_it_moves_the_series(
    settings: Settings, factory: sessionmaker[Session]
) -> None:
    held = settings.model_copy(update={"review": "all"})
    with TestClient(create_app(held), follow_redirects=False) as client:
        writer = _key(factory, "write")
        figure = post(client, writer, FLED)
        assert figure["review"] == "pending" and points(factory, "LB-BH") == {}
        sign_in(client, writer)
        assert 'href="/review"' in client.get("/").text  # in the nav, and the count waiting
        queue = client.get("/review")
        assert queue.status_code == 200 and no_inline_code(queue.text)
        html = queue.text
        assert "1 figure waits" in html
        assert "About <mark>12,000</mark> people have fled to Baalbek-Hermel" in html
        assert "Field team · credibility" in html and "confidence" in html
        assert f'href="/reports/{figure["report_id"]}' in html
        assert f'href="/figures/{figure["id"]}"' in html and 'href="/destinations/LB-BH"' in html
        assert f'action="/figures/{figure["id"]}/review"' in html

        done = review(client, "/review", figure["id"], verb="confirm", reason="")
        assert done.status_code == 303
        assert done.headers["location"] == f"/review?reviewed={figure['id']}"
        assert points(factory, "LB-BH")[D] == 12_000
        after = client.get(done.headers["location"]).text
        assert (
            "No figure waits" in after and f"review of figure {figure['id']} is recorded" in after
        )

        history = client.get(f"/figures/{figure['id']}").text
        assert no_inline_code(history)
        rows = re.findall(r"<tr><td>.*?</tr>", history, re.S)
        assert len(rows) == 2
        assert "the review policy" in rows[0] and "held for review" in rows[0]
        assert "auto: 12,000 people" in rows[0] and "pending: 12,000 people" in rows[0]
        assert "staff write" in rows[1] and "confirm" in rows[1]
        assert "pending: 12,000 people" in rows[1] and "confirmed: 12,000 people" in rows[1]


@pytest.fixture
def hooked(db_url: str, admin: dict[str, str]) -> Iterator[TestClient]:
    """A browser on a service with one webhook endpoint subscribed (never sent to here)."""
    with TestClient(create_app(hook_settings(db_url)), follow_redirects=False) as client:
        subscribe(client, admin, "http://127.0.0.1:9/hook")
        yield client


def sent(factory: sessionmaker[Session]) -> list[str]:
    with factory() as session:
        return [event.type for _, event in outbox(session)]


def test_rejecting_a_toll_on_the_alert_page_retracts_the_alert_and_shows_it(
    hooked: TestClient, factory: sessionmaker[Session]
) -> None:
    browser = hooked
    writer = _key(factory, "write")
    figure = post(browser, writer, TOLL)
    assert sent(factory) == ["alert.firing"]
    alert = alert_of(factory, "LB-AK")
    assert alert.status == "firing"
    page = f"/alerts/{alert.id}"
    sign_in(browser, writer)
    assert f'action="/figures/{figure["id"]}/review"' in browser.get(page).text

    why = "a death toll: 600 killed, not displaced"
    done = review(browser, page, figure["id"], verb="reject", reason=why)
    assert done.status_code == 303 and done.headers["location"] == (
        f"{page}?reviewed={figure['id']}"
    )
    assert alert_of(factory, "LB-AK").status == "retracted"
    assert points(factory, "LB-AK") == {}
    # the page's review went the API's way: the webhook is told, once
    assert sent(factory) == ["alert.firing", "alert.retracted"]

    html = browser.get(done.headers["location"]).text
    assert no_inline_code(html)
    assert '<span class="status retracted">retracted</span>' in html
    assert "after a review by staff write" in html and why in html
    history = re.search(r'<h2 id="history">.*?</table>', html, re.S)
    assert history is not None
    events = re.findall(r'<tr class="event (\w+)">', history.group(0))
    assert events == ["firing", "retracted"]
    assert "Acknowledge</button>" not in html and "Resolve</button>" not in html
    # the figure says it is rejected, and is not offered for review again under its retraction
    assert '<span class="state rejected">rejected</span>' in html
    assert f'action="/figures/{figure["id"]}/review"' not in html

    # the same review again changes nothing, and the page says so
    again = review(browser, page, figure["id"], verb="reject", reason="still a toll")
    assert again.headers["location"] == f"{page}?unchanged={figure['id']}"
    assert "already stood so: nothing changed" in browser.get(again.headers["location"]).text
    assert reviews(factory, figure["id"]) == ["reject"]
    assert sent(factory) == ["alert.firing", "alert.retracted"]

    overview = browser.get("/").text
    retracted = re.search(r'<section aria-labelledby="retracted-h">.*?</section>', overview, re.S)
    assert retracted is not None and f'href="/alerts/{alert.id}"' in retracted.group(0)
    assert why in retracted.group(0)
    destination = browser.get("/destinations/LB-AK").text
    assert '<span class="status retracted">retracted</span>' in destination


def test_a_correction_with_a_bad_count_shows_the_error_and_changes_nothing(
    browser: TestClient, factory: sessionmaker[Session]
) -> None:
    writer = _key(factory, "write")
    figure = post(browser, writer, FLED)
    report = f"/reports/{figure['report_id']}"
    action = f"/figures/{figure['id']}/review"
    sign_in(browser, writer)
    before = points(factory, "LB-BH")
    assert before[D] == 12_000
    why = "the ministry counts fewer"
    for count, says in [
        ("-5", "cannot be below 0"),
        ("twelve thousand", "a whole number"),
        ("99999999999", "larger than any count"),
        ("1.5", "a whole number"),
    ]:
        refused = review(
            browser, report, figure["id"], verb="correct", count=count, kind="new", reason=why
        )
        assert refused.status_code == 422, count
        html = refused.text
        assert no_inline_code(html)
        # the report page again, the form open with what was typed, and why it was refused
        assert "How the figures were read" in html
        assert re.search(rf'role="alert"[^>]*>Not saved: Count: [^<]*{says}', html), count
        form = re.search(
            rf'<details class="review" id="review-{figure["id"]}" open>.*?</details>', html, re.S
        )
        assert form is not None
        assert (
            f'name="count" inputmode="numeric" maxlength="20" placeholder="12000" '
            f'value="{count}"' in form.group(0)
        )
        assert '<option value="new" selected>' in form.group(0) and f'value="{why}"' in form.group(
            0
        )
    # an unknown place is refused by the review itself, which leaves nothing behind
    unknown = review(
        browser, report, figure["id"], verb="correct", destination="XX-NOWHERE", reason=why
    )
    assert unknown.status_code == 422 and "no place with id" in unknown.text
    # a rejection needs a reason
    bare = review(browser, report, figure["id"], verb="reject", reason=" ")
    assert bare.status_code == 422 and "needs a reason" in bare.text
    assert points(factory, "LB-BH") == before
    assert state(factory, figure["id"]) == "auto" and reviews(factory, figure["id"]) == []

    # the destination and alert pages show themselves again the same way
    alert = alert_of_any(factory, "LB-BH")
    for page, heading in [
        ("/destinations/LB-BH", "The figures behind it"),
        (f"/alerts/{alert}", "Evidence"),
    ]:
        again = review(browser, page, figure["id"], verb="correct", count="-1", reason=why)
        assert again.status_code == 422 and heading in again.text, page
        assert f'<input type="hidden" name="back" value="{page}">' in again.text
        assert "Not saved: Count: cannot be below 0" in again.text
    assert reviews(factory, figure["id"]) == []

    # a count as people write it, from the destination page: the series follows
    page = "/destinations/LB-BH"
    assert f'action="{action}"' in browser.get(page).text
    done = review(browser, page, figure["id"], verb="correct", count="11,000", reason=why)
    assert done.status_code == 303 and done.headers["location"].startswith(page)
    assert points(factory, "LB-BH")[D] == 11_000
    assert state(factory, figure["id"]) == "corrected"
    shown = browser.get(report).text
    assert '<span class="state corrected">corrected</span>' in shown
    assert "as read: 12,000 people" in shown


def test_a_post_from_elsewhere_or_without_the_token_changes_nothing(
    browser: TestClient, factory: sessionmaker[Session]
) -> None:
    writer = _key(factory, "write")
    figure = post(browser, writer, FLED)
    sign_in(browser, writer)
    before = points(factory, "LB-BH")
    page = f"/reports/{figure['report_id']}"
    token = token_on(browser.get(page).text)
    action = f"/figures/{figure['id']}/review"
    form = {"action": "reject", "reason": "planted", "back": page}
    attempts = [
        ({"csrf_token": token}, {"Origin": "https://evil.example"}),
        ({"csrf_token": token}, {"Referer": "https://evil.example/page"}),
        ({"csrf_token": token}, {}),
        ({}, {"Origin": ORIGIN}),
        ({"csrf_token": "0" * 64}, {"Origin": ORIGIN}),
    ]
    for extra, headers in attempts:
        refused = browser.post(action, data={**form, **extra}, headers=headers)
        assert refused.status_code == 403, (extra, headers)
        assert refused.headers["content-type"] == "application/problem+json"
    assert state(factory, figure["id"]) == "auto" and reviews(factory, figure["id"]) == []
    assert points(factory, "LB-BH") == before


def test_a_read_key_sees_no_review_form_and_may_not_post_one(
    browser: TestClient, factory: sessionmaker[Session], settings: Settings
) -> None:
    writer = _key(factory, "write")
    figure = post(browser, writer, FLED)
    alert = alert_of_any(factory, "LB-BH")
    held = settings.model_copy(update={"review": "all"})
    with TestClient(create_app(held)) as holding:
        waiting = post(holding, writer, TOLL)  # in the queue, and on Akkar's page
    sign_in(browser, _key(factory, "read"))
    pages = [
        "/review",
        f"/reports/{figure['report_id']}",
        "/destinations/LB-BH",
        f"/alerts/{alert}",
        f"/figures/{figure['id']}",
        "/destinations/LB-AK",
    ]
    for page in pages:
        response = browser.get(page)
        assert response.status_code == 200, page
        assert not REVIEW_FORM.search(response.text), page
    assert "Some <mark>600</mark> people have arrived in Akkar" in browser.get("/review").text
    token = token_on(browser.get(pages[1]).text)  # the sign-out form's: a valid token
    refused = browser.post(
        f"/figures/{figure['id']}/review",
        headers={"Origin": ORIGIN},
        data={"csrf_token": token, "action": "reject", "reason": "no"},
    )
    assert refused.status_code == 403 and "write scope" in refused.text
    assert state(factory, figure["id"]) == "auto" and reviews(factory, figure["id"]) == []
    # nor does anyone reading a public dashboard without a key
    public = settings.model_copy(update={"public_read": True})
    with TestClient(create_app(public), follow_redirects=False) as anonymous:
        for page in pages:
            assert not REVIEW_FORM.search(anonymous.get(page).text), page
    # a writer sees them on every page
    sign_in(browser, writer)
    for page in pages:
        assert REVIEW_FORM.search(browser.get(page).text), page
    akkar = browser.get("/destinations/LB-AK").text
    assert "Waiting for a review" in akkar and f'id="review-{waiting["id"]}"' in akkar


def alert_of_any(factory: sessionmaker[Session], place: str) -> int:
    with factory() as session:
        found = session.scalars(select(Alert.id).where(Alert.destination_id == place)).first()
    assert found is not None
    return found
