"""Reading reports and figures: cursor pagination and filters."""

from __future__ import annotations

from fastapi.testclient import TestClient


def _submit(client: TestClient, headers: dict[str, str], text: str, day: str,
            source: str = "Wire") -> dict[str, object]:
    response = client.post("/api/v1/reports", json={"text": text, "published_at": day,
                                                    "source": source}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_reports_page_by_cursor(client: TestClient, writer: dict[str, str]) -> None:
    ids = [int(str(_submit(client, writer, f"Report {i} about the weather.", "2025-03-10")["id"]))
           for i in range(5)]
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/api/v1/reports", params=params, headers=writer).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(ids, reverse=True)
    bad = client.get("/api/v1/reports", params={"cursor": "!!not-ours"}, headers=writer)
    assert bad.status_code == 422


def test_figures_filter_by_destination_date_and_source(client: TestClient,
                                                       writer: dict[str, str]) -> None:
    _submit(client, writer, "About 2,000 people have fled to Akkar since Friday.", "2025-03-09",
            "Outlet A")
    _submit(client, writer, "More than 7,000 people are sheltering at the Khmeimim air base.",
            "2025-03-14", "Outlet B")
    everything = client.get("/api/v1/figures", headers=writer).json()["items"]
    assert {f["count"] for f in everything} == {2000, 7000}
    akkar = everything[-1]["destination"]["id"]
    only_akkar = client.get("/api/v1/figures", params={"destination": akkar},
                            headers=writer).json()["items"]
    assert [f["count"] for f in only_akkar] == [2000]
    recent = client.get("/api/v1/figures", params={"since": "2025-03-12"},
                        headers=writer).json()["items"]
    assert [f["count"] for f in recent] == [7000]
    source_b = everything[0]["source_id"]
    by_source = client.get("/api/v1/figures", params={"source": source_b},
                           headers=writer).json()["items"]
    assert [f["source"] for f in by_source] == ["Outlet B"]
