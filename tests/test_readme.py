"""The README stays true: its set-up commands come first and every setting is documented."""

from __future__ import annotations

import re
from pathlib import Path

from app.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_the_readme_opens_with_the_two_set_up_commands() -> None:
    opening = "\n".join(README.splitlines()[:6])
    assert "make run" in opening and "make test" in opening


def test_every_setting_is_documented_and_nothing_else_is() -> None:
    settings = {f"DISPMON_{name.upper()}" for name in Settings.model_fields}
    documented = set(re.findall(r"`(DISPMON_[A-Z_]+)`", README)) - {"DISPMON_TEST_POSTGRES_URL"}
    assert settings - documented == set(), "settings missing from the README's table"
    assert documented - settings == set(), "the README documents settings that do not exist"
