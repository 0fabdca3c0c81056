"""The `dispmon extract` body: one output line per input line, in order, errors inline."""

from __future__ import annotations

import io
import json

from app.extract import extract_jsonl


def run(lines: list[str]) -> list[dict[str, object]]:
    out = io.StringIO()
    extract_jsonl(io.StringIO("".join(line + "\n" for line in lines)), out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_lines_in_order_with_errors_inline() -> None:
    good = {"id": "a", "text": "Over 12 000 people have found refuge in Lebanon.",
            "published": "2025-03-11", "lang": "en"}
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps({"id": "c", "published": None}),
        json.dumps({"id": "d", "text": "Nothing happened.", "published": "garbage"}),
        json.dumps([1, 2]),
        json.dumps({"id": "f", "text": "نزح نحو ٥٠٠٠ شخص إلى قاعدة حميميم.", "lang": "fr"},
                   ensure_ascii=False),
    ]
    out = run(lines)
    assert [o["id"] for o in out] == ["a", None, "c", "d", None, "f"]
    assert out[0]["figures"][0]["count"] == 12000  # type: ignore[index]
    assert out[0]["figures"][0]["destination"]["country"] == "LB"  # type: ignore[index]
    assert "error" in out[1] and out[1]["figures"] == []
    assert "error" in out[2] and out[2]["figures"] == []
    assert out[3] == {"id": "d", "figures": []}
    assert "error" in out[4]
    assert out[5]["figures"][0]["destination"]["country"] == "SY"  # type: ignore[index]


def test_bad_json_keeps_its_id_when_readable() -> None:
    out = run(['{"id": "x7", "text": "broken'])
    assert out[0]["id"] == "x7" and out[0]["figures"] == []


def test_extra_keys_ignored_and_blank_lines_skipped() -> None:
    line = json.dumps({"id": "a", "text": "x", "figures": [1], "extra": True})
    assert run([line]) == [{"id": "a", "figures": []}]
