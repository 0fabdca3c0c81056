"""Annotated cases, one file per language and phenomenon (tests/extract/cases/<lang>/*.jsonl).

Each line is {"text", "lang", "published", "figures": [...]} with figures as the annotated
corpora write them (count or vague, unit, qualifier, kind, destination country, acceptable
place names). A line may carry "xfail": "<why>" while the extractor does not read it yet; the
mark is strict, so a case that starts passing must lose its mark."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from app.extract import extract
from app.gazetteer.index import load_gazetteer

CASES = Path(__file__).parent / "cases"
_VAGUE_LOW = {"dozens": 24, "hundreds": 200, "thousands": 2000, "tens_of_thousands": 20000,
              "hundreds_of_thousands": 200000, "millions": 2000000}


_SUFFIXES = ("camp", "city", "governorate", "province", "district", "region", "site", "base")


def _norm(name: str) -> str:
    """A place name compared as the scorer does: no case, accents, punctuation, kind word."""
    s = unicodedata.normalize("NFKD", name).casefold()
    s = re.sub(r"[\W_]", "", "".join(c for c in s if not unicodedata.combining(c)))
    for suffix in _SUFFIXES:
        if s.endswith(suffix) and len(s) > len(suffix) + 2:
            s = s[:-len(suffix)]
    return s


def _load() -> list[Any]:
    params: list[Any] = []
    for path in sorted(CASES.glob("*/*.jsonl")):
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            case = json.loads(line)
            case_id = f"{path.parent.name}/{path.stem}:{no}"
            marks = []
            if case.get("xfail"):
                marks.append(pytest.mark.xfail(reason=case["xfail"], strict=True))
            params.append(pytest.param(case, id=case_id, marks=marks))
    return params


def _want_count(fig: dict[str, Any]) -> int:
    return int(fig["count"]) if fig["count"] is not None else _VAGUE_LOW[fig["vague"]]


def _describe(f: dict[str, Any]) -> str:
    dest = f.get("destination") or {}
    return (f"{f['count']} {f['qualifier']} {f['unit']} {f['kind']} -> "
            f"{dest.get('country')} {dest.get('name')}")


@pytest.mark.parametrize("case", _load())
def test_case(case: dict[str, Any]) -> None:
    published = date.fromisoformat(case["published"]) if case.get("published") else None
    got = [f.to_contract() for f in extract(case["text"], published, case.get("lang"))]
    said = [_describe(f) for f in got]
    assert len(got) == len(case["figures"]), said
    left = list(got)
    for want in case["figures"]:
        count = _want_count(want)
        match = next((f for f in left if f["count"] == count), None)
        assert match is not None, (want, said)
        left.remove(match)
        dest = match["destination"]
        assert match["qualifier"] == want["qualifier"], (want, said)
        assert match["unit"] == want["unit"], (want, said)
        assert match["kind"] == want["kind"], (want, said)
        assert (dest["country"] if dest else None) == want["country"], (want, said)
        if want.get("place"):
            names = {_norm(p) for p in want["place"]}
            assert dest is not None, (want, said)
            place = load_gazetteer().get(dest["id"])
            known = {dest["name"], dest["id"], *(place.aliases if place else ())}
            # the place read may be named otherwise than the case says ("‘Adan" for Aden)
            assert names & {_norm(n) for n in known}, (want, said)


def test_every_phenomenon_has_cases_in_every_language() -> None:
    phenomena = {p.stem for p in CASES.glob("*/*.jsonl")}
    for lang in ("en", "fr", "ar", "es"):
        have = {p.stem for p in (CASES / lang).glob("*.jsonl")}
        assert have == phenomena, (lang, sorted(phenomena - have))
