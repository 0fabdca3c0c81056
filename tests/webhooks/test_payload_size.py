"""Webhook payloads stay under the size limit by trimming, and never refuse the report that
raised them (issue 13, item 3): a threshold rule with thousands of levels used to make every
alert.firing payload too large, and every report crossing a level a 422."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.alerts.models import AlertRule
from app.webhooks.service import MAX_PAYLOAD_BYTES, fit_payload, payload
from tests.webhooks.helpers import outbox, post_demo, subscribe


def test_a_threshold_rule_of_3000_levels_still_lets_reports_in(
        client: TestClient, admin: dict[str, str], writer: dict[str, str],
        factory: sessionmaker[Session]) -> None:
    levels = [1_000 * n for n in range(1, 3_001)]
    with factory.begin() as session:
        session.add(AlertRule(name="every thousand", kind="threshold", severity="critical",
                              params={"levels": levels}, destinations=None, step=None,
                              enabled=True))
    subscribe(client, admin, "http://127.0.0.1:9/hook")
    post_demo(client, writer)  # every report 200 or 201, none 422

    with factory() as session:
        events = {e.id: e for _, e in outbox(session)}
    crossed = [e for e in events.values()
               if e.data["rule"]["name"] == "every thousand"]
    assert crossed, "the demo story crosses some of the levels"
    for event in events.values():
        assert len(payload(event)) <= MAX_PAYLOAD_BYTES
    for event in crossed:
        params = event.data["evidence"]["rule"]["params"]
        assert params == {"level": event.data["value"]}, "only the level crossed, not all 3,000"
        assert params["level"] in levels


def test_fit_payload_trims_long_strings_and_lists_to_the_limit() -> None:
    small = {"summary": "Hermel passed 10,000", "value": 10_000}
    assert fit_payload("alert.firing", small) is small
    huge = {"summary": "x" * 50_000, "value": 1, "evidence": {
        "figures": [{"quote": "q" * 2_000, "people": n} for n in range(500)],
        "rule": {"params": {"levels": list(range(10_000))}}}}
    fitted = fit_payload("alert.firing", huge)
    body = {"type": "alert.firing", "timestamp": "2026-12-03T13:00:00+00:00", "data": fitted}
    assert len(json.dumps(body, separators=(",", ":")).encode()) <= MAX_PAYLOAD_BYTES
    assert fitted["truncated"] is True
    assert fitted["value"] == 1 and fitted["summary"].startswith("xxx")
    assert fitted["evidence"]["figures"][0]["people"] == 0
