"""The series API: weekly intervals, several destinations at once, CSV with HXL hashtags."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from tests.webhooks.helpers import post_demo


def test_daily_and_weekly_series(client: TestClient, writer: dict[str, str],
                                 reader: dict[str, str]) -> None:
    post_demo(client, writer)
    daily = client.get("/api/v1/destinations/LB-BH/series", headers=reader,
                       params={"start": "2025-03-10", "end": "2025-03-23"}).json()
    weekly = client.get("/api/v1/destinations/LB-BH/series", headers=reader,
                        params={"start": "2025-03-10", "end": "2025-03-23",
                                "interval": "week"}).json()
    days = {p["date"]: p for p in daily["points"]}
    assert [p["date"] for p in weekly["points"]] == ["2025-03-10", "2025-03-17"]  # Mondays
    first = weekly["points"][0]
    last_day = max(d for d in days if d <= "2025-03-16")
    assert first["estimate"] == days[last_day]["estimate"]  # a stock: the week's last value
    assert first["new_arrivals"] == sum(p["new_arrivals"] for d, p in days.items()
                                        if d <= "2025-03-16")
    assert first["estimate"] >= 10_000
    assert client.get("/api/v1/destinations/LB-BH/series", headers=reader,
                      params={"interval": "month"}).status_code == 422


def test_several_destinations_at_once(client: TestClient, writer: dict[str, str],
                                      reader: dict[str, str]) -> None:
    post_demo(client, writer)
    many = client.get("/api/v1/series", headers=reader,
                      params={"destination": "LB-BH, site:khmeimim-air-base,LB-BH"}).json()
    assert [s["destination"]["id"] for s in many["series"]] == [
        "LB-BH", "site:khmeimim-air-base"]
    one = client.get("/api/v1/destinations/site:khmeimim-air-base/series", headers=reader).json()
    assert many["series"][1]["points"] == one["points"] and one["points"]
    assert client.get("/api/v1/series", headers=reader).status_code == 422
    assert client.get("/api/v1/series", headers=reader,
                      params={"destination": "LB,nowhere"}).status_code == 404
    assert client.get("/api/v1/series", headers=reader, params={
        "destination": "LB", "start": "2025-03-20", "end": "2025-03-01"}).status_code == 422


def test_csv_has_an_hxl_row_under_the_header(client: TestClient, writer: dict[str, str],
                                             reader: dict[str, str]) -> None:
    post_demo(client, writer)
    response = client.get("/api/v1/series.csv", headers=reader,
                          params={"destination": "LB-BH,LB", "end": "2025-03-20"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    header, tags, data = rows[0], rows[1], rows[2:]
    assert header[:5] == ["date", "destination", "destination_id", "country", "estimate"]
    for tag in ("#date", "#adm1+name", "#country+code", "#affected+displaced+ind",
                "#meta+source"):
        assert tag in tags
    assert len(tags) == len(header) and all(t.startswith("#") for t in tags)
    by = {(r[2], r[0]): dict(zip(header, r, strict=True)) for r in data}
    bh = by[("LB-BH", "2025-03-13")]
    assert bh["destination"] == "Baalbek-Hermel" and bh["country"] == "LB"
    assert int(bh["estimate"]) >= 10_000 and bh["sources"] == "Demo desk"
    assert next(r[2] for r in data) == "LB-BH"  # in the order asked
    assert max(r[0] for r in data) <= "2025-03-20"
    everything = client.get("/api/v1/series.csv", headers=reader).text
    assert "site:khmeimim-air-base" in everything
    assert client.get("/api/v1/series.csv").status_code == 401


def test_points_say_since_when_no_fresh_figure_came(client: TestClient, writer: dict[str, str],
                                                    reader: dict[str, str]) -> None:
    post_demo(client, writer)
    points = client.get("/api/v1/destinations/LB-BH/series", headers=reader).json()["points"]
    last = points[-1]
    assert last["stale"] is True and last["fresh_until"] < last["date"]
    assert points[-2]["stale"] is False and points[-2]["fresh_until"] >= points[-2]["date"]
    assert last["estimate"] == points[-2]["estimate"]  # held, not fallen
    rows = list(csv.reader(io.StringIO(client.get(
        "/api/v1/series.csv", headers=reader, params={"destination": "LB-BH"}).text)))
    header, tags, data = rows[0], rows[1], rows[2:]
    assert header[-2:] == ["fresh_until", "stale"] and tags[-2:] == ["#date+fresh", "#meta+stale"]
    assert data[-1][-2:] == [last["fresh_until"], "true"]
