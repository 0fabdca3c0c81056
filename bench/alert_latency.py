"""Measures the time from `POST /api/v1/reports` returning to the webhook receiver getting the
alert that report raised, with a real `dispmon serve` (embedded scheduler, SQLite) and a local
receiver.

    .venv/bin/python bench/alert_latency.py [--reports 300] [--tick 5]

Each report puts at least 2,000 people in a different first-level region, so each opens one
"new destination" alert for that region; the receiver matches alerts to reports by the report
ids in their evidence. Prints p50, p99 and max (target: p99 under 2 s in the embedded default).

    .venv/bin/python bench/alert_latency.py --channel slack --subscriptions 50 [--reports 300]

Channel mode: instead of one webhook, that many chat subscriptions of the channel (all on the
local receiver); a report's latency runs until every subscription got its alert (matched by the
place in the message).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.auth.service import create_key  # noqa: E402
from app.crypto import SecretBox  # noqa: E402
from app.db import make_engine, make_sessionmaker  # noqa: E402
from app.extract import extract  # noqa: E402
from app.gazetteer.index import Place, load_gazetteer  # noqa: E402
from app.models import Base  # noqa: E402, F401 (every table, for the foreign keys)
from app.notify.service import create_subscription  # noqa: E402
from app.webhooks.service import create_endpoint  # noqa: E402
from tests.servers import free_port  # noqa: E402

PUBLISHED = date(2025, 3, 10)


def region_reports(n: int) -> list[tuple[str, str]]:
    """(place id, text) for n regions whose report the extractor files under that region."""
    gazetteer = load_gazetteer()
    out: list[tuple[str, str]] = []
    regions: list[Place] = sorted(
        (p for p in gazetteer.search(None, None, limit=100_000) if p.level == "admin1"),
        key=lambda p: p.id)
    for place in regions:
        text = f"At least 2,000 people have fled to {place.name}, local officials said."
        figures = extract(text, PUBLISHED, "en", gazetteer=gazetteer)
        if len(figures) == 1 and figures[0].destination and figures[0].destination.id == place.id:
            out.append((place.id, text))
        if len(out) == n:
            break
    return out


class _Receiver:
    def __init__(self, names: dict[str, str] | None = None, wanted: int = 1) -> None:
        self.port = free_port()
        # report id (channel mode: place id) -> the alert's arrival (at every subscription)
        self.arrivals: dict[int | str, float] = {}
        self.counts: dict[str, int] = {}  # channel mode: place id -> messages so far
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keeps connections open, as chat platforms do

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                now = time.monotonic()
                payload: dict[str, Any] = json.loads(body)
                with receiver.lock:
                    if names is None:
                        figures = payload["data"].get("evidence", {}).get("figures", [])
                        for f in figures:
                            receiver.arrivals.setdefault(int(f["report_id"]), now)
                    else:  # a chat message: "New alert (warning) – Place, Country: ...";
                        # "New incident"/"Incident updated (...) – Place" when its country's
                        # alert is of the same incident (app/incidents)
                        headline = str(payload.get("text", "")).split("\n", 1)[0]
                        place = headline.split(" – ", 1)[-1].split(",", 1)[0]
                        key = names.get(place)
                        if key is not None and any(word in headline for word in (
                                "New alert", "New incident", "Incident updated")):
                            receiver.counts[key] = receiver.counts.get(key, 0) + 1
                            if receiver.counts[key] == wanted:
                                receiver.arrivals[key] = now
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        # a listen backlog like a real receiver's: the default 5 makes a burst of parallel
        # sends wait out SYN retries (a second each), which would measure the receiver
        ThreadingHTTPServer.request_queue_size = 128
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=300)
    parser.add_argument("--tick", type=float, default=5.0, help="scheduler tick, seconds")
    parser.add_argument("--pause", type=float, default=0.0,
                        help="seconds between posts (0: as fast as the API answers)")
    parser.add_argument("--channel", choices=["slack", "mattermost", "discord", "teams"],
                        help="chat subscriptions instead of a webhook")
    parser.add_argument("--subscriptions", type=int, default=50)
    args = parser.parse_args()

    reports = region_reports(args.reports)
    tmp = Path(tempfile.mkdtemp(prefix="dispmon-bench-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    env = {**os.environ, "DISPMON_DATABASE_URL": url, "DISPMON_SCHEDULER": "embedded",
           "DISPMON_SCHEDULER_TICK_SECONDS": str(args.tick), "DISPMON_DEMO": "false",
           "DISPMON_OUTBOUND_ALLOWLIST": "127.0.0.1/32", "DISPMON_LOG_LEVEL": "warning",
           "DISPMON_SECRET_KEY": secrets.token_urlsafe(32),
           # the send path, not the grouping wait (app/incidents: an incident waits for more
           # alerts to join it, DISPMON_INCIDENT_WAIT_SECONDS, 30 s by default)
           "DISPMON_INCIDENT_WAIT_SECONDS": os.environ.get("DISPMON_INCIDENT_WAIT_SECONDS", "0")}
    subprocess.run([sys.executable, "-m", "app.cli", "migrate"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    gazetteer = load_gazetteer()
    names: dict[str, str] = {}  # place name -> place id
    for place_id, _text in reports:
        place = gazetteer.get(place_id)
        assert place is not None
        names[place.name] = place_id
    wanted = args.subscriptions if args.channel else 1
    receiver = _Receiver(names if args.channel else None, wanted)
    engine = make_engine(url)
    with make_sessionmaker(engine).begin() as session:
        _, key = create_key(session, "bench", "write")
        box = SecretBox(env["DISPMON_SECRET_KEY"])
        if args.channel:
            for n in range(args.subscriptions):
                create_subscription(
                    session, box, gazetteer, name=f"team {n}", channel=args.channel,
                    address=f"http://127.0.0.1:{receiver.port}/hook/{n}", token=None,
                    destinations=None, countries=None, rule_kinds=["new_destination"],
                    min_severity="info", demo=None)
        else:
            create_endpoint(session, box, url=f"http://127.0.0.1:{receiver.port}/hook",
                            description=None, destinations=None, min_severity="info",
                            secret=None)
    engine.dispose()

    port = free_port()
    log = (tmp / "serve.log").open("w")
    print(f"server log: {tmp / 'serve.log'}")
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    latencies: list[float] = []
    posting = 0.0
    try:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"},
                          timeout=30) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("dispmon serve did not start")
                time.sleep(0.1)
            returned: dict[int | str, float] = {}
            for place_id, text in reports:
                response = client.post("/api/v1/reports", json={
                    "text": text, "published_at": PUBLISHED.isoformat(), "source": "bench"})
                response.raise_for_status()
                returned[place_id if args.channel else response.json()["id"]] = time.monotonic()
                if args.pause:
                    time.sleep(args.pause)  # pacing the load, not waiting for a result
            posting = time.monotonic() - min(returned.values())
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                with receiver.lock:
                    if all(r in receiver.arrivals for r in returned):
                        break
                time.sleep(0.1)
            with receiver.lock:
                latencies = [receiver.arrivals[r] - t for r, t in returned.items()
                             if r in receiver.arrivals]
                missing = len(returned) - len(latencies)
    finally:
        server.terminate()
        server.wait(30)
        log.close()
        receiver.server.shutdown()

    mode = (f"{args.subscriptions} {args.channel} subscriptions each" if args.channel
            else "one webhook")
    print(f"reports posted: {len(reports)} ({mode}), alerts matched: {len(latencies)}, "
          f"missing: {missing}")
    if latencies:
        print(f"POST returned -> alert received: p50 {_pct(latencies, 0.5) * 1000:.0f} ms, "
              f"p99 {_pct(latencies, 0.99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms, "
              f"mean {statistics.mean(latencies) * 1000:.0f} ms (tick {args.tick:g} s)")
        tenth = max(1, len(latencies) // 10)
        print("median by posting order, per tenth of the reports: " + ", ".join(
            f"{statistics.median(latencies[i:i + tenth]) * 1000:.0f}"
            for i in range(0, len(latencies), tenth)) + " ms")
        print(f"posting took {posting:.1f} s ({len(reports) / posting:.1f} reports/s)")


if __name__ == "__main__":
    main()
