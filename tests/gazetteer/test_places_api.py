"""Destinations search the gazetteer; places staff add take effect without a restart."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_destinations_match_names_and_aliases(client: TestClient, reader: dict[str, str]) -> None:
    for q in ("Hmeimim", "Khmeimim", "حميميم"):
        items = client.get("/api/v1/destinations", params={"q": q}, headers=reader).json()["items"]
        assert any(i["country"] == "SY" and i["level"] == "site" for i in items), q
    lebanon = client.get("/api/v1/destinations", params={"country": "LB", "limit": 500},
                         headers=reader).json()["items"]
    assert lebanon and all(i["country"] == "LB" for i in lebanon)
    assert any(i["name"] == "Akkar" for i in lebanon)


def test_destinations_without_query_list_those_with_a_series(client: TestClient,
                                                             writer: dict[str, str]) -> None:
    assert client.get("/api/v1/destinations", headers=writer).json()["items"] == []
    client.post("/api/v1/reports", json={"text": "About 2,000 people have fled to Akkar.",
                                         "published_at": "2025-03-10"}, headers=writer)
    items = client.get("/api/v1/destinations", headers=writer).json()["items"]
    assert {i["id"] for i in items} == {i["id"] for i in items if i["latest"]}
    assert {"LB"} < {i["id"] for i in items}
    assert all(i["latest"]["estimate"] == 2000 for i in items)


def test_a_new_place_is_read_from_the_next_report(client: TestClient, admin: dict[str, str],
                                                  writer: dict[str, str]) -> None:
    text = {"text": "Some 600 people have reached Zorbatiya Gathering Point since Monday.",
            "published_at": "2025-03-12"}
    before = client.post("/api/v1/reports", json=text, headers=writer).json()
    assert all(f["destination"] is None or "Zorbatiya" not in f["destination"]["name"]
               for f in before["figures"])
    created = client.post("/api/v1/places", headers=admin, json={
        "name": "Zorbatiya Gathering Point", "country": "IQ", "level": "site",
        "aliases": ["Zorbatiya GP"]})
    assert created.status_code == 201, created.text
    place = created.json()
    assert place["id"].startswith("custom:") and place["parent_id"] == "IQ"
    again = client.post("/api/v1/places", headers=admin, json={
        "name": "Zorbatiya Gathering Point", "country": "IQ", "level": "site"})
    assert again.status_code == 409
    after = client.post("/api/v1/reports", headers=writer, json={
        "text": "Some 900 people have reached Zorbatiya GP since Monday.",
        "published_at": "2025-03-13"}).json()
    assert [f["destination"]["id"] for f in after["figures"]] == [place["id"]]
    alias = client.post(f"/api/v1/places/{place['id']}/aliases", json={"alias": "زرباطية"},
                        headers=admin)
    assert alias.status_code == 201 and "زرباطية" in alias.json()["aliases"]
    found = client.get("/api/v1/destinations", params={"q": "زرباطية"}, headers=writer).json()
    assert [i["id"] for i in found["items"]] == [place["id"]]


def test_bad_places_are_refused(client: TestClient, admin: dict[str, str]) -> None:
    cases = [
        {"name": "X", "country": "ZZ", "level": "site"},
        {"name": "X", "country": "LB", "level": "planet"},
        {"name": "X", "country": "LB", "level": "site", "parent_id": "SY"},
        {"name": "", "country": "LB", "level": "site"},
        {"name": "X", "country": "LB", "level": "site", "aliases": ["x" * 201]},
        {"name": "X", "country": "LB", "level": "site", "aliases": [""]},
    ]
    for body in cases:
        response = client.post("/api/v1/places", json=body, headers=admin)
        assert response.status_code == 422, (body, response.text)
    assert client.post("/api/v1/places/nowhere/aliases", json={"alias": "x"},
                       headers=admin).status_code == 404
