"""Measures how long the daily digests of many subscriptions take to build (`send_digests`: each
subscription's filters over the day's alerts, its digest event and notification queued), on a
fresh SQLite database with a day of alerts in many regions.

    .venv/bin/python bench/digest.py [--subscriptions 1000] [--reports 150]

Prints the build time (target: under a minute for 1,000 subscriptions) and the digests queued.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alert_latency import PUBLISHED, region_reports  # noqa: E402 (the same reports)

from app.crypto import SecretBox  # noqa: E402
from app.db import make_engine, make_sessionmaker  # noqa: E402
from app.gazetteer.index import load_gazetteer  # noqa: E402
from app.models import Base  # noqa: E402, F401 (every table, for the foreign keys)
from app.notify.digest import send_digests  # noqa: E402
from app.notify.models import Rhythm  # noqa: E402
from app.notify.service import create_subscription  # noqa: E402
from app.pipeline import ingest  # noqa: E402
from app.reports.service import NewReport, manual_source  # noqa: E402
from app.settings import Settings  # noqa: E402

SEVERITIES = ("info", "warning", "critical")



KINDS = (None, ["new_destination"], ["threshold", "jump"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--reports", type=int, default=150)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="dispmon-digest-bench-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    key = secrets.token_urlsafe(32)
    env = {**os.environ, "DISPMON_DATABASE_URL": url, "DISPMON_SECRET_KEY": key,
           "DISPMON_DEMO": "false"}
    subprocess.run([sys.executable, "-m", "app.cli", "migrate"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    settings = Settings(database_url=url, secret_key=key, demo=False)
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    gazetteer = load_gazetteer()
    reports = region_reports(args.reports)
    started = time.monotonic()
    for _place, text in reports:
        with factory.begin() as session:
            ingest(session, settings, manual_source(session, "bench"), NewReport(
                text=text, published_at=datetime.combine(PUBLISHED, datetime.min.time(),
                                                         tzinfo=UTC)))
    print(f"{len(reports)} reports ingested in {time.monotonic() - started:.1f} s")
    countries = sorted({p.split("-", 1)[0] for p, _ in reports})
    box = SecretBox(key)
    with factory.begin() as session:
        for n in range(args.subscriptions):
            create_subscription(
                session, box, gazetteer, name=f"team {n}", channel="slack",
                address=f"https://hooks.example.org/services/{n}", token=None,
                destinations=None,
                countries=[countries[n % len(countries)]] if n % 3 == 1 else None,
                rule_kinds=KINDS[n % len(KINDS)], min_severity=SEVERITIES[n % 3],
                demo=False if n % 4 == 0 else None, rhythm=Rhythm.DAILY,
                digest_hour=8, timezone="UTC", digest_when_quiet=n % 5 == 0)
    # the next 08:00 UTC after the alerts: every subscription's digest is due then
    now = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0)
    if now < datetime.now(UTC):
        now += timedelta(days=1)
    started = time.monotonic()
    queued = send_digests(factory, settings, "bench", now=now + timedelta(minutes=5))
    took = time.monotonic() - started
    engine.dispose()
    print(f"digests of {args.subscriptions} daily subscriptions built in {took:.2f} s "
          f"({queued} queued, the others had nothing to say)")


if __name__ == "__main__":
    main()
