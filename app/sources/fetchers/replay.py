"""Replay: reports from a JSONL file or a folder of them, for the demo and for backfills.

Each line is `{"text", "title"?, "url"?, "published" | "published_at"?, "lang"?}` (the
extractor's input format is accepted as it is). A line with `figures` is a structured row (an
agency's figures, as the structured kinds give them): its `text` is the row's quote and each
figure `{"count", "unit"?, "kind"?, "qualifier"?, "pcodes"?, "names"?, "country"?,
"origin_country"?, "as_of"?}` is stored as it is, without the extractor. Reports and rows come
back in date order.

A replay source reads only inside DISPMON_REPLAY_DIR and the package's own demo folder, judged
on the real path (symlinks and `..` resolved), when the source is declared and again on every
read, file by file: what it reads shows to every reader, so it must never be a way to read the
server's files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.errors import FetchFailed, SourceMisconfigured
from app.reports.schemas import ReportIn
from app.reports.service import NewReport
from app.sources.structured import StructuredFigure, StructuredReport

PACKAGE_PREFIX = "package:"
DEMO_FOLDER = "demo"


@dataclass(frozen=True, slots=True)
class ReplayItem:
    where: str
    report: NewReport | None = None
    row: StructuredReport | None = None
    error: str | None = None

    @property
    def published_at(self) -> datetime | None:
        return (self.report.published_at if self.report else
                self.row.published_at if self.row else None)


class _FigureLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(ge=0)
    unit: Literal["people", "households"] = "people"
    kind: Literal["total", "new"] = "total"
    qualifier: Literal["exact", "at_least", "more_than", "about", "up_to", "less_than"] = "exact"
    pcodes: list[str] = Field(default_factory=list, max_length=5)
    names: list[str] = Field(default_factory=list, max_length=5)
    country: str | None = Field(None, min_length=2, max_length=3)
    origin_country: str | None = Field(None, min_length=2, max_length=3)
    as_of: date | None = None

    def figure(self) -> StructuredFigure:
        return StructuredFigure(
            count=self.count, unit=self.unit, kind=self.kind, qualifier=self.qualifier,
            pcodes=tuple(self.pcodes), names=tuple(self.names), country=self.country,
            origin_country=self.origin_country, as_of=self.as_of)


class _RowLine(BaseModel):
    text: str = Field(min_length=1, max_length=5000)
    title: str | None = Field(None, max_length=500)
    url: str | None = Field(None, max_length=2000)
    published_at: datetime | None = None
    method: str = Field("replay", max_length=32)
    figures: list[_FigureLine] = Field(min_length=1, max_length=100)


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
    if "figures" in raw:
        return _parse_row(raw, where)
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


def _parse_row(raw: dict[str, Any], where: str) -> ReplayItem:
    fields = {k: raw.get(k) for k in ("text", "title", "url", "method", "figures")}
    fields["published_at"] = raw.get("published_at", raw.get("published"))
    try:
        line = _RowLine.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return ReplayItem(where, error=f"{where}: {problems}")
    published = line.published_at
    if published is not None and published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    return ReplayItem(where, row=StructuredReport(
        quote=line.text, title=line.title, url=line.url, published_at=published,
        method=line.method, figures=[f.figure() for f in line.figures]))


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
    items.sort(key=lambda i: i.published_at or oldest)
    return items
