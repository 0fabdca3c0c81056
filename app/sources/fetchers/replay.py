"""Replay: reports from a JSONL file or a folder of them, for the demo and for backfills.

Each line is `{"text", "title"?, "url"?, "published" | "published_at"?, "lang"?}` (the
extractor's input format is accepted as it is). Reports come back in date order.

A replay source reads only inside DISPMON_REPLAY_DIR and the package's own demo folder, judged
on the real path (symlinks and `..` resolved), when the source is declared and again on every
read, file by file: what it reads shows to every reader, so it must never be a way to read the
server's files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from app.errors import FetchFailed, SourceMisconfigured
from app.reports.schemas import ReportIn
from app.reports.service import NewReport

PACKAGE_PREFIX = "package:"
DEMO_FOLDER = "demo"


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


def allowed_roots(replay_dir: Path | None) -> list[Path]:
    """The folders replay sources may read, as real paths."""
    with resources.as_file(resources.files("app.sources") / DEMO_FOLDER) as demo:
        roots = [Path(demo).resolve()]
    if replay_dir is not None:
        roots.append(replay_dir.expanduser().resolve())
    return roots


def _inside(path: Path, roots: list[Path]) -> Path:
    real = path.resolve()  # symlinks and .. resolved, so neither leads out
    if not any(real.is_relative_to(root) for root in roots):
        raise SourceMisconfigured(
            f"replay path {str(path)!r} is outside the folders replay sources may read "
            "(DISPMON_REPLAY_DIR and the demo's)")
    return real


def confine(url: str | None, replay_dir: Path | None) -> Path:
    """The real path of a replay source's url; SourceMisconfigured when it is outside the
    allowed folders (checked before whether it exists, which is not told)."""
    return _inside(resolve(url), allowed_roots(replay_dir))


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


def read_path(path: Path, replay_dir: Path | None) -> list[ReplayItem]:
    """Every report in `path` (a .jsonl file, or a folder of them), oldest first."""
    roots = allowed_roots(replay_dir)
    path = _inside(path, roots)
    if path.is_dir():
        # a file in the folder may be a symlink out of it: each is judged on its own
        files = sorted(_inside(p, roots) for p in path.rglob("*.jsonl") if p.is_file())
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
