"""The `dispmon extract` command's body: JSONL reports in, one JSONL figures line out each."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from typing import Any, TextIO

from app.extract.core import extract
from app.gazetteer.index import load_gazetteer

_ID = re.compile(r'"id"\s*:\s*"([^"\\]{0,200})"')


def _published(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def process_line(line: str, *, household_size: int = 5,
                 household_sizes: Mapping[str, int] | None = None) -> dict[str, Any]:
    """One input line to its output object; bad input gives an `error` and no figures."""
    try:
        obj = json.loads(line)
    except ValueError as e:
        # keep the report's id when it can still be read, so the error line can be matched
        m = _ID.search(line)
        return {"id": m.group(1) if m else None, "error": f"not JSON: {e}", "figures": []}
    if not isinstance(obj, dict):
        return {"id": None, "error": "not a JSON object", "figures": []}
    rid = obj.get("id")
    rid = rid if isinstance(rid, str | int) or rid is None else str(rid)
    text = obj.get("text")
    if not isinstance(text, str):
        return {"id": rid, "error": "no text", "figures": []}
    lang = obj.get("lang") if isinstance(obj.get("lang"), str) else None
    figures = extract(text, _published(obj.get("published")), lang,
                      household_size=household_size, household_sizes=household_sizes)
    return {"id": rid, "figures": [f.to_contract() for f in figures]}


def extract_jsonl(inp: TextIO, out: TextIO, *, household_size: int = 5,
                  household_sizes: Mapping[str, int] | None = None) -> None:
    """Reads reports from `inp`, writes one line per input line to `out`, same order."""
    load_gazetteer()
    for line in inp:
        if not line.strip():
            continue
        try:
            result = process_line(line, household_size=household_size,
                                  household_sizes=household_sizes)
        except Exception as e:
            result = {"id": None, "error": f"internal error: {type(e).__name__}", "figures": []}
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()
