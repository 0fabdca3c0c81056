"""The whole OpenAPI fuzzed (schemathesis) against a real server on each database: no input, valid
or not, gets a server error or an answer its description does not document.

Bounded and repeatable: a fixed number of examples per operation, derandomised, no shrinking
(each failure is collected with the request that caused it, and all are reported at the end).
"""

from __future__ import annotations

import os
import sys
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from sqlalchemy.orm import Session, sessionmaker

from app.auth.service import create_key
from tests.servers import served

EXAMPLES = int(os.environ.get("DISPMON_FUZZ_EXAMPLES", "20"))
PROGRESS = bool(os.environ.get("DISPMON_FUZZ_PROGRESS"))
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance,
          content_type_conformance]
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]


def _seed(base: str, headers: dict[str, str]) -> None:
    """A report with a figure, a rule and a webhook, so that some generated ids find rows."""
    sent = httpx.post(f"{base}/api/v1/reports", headers=headers, json={
        "text": "Some 2,500 people have arrived in Hermel district of Lebanon in the past week.",
        "published_at": "2025-04-20"})
    assert sent.status_code == 201, sent.text
    rule = httpx.post(f"{base}/api/v1/alert-rules", headers=headers,
                      json={"name": "any arrival", "kind": "new_destination",
                            "params": {"floor": 1}})
    assert rule.status_code == 201, rule.text
    hook = httpx.post(f"{base}/api/v1/webhooks", headers=headers,
                      json={"url": "https://receiver.example/hook"})
    assert hook.status_code == 201, hook.text


def _fuzz(base: str, headers: dict[str, str]) -> tuple[int, int, list[str]]:
    """Runs every operation; returns (requests sent, server errors, the failures described)."""
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    sent = 0
    server_errors = 0
    failures: list[str] = []

    def run(operation: Any, mode: GenerationMode) -> None:
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def one(case: Any) -> None:
            nonlocal sent, server_errors
            curl = case.as_curl_command(headers=headers)
            try:
                response = case.call(base_url=base, headers=headers, timeout=15)
            except Exception as exc:  # no answer in time counts as a failure of the server
                server_errors += 1
                failures.append(f"{operation.label} [{mode.value}] -> {exc!r}\n  {curl}")
                return
            finally:
                sent += 1
            if response.status_code >= 500:
                server_errors += 1
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except (Exception, FailureGroup) as exc:  # a check failed: collect it, go on
                failures.append(f"{operation.label} [{mode.value}] -> "
                                f"{response.status_code}: {exc}\n  {curl}")

        try:
            one()
        except Unsatisfiable:  # nothing to make invalid (an operation without parameters)
            assert mode is GenerationMode.NEGATIVE, operation.label

    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the schema has an operation it cannot read: {result}"
        operation = result.ok()
        for mode in MODES:
            if PROGRESS:
                print(f"{operation.label} [{mode.value}]", file=sys.stderr, flush=True)  # noqa: T201
            run(operation, mode)
    return sent, server_errors, failures


def test_the_whole_api_fuzzed_gives_no_server_error_and_keeps_to_its_schema(
        db_url: str, factory: sessionmaker[Session]) -> None:
    with factory.begin() as session:
        _, key = create_key(session, "fuzz", "admin")
    headers = {"Authorization": f"Bearer {key}"}
    env = {"DISPMON_DATABASE_URL": db_url, "DISPMON_SCHEDULER": "off", "DISPMON_DEMO": "false",
           "DISPMON_PUBLIC_READ": "false", "DISPMON_OUTBOUND_TIMEOUT_SECONDS": "2"}
    with served(env) as base:  # its output is drained all along, however much it logs
        _seed(base, headers)
        sent, server_errors, failures = _fuzz(base, headers)
    print(f"fuzz: {sent} requests, {server_errors} server errors, "  # noqa: T201 (the tally)
          f"{len(failures)} failures")
    assert not failures, f"{len(failures)} of {sent} requests failed a check " \
                         f"({server_errors} server errors):\n" + "\n".join(failures[:40])
