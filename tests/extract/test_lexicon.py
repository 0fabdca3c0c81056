"""Language lives in the lexicon files: the logic modules hold no word literal, and every
language file fills the typed Lexicon."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from app.extract import lexicon

EXTRACT = Path(__file__).resolve().parents[2] / "app" / "extract"
LOGIC_MODULES = ("core.py", "figures.py", "numbers.py", "places.py", "timing.py",
                 "language.py", "confidence.py", "discourse.py")
# Identifiers the code passes around (contract values, token kinds, place levels, JSON keys):
# names, not words of a language.
IDENTIFIERS = frozenset("""
people families households exact at_least more_than about up_to less_than vague total new
dest origin container near none num word punct site city admin1 admin2 country
dozens hundreds thousands tens_of_thousands hundreds_of_thousands millions
count low high qualifier unit kind destination as_of span quote confidence id name level
utf-8 surrogatepass
""".split())
_LETTERS = re.compile(r"[^\W\d_]{2,}")
_REGEX_CALLS = frozenset({"compile", "split", "sub", "match", "fullmatch", "search", "findall"})


def _docstrings(tree: ast.AST) -> set[int]:
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def _regex_args(tree: ast.AST) -> set[int]:
    """String constants given to re.compile and friends: patterns, not words."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in _REGEX_CALLS and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "re"):
            for arg in node.args[:1]:
                out |= {id(c) for c in ast.walk(arg) if isinstance(c, ast.Constant)}
    return out


def word_literals(source: str) -> list[str]:
    """String constants in `source` that are words of a natural language."""
    tree = ast.parse(source)
    skip = _docstrings(tree) | _regex_args(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        if id(node) in skip or node.value in IDENTIFIERS:
            continue
        s = node.value
        if _LETTERS.search(s) or any(c.isalpha() and not c.isascii() for c in s):
            found.append(s)
    return found


@pytest.mark.parametrize("module", LOGIC_MODULES)
def test_logic_modules_hold_no_word_literal(module: str) -> None:
    path = EXTRACT / module
    if not path.exists():
        pytest.skip(f"{module} not written yet")
    assert word_literals(path.read_text("utf-8")) == []


def test_the_checker_sees_words() -> None:
    src = 'X = {"fled", "نزح"}\nY = ("%", "-", "people")\nZ = re.compile(r"[^\\W\\d_]+")\n'
    assert word_literals("import re\n" + src) == ["fled", "نزح"]


@pytest.mark.parametrize("code", lexicon.LANGUAGES)
def test_every_language_file_loads(code: str) -> None:
    lx = lexicon.load(code)
    assert lx.code == code
    assert lx.function_words, f"{code}.toml names no function words (language detection)"
    assert lx.displacement and lx.people and lx.qualifiers


def test_an_unknown_role_is_refused() -> None:
    with pytest.raises(KeyError, match="unknown role"):
        lexicon.parse("xx", {"verbs": {"fleeing_words": "fled"}})


def test_words_are_folded_like_tokens() -> None:
    lx = lexicon.parse("xx", {"verbs": {"displacement": "Réfugiés نزحوا"},
                              "numbers": {"qualifiers": {"Au moins": "at_least"}}})
    assert {"refugies", "نزحوا"} <= lx.displacement
    assert lx.qualifiers == {("au", "moins"): "at_least"}
    # the whole-report prefilter also knows the words as written (accents kept)
    assert "réfugiés" in lx.triggers


def test_merged_lexicon_plays_every_role() -> None:
    merged = lexicon.every()
    assert lexicon.load("fr").displacement <= merged.displacement
    assert lexicon.load("ar").ones.items() <= merged.ones.items()
