"""Installs as every machine does: a fresh Python 3.11 venv, the pip it ships, the lock files."""

from __future__ import annotations

import ensurepip
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.servers import served

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "requirements-dev.lock"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def pins(lock: Path) -> dict[str, Version]:
    """Name -> pinned version; fails on a pin without a hash (pip would refuse the file)."""
    found: dict[str, Version] = {}
    blocks = re.split(r"\n(?=[A-Za-z0-9])", lock.read_text())
    for block in blocks:
        match = PIN.match(block)
        if match:
            assert "--hash=sha256:" in block, f"{lock.name}: {match[1]} has no hash"
            found[canonicalize_name(match[1])] = Version(match[2])
    return found


def declared(*extras: str) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wanted = [*project["build-system"]["requires"], *project["project"]["dependencies"]]
    for extra in extras:
        wanted += project["project"]["optional-dependencies"][extra]
    return [Requirement(r) for r in wanted]


@pytest.mark.parametrize(("lock", "extras"), [(LOCK, ()), (DEV_LOCK, ("dev",))])
def test_the_lock_pins_every_declared_dependency_within_its_range(
        lock: Path, extras: tuple[str, ...]) -> None:
    locked = pins(lock)
    for req in declared(*extras):
        name = canonicalize_name(req.name)
        assert name in locked, f"{req.name} is not in {lock.name}: run `make lock`"
        assert req.specifier.contains(locked[name], prereleases=True), (
            f"{lock.name} pins {req.name}=={locked[name]}, outside {req}: run `make lock`")


def test_deployments_run_the_versions_the_tests_run_on() -> None:
    runtime, dev = pins(LOCK), pins(DEV_LOCK)
    assert {name: (v, dev.get(name)) for name, v in runtime.items() if dev.get(name) != v} == {}


def test_extras_that_the_stock_pip_drops_are_declared_directly() -> None:
    """The pip of a fresh 3.11 venv (23.2) matches an extra by its name as written: justext asks
    for lxml[html_clean], lxml 6 provides `html-clean`, so lxml_html_clean was left out and the
    service did not start. What such an extra brings must be a direct dependency."""
    direct = {canonicalize_name(r.name) for r in declared()}
    runtime = pins(LOCK)
    dropped: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        if canonicalize_name(dist.metadata["Name"]) not in runtime:
            continue
        for line in dist.requires or []:
            req = Requirement(line)
            if req.marker and not req.marker.evaluate({"extra": ""}):
                continue  # only under one of the dependant's own extras
            if not req.extras or canonicalize_name(req.name) not in runtime:
                continue
            target = importlib.metadata.distribution(req.name)
            missed = req.extras - set(target.metadata.get_all("Provides-Extra") or [])
            brought = [dep for dep in map(Requirement, target.requires or []) if dep.marker
                       and any(dep.marker.evaluate({"extra": extra}) for extra in missed)
                       and not dep.marker.evaluate({"extra": ""})]
            for dep in brought:
                dropped[canonicalize_name(dep.name)] = f"{line} (in {dist.metadata['Name']})"
    assert {name: why for name, why in dropped.items() if name not in direct} == {}


def copy_checkout(to: Path) -> Path:
    """The files the Dockerfile copies, so the test installs what ships (not ./var or .venv)."""
    for name in ("pyproject.toml", "README.md", "alembic.ini", "requirements.lock"):
        shutil.copy2(ROOT / name, to / name)
    for name in ("app", "migrations"):
        shutil.copytree(ROOT / name, to / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return to


def install_and_serve(src: Path, scratch: Path) -> None:
    """`python3.11 -m venv`, then the install steps of the Makefile and the Dockerfile."""
    venv = scratch / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python, dispmon = str(venv / "bin" / "python"), str(venv / "bin" / "dispmon")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}

    def run(*args: str) -> str:
        done = subprocess.run(args, cwd=src, env=env, capture_output=True, text=True,
                              timeout=600, check=False)
        assert done.returncode == 0, f"{' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    # the pip a fresh venv ships with, never upgraded: what a new machine really has
    assert run(python, "-m", "pip", "--version").startswith(f"pip {ensurepip.version()} ")
    # --no-compile: bytecode is a cache (this CPU is shared); what gets installed is the same
    run(python, "-m", "pip", "install", "--quiet", "--no-compile", "--require-hashes",
        "-r", "requirements.lock")
    run(python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "-e", ".")
    run(python, "-m", "pip", "check")
    assert run(dispmon, "gazetteer", "build").strip().endswith(".sqlite")
    assert "serve" in run(dispmon, "--help")
    # the app imports trafilatura -> justext -> lxml.html.clean (the package lxml_html_clean)
    imported = run(python, "-c", "import app.main, lxml.html.clean; print(app.main.__file__)")
    assert Path(imported.strip()).is_relative_to(src)

    service = {"DISPMON_DATABASE_URL": f"sqlite:///{scratch / 'dispmon.db'}",
               "DISPMON_DEMO": "true", "DISPMON_PUBLIC_READ": "true", "PYTHONPATH": ""}
    env |= service
    run(dispmon, "migrate")
    with served(service, program=[dispmon], cwd=src) as base:
        assert httpx.get(f"{base}/api/v1/destinations", timeout=10).status_code == 200


@pytest.mark.slow
def test_a_fresh_venv_with_its_stock_pip_installs_the_lock_and_serves(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    install_and_serve(copy_checkout(src), tmp_path)
