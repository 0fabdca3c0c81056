"""Replay: reports from a JSONL file or a folder of them, for the demo and for backfills.

Each line is `{"text", "title"?, "url"?, "published" | "published_at"?, "lang"?}` (the
extractor's input format is accepted as it is). Reports come back in date order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from app.errors import FetchFailed
from app.reports.schemas import ReportIn
from app.reports.service import NewReport

PACKAGE_PREFIX = "package:"


@dataclass(frozen=True, slots=True)
class ReplayItem:
    where: str
    report: NewReport | None = None
    error: str | None = None


def resolve(url: str | None) -> Path:
    """A replay source's location: a path, or `package:NAME` for a file shipped in app/sources."""
    if not url:
        raise FetchFailed("a replay source needs a path in its url")
    if url.startswith(PACKAGE_PREFIX):
        with resources.as_file(resources.files("app.sources") / url[len(PACKAGE_PREFIX):]) as p:
            return Path(p)
    return Path(url.removeprefix("file://")).expanduser()


def _parse(line: str, where: str) -> ReplayItem:
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        return ReplayItem(where, error=f"{where}: not JSON ({exc.msg})")
    if not isinstance(raw, dict):
        return ReplayItem(where, error=f"{where}: a line must be a JSON object")
    fields = {k: raw.get(k) for k in ("text", "title", "url", "lang")}
    fields["published_at"] = raw.get("published_at", raw.get("published"))
    try:
        report = ReportIn.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return ReplayItem(where, error=f"{where}: {problems}")
    return ReplayItem(where, report=NewReport(
        text=report.text, title=report.title, url=report.url, published_at=report.published(),
        lang=report.lang,
    ))


def read_path(path: Path) -> list[ReplayItem]:
    """Every report in `path` (a .jsonl file, or a folder of them), oldest first."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.jsonl") if p.is_file())
    elif path.is_file():
        files = [path]
    else:
        raise FetchFailed(f"replay path {str(path)!r} does not exist")
    items: list[ReplayItem] = []
    for file in files:
        try:
            with file.open(encoding="utf-8") as handle:
                for number, line in enumerate(handle, start=1):
                    if line.strip():
                        items.append(_parse(line, f"{file.name}:{number}"))
        except (OSError, UnicodeDecodeError) as exc:
            raise FetchFailed(f"cannot read {file}: {exc}") from exc
    oldest = datetime.min.replace(tzinfo=UTC)
    # stable sort: undated reports (and bad lines) first, in file order
    items.sort(key=lambda i: (i.report.published_at or oldest) if i.report else oldest)
    return items
