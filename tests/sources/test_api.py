"""The sources API (admin only) and the sources file read at start."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.main import create_app
from app.settings import Settings
from app.sources.models import Source
from tests.fakeweb import FakeWeb, reply
from tests.sources.conftest import fixture, source_row

RELIEFWEB = {"name": "ReliefWeb Syria+Lebanon", "kind": "reliefweb", "interval_seconds": 900,
             "credibility": "A", "lang": "en",
             "params": {"appname": "example-org-dispmon-x7f3", "query": "displaced",
                        "filters": {"countries": ["SYR", "LBN"]}}}


def test_create_read_list_patch_delete(client: TestClient, admin: dict[str, str]) -> None:
    created = client.post("/api/v1/sources", json=RELIEFWEB, headers=admin)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["params"]["limit"] == 50 and body["params"]["filters"]["countries"] == [
        "SYR", "LBN"]
    assert body["credibility"] == "A" and body["enabled"] is True and body["url"] is None
    second = client.post("/api/v1/sources", headers=admin, json={
        "name": "Wire", "kind": "rss", "url": "https://wire.example/feed.xml"}).json()
    page = client.get("/api/v1/sources?limit=1", headers=admin).json()
    assert [s["id"] for s in page["items"]] == [body["id"]] and page["next_cursor"]
    rest = client.get(f"/api/v1/sources?cursor={page['next_cursor']}", headers=admin).json()
    assert [s["id"] for s in rest["items"]] == [second["id"]] and rest["next_cursor"] is None
    patched = client.patch(f"/api/v1/sources/{body['id']}", headers=admin,
                           json={"enabled": False, "credibility": "B"})
    assert patched.status_code == 200 and patched.json()["enabled"] is False
    assert client.get(f"/api/v1/sources/{body['id']}", headers=admin).json()["credibility"] == "B"
    assert client.delete(f"/api/v1/sources/{body['id']}", headers=admin).status_code == 204
    assert client.get(f"/api/v1/sources/{body['id']}", headers=admin).status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({**RELIEFWEB, "params": {"query": "x"}}, "params.appname"),
    ({**RELIEFWEB, "params": {"appname": "ok-app", "filters": {"countries": ["Syria"]}}},
     "params.filters.countries"),
    ({**RELIEFWEB, "params": {"appname": "ok-app", "limitt": 5}}, "params.limitt"),
    ({"name": "Feed", "kind": "rss"}, "needs a url"),
    ({"name": "Feed", "kind": "rss", "url": "ftp://x.example/feed"}, "not an http(s) URL"),
    ({"name": "HAPI", "kind": "hapi", "params": {"endpoint": "returnees",
                                                 "app_identifier": "abcd"}}, "params.endpoint"),
    ({"name": "DTM", "kind": "dtm", "params": {"level": "admin3"}}, "params.level"),
    ({"name": "UNHCR", "kind": "unhcr", "params": {"coo": "Syria"}}, "params.coo"),
    ({"name": "UNHCR", "kind": "unhcr", "params": {"population_groups": ["tourists"]}},
     "params.population_groups"),
    ({"name": "IDMC", "kind": "idmc", "params": {}}, "params.client_id"),
    ({"name": "X", "kind": "telegram", "url": "https://t.example"}, "kind"),
    ({**RELIEFWEB, "credibility": "Z"}, "credibility"),
    ({**RELIEFWEB, "interval_seconds": 5}, "interval_seconds"),
])
def test_bad_sources_get_422_naming_the_field(client: TestClient, admin: dict[str, str],
                                              body: dict[str, object], field: str) -> None:
    response = client.post("/api/v1/sources", json=body, headers=admin)
    assert response.status_code == 422, response.text
    assert field in response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_names_are_unique_and_sources_with_reports_are_disabled_not_deleted(
        client: TestClient, admin: dict[str, str], web: FakeWeb) -> None:
    url = web.route("/feed.xml", reply(200, fixture("feed_rss2.xml")))
    source = client.post("/api/v1/sources", headers=admin, json={
        "name": "Wire", "kind": "rss", "url": url}).json()
    clash = client.post("/api/v1/sources", headers=admin, json={
        "name": "Wire", "kind": "rss", "url": url})
    assert clash.status_code == 409
    assert client.post(f"/api/v1/sources/{source['id']}/fetch", headers=admin).status_code == 200
    refused = client.delete(f"/api/v1/sources/{source['id']}", headers=admin)
    assert refused.status_code == 409 and "disable it" in refused.json()["detail"]


def test_fetch_now_and_the_attempts(client: TestClient, admin: dict[str, str],
                                    web: FakeWeb) -> None:
    good = web.route("/feed.xml", reply(200, fixture("feed_rss2.xml")))
    source = client.post("/api/v1/sources", headers=admin, json={
        "name": "Wire", "kind": "rss", "url": good}).json()
    fetched = client.post(f"/api/v1/sources/{source['id']}/fetch", headers=admin).json()
    assert fetched == {"source_id": source["id"], "status": "ok", "items_found": 3,
                       "reports_new": 3, "error": None}
    client.patch(f"/api/v1/sources/{source['id']}", headers=admin,
                 json={"url": web.url("/missing.xml")})
    failed = client.post(f"/api/v1/sources/{source['id']}/fetch", headers=admin).json()
    assert failed["status"] == "error" and "HTTP 404" in failed["error"]
    page = client.get(f"/api/v1/sources/{source['id']}/attempts?limit=1", headers=admin).json()
    [latest] = page["items"]
    assert (latest["status"], latest["http_status"], latest["items_found"]) == ("error", 404, 0)
    assert "not found (HTTP 404)" in latest["error"] and latest["finished_at"]
    older = client.get(f"/api/v1/sources/{source['id']}/attempts?cursor={page['next_cursor']}",
                       headers=admin).json()
    [first] = older["items"]
    assert (first["status"], first["http_status"], first["reports_new"]) == ("ok", 200, 3)
    assert client.get("/api/v1/sources/999/attempts", headers=admin).status_code == 404


def test_a_source_being_fetched_is_not_fetched_twice(
        client: TestClient, admin: dict[str, str], factory: sessionmaker[Session]) -> None:
    source = client.post("/api/v1/sources", headers=admin, json={
        "name": "Wire", "kind": "rss", "url": "https://wire.example/feed.xml"}).json()
    from datetime import UTC, datetime, timedelta

    with factory.begin() as session:
        row = session.get_one(Source, source["id"])
        row.lease_until, row.leased_by = datetime.now(UTC) + timedelta(minutes=5), "worker-9"
    response = client.post(f"/api/v1/sources/{source['id']}/fetch", headers=admin)
    assert response.status_code == 409


@pytest.mark.parametrize("scope", ["reader", "writer"])
def test_only_admins_manage_sources(client: TestClient, scope: str,
                                    request: pytest.FixtureRequest) -> None:
    headers = request.getfixturevalue(scope)
    assert client.get("/api/v1/sources", headers=headers).status_code == 403
    assert client.post("/api/v1/sources", json=RELIEFWEB, headers=headers).status_code == 403
    assert client.get("/api/v1/sources").status_code == 401


def test_sources_file_is_loaded_at_start_and_upserted_by_name(
        settings: Settings, tmp_path: Path, factory: sessionmaker[Session]) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text("""
sources:
  - name: Example Wire
    kind: rss
    url: https://example-wire.net/feed.xml
    interval_seconds: 600
    credibility: B
  - name: ReliefWeb
    kind: reliefweb
    params: {appname: example-org-dispmon-x7f3, query: displaced}
""", encoding="utf-8")
    app_settings = settings.model_copy(update={"sources_file": path})
    with TestClient(create_app(app_settings)):
        pass
    path.write_text(path.read_text().replace("credibility: B", "credibility: A"))
    with TestClient(create_app(app_settings)):
        pass
    with factory() as session:
        rows = {s.name: s for s in session.query(Source).all()}
    assert set(rows) == {"Example Wire", "ReliefWeb"}
    assert rows["Example Wire"].credibility == "A" and rows["Example Wire"].interval_seconds == 600
    assert rows["ReliefWeb"].params["limit"] == 50
    assert source_row(factory, rows["ReliefWeb"].id).kind == "reliefweb"


def test_a_bad_sources_file_stops_the_start_with_a_clear_message(
        settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text("- name: Feed\n  kind: rss\n  interval_seconds: 5\n", encoding="utf-8")
    from app.errors import InvalidInput

    with pytest.raises(InvalidInput, match=r"sources.yaml, source 1: interval_seconds"), \
            TestClient(create_app(settings.model_copy(update={"sources_file": path}))):
        pass
