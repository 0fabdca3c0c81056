"""The `dispmon` command as a user runs it: a real process, real files, real database."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.auth.service import authenticate, session_key, start_session
from app.crypto import SecretBox
from app.errors import NotAuthenticated
from app.reports.models import Report
from app.sources.models import FetchAttempt
from app.webhooks.models import WebhookEndpoint
from app.webhooks.service import create_endpoint

ROOT = Path(__file__).resolve().parent.parent
DISPMON = [sys.executable, "-m", "app.cli"]


def run(args: list[str], db_url: str, stdin: str | None = None, **extra_env: str,
        ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DISPMON_DATABASE_URL": db_url, **extra_env}
    return subprocess.run([*DISPMON, *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120, check=False)


def test_apikey_create_prints_a_working_key_once(db_url: str,
                                                  factory: sessionmaker[Session]) -> None:
    done = run(["apikey", "create", "--name", "partner", "--scope", "write"], db_url)
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip()
    assert re.fullmatch(r"dm_[\w-]+", key)
    with factory.begin() as session:
        assert authenticate(session, key).scope == "write"
    refused = run(["apikey", "create", "--name", "x", "--scope", "root"], db_url)
    assert refused.returncode == 2 and "scope" in refused.stderr and not refused.stdout


def test_apikey_revoke_stops_the_key_and_its_sign_ins(db_url: str,
                                                      factory: sessionmaker[Session]) -> None:
    key = run(["apikey", "create", "--name", "leaver", "--scope", "admin"], db_url).stdout.strip()
    with factory.begin() as session:
        stored = authenticate(session, key)
        key_id = stored.id
        cookie = start_session(session, stored, timedelta(hours=1))
    listed = run(["apikey", "list"], db_url)
    assert listed.returncode == 0 and f"{key_id}\tleaver\tadmin" in listed.stdout
    assert "active" in listed.stdout
    done = run(["apikey", "revoke", str(key_id)], db_url)
    assert done.returncode == 0, done.stderr
    with factory.begin() as session:
        with pytest.raises(NotAuthenticated):
            authenticate(session, key)
        assert session_key(session, cookie) is None
    assert "revoked" in run(["apikey", "list"], db_url).stdout
    missing = run(["apikey", "revoke", "999999"], db_url)
    assert missing.returncode == 2 and "no API key" in missing.stderr


def test_replay_ingests_in_date_order_once(db_url: str, tmp_path: Path,
                                           factory: sessionmaker[Session]) -> None:
    lines = [
        json.dumps({"text": "More than 7,000 people are sheltering at the Khmeimim base.",
                    "published": "2025-03-14"}),
        "this line is not JSON",
        json.dumps({"text": "Around 1,500 civilians sought shelter at the Khmeimim air base.",
                    "published": "2025-03-09"}),
        json.dumps({"title": "no text"}),
    ]
    path = tmp_path / "reports.jsonl"
    path.write_text("\n".join(lines) + "\n")
    first = run(["replay", str(path)], db_url)
    assert first.returncode == 0, first.stderr
    assert "2 new reports" in first.stdout and "not JSON" in first.stdout
    second = run(["replay", str(path)], db_url)
    assert "0 new reports" in second.stdout
    with factory() as session:
        published = session.scalars(select(Report.published_at).order_by(Report.id)).all()
        attempts = session.scalar(select(func.count()).select_from(FetchAttempt))
    assert [p.day for p in published if p] == [9, 14]
    assert attempts == 2
    missing = run(["replay", str(tmp_path / "absent.jsonl")], db_url)
    assert missing.returncode == 1 and "does not exist" in missing.stdout


def test_rekey_moves_every_secret_to_the_current_key(db_url: str,
                                                   factory: sessionmaker[Session]) -> None:
    old, new = "old-key-" + "o" * 32, "new-key-" + "n" * 32
    with factory.begin() as session:
        _, secret = create_endpoint(session, SecretBox(old), url="https://h.example/",
                                    description=None, destinations=None, min_severity="info",
                                    secret=None)
    refused = run(["rekey"], db_url, DISPMON_SECRET_KEY=new)  # the old key is not given
    assert refused.returncode == 2 and "nothing was changed" in refused.stderr
    done = run(["rekey"], db_url, DISPMON_SECRET_KEY=new, DISPMON_SECRET_KEY_PREVIOUS=old)
    assert done.returncode == 0 and "re-encrypted 1 webhook secrets" in done.stderr, done.stderr
    with factory() as session:
        stored = session.scalars(select(WebhookEndpoint.secret_encrypted)).one()
    assert SecretBox(new).decrypt(stored) == secret
    no_key = run(["migrate"], db_url, DISPMON_SECRET_KEY="")
    assert no_key.returncode == 2 and "DISPMON_SECRET_KEY" in no_key.stderr


def test_extract_follows_the_contract() -> None:
    stdin = "\n".join([
        json.dumps({"id": "a", "text": "At least 10,000 people fled to Baalbek-Hermel.",
                    "published": "2025-03-12", "lang": "en"}),
        "{broken",
        json.dumps({"id": "c"}),
        json.dumps({"id": "d", "text": "Nothing to see here.", "published": None}),
    ]) + "\n"
    # reading text needs no database and no secret: the key is not in this environment
    env = {k: v for k, v in os.environ.items() if k != "DISPMON_SECRET_KEY"}
    done = subprocess.run([*DISPMON, "extract"], input=stdin, capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o.get("id") for o in out[:1]] == ["a"] and len(out) == 4
    assert out[0]["figures"][0]["count"] == 10000
    assert out[1]["figures"] == [] and "error" in out[1]
    assert out[2]["figures"] == [] and "error" in out[2]
    assert out[3] == {"id": "d", "figures": []}


def _imported(args: list[str], db_url: str, stdin: str | None = None) -> set[str]:
    """The modules a command imports (Python's -X importtime log)."""
    env = {**os.environ, "DISPMON_DATABASE_URL": db_url}
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "app.cli", *args],
                          input=stdin, capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines()
            if line.startswith("import time:") and line.count("|") == 2}


def test_commands_import_only_what_they_use(db_url: str) -> None:
    """Startup is imports (bench/startup.py): a key is made without the API or the gazetteer,
    reports are read without the database layer or the API."""
    made = _imported(["apikey", "create", "--name", "lean"], db_url)
    assert "sqlalchemy.orm" in made  # it did run
    assert not {"fastapi", "alembic", "app.gazetteer.index", "app.extract"} & made
    report = json.dumps({"id": "r1", "text": "More than 7,000 people have fled to Adré."})
    read = _imported(["extract"], db_url, stdin=report + "\n")
    assert "app.gazetteer.store" in read
    assert not {"fastapi", "sqlalchemy", "alembic", "datasketch", "trafilatura"} & read


def test_migrate_builds_a_fresh_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sub' / 'fresh.db'}"
    done = run(["migrate"], url)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "sub" / "fresh.db").stat().st_size > 0


def test_dockerfile_runs_commands_the_cli_has() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (.+)$", dockerfile, re.M)
    assert cmd is not None
    used = re.findall(r"dispmon (\w+)", cmd.group(1))
    assert used == ["migrate", "serve"]
    helps = run(["--help"], "sqlite://")
    for name in used:
        assert name in helps.stdout
    serve_help = run(["serve", "--help"], "sqlite://").stdout
    assert "--host" in serve_help and "--port" in serve_help
    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M)
