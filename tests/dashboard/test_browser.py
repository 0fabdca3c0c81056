"""Each page opened in a real headless Chromium against a real `dispmon serve` with the demo.

Screenshots land in tests/artifacts/ (ignored by git). CI installs Debian's chromium; on a
machine without it the test is skipped, except under CI, where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.servers import ROOT, served

ARTIFACTS = ROOT / "tests" / "artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it with apt-get")
        pytest.skip("chromium is not installed here (apt-get install chromium)")
    return found


def _browse(chromium: str, profile: Path, url: str,
            *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", *extra, url],
                          capture_output=True, text=True, timeout=90, check=False)


def test_every_page_renders_in_chromium(db_url: str, backend: str, tmp_path: Path) -> None:
    chromium = _chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    env = {"DISPMON_DATABASE_URL": db_url, "DISPMON_DEMO": "true", "DISPMON_PUBLIC_READ": "true",
           "DISPMON_SCHEDULER": "off"}
    with served(env) as base:
        # the demo's data, apart from real data (the overview shows it while there is no other)
        alert = httpx.get(f"{base}/api/v1/alerts",
                          params={"status": "firing", "demo": True}).json()["items"][0]
        reports = httpx.get(f"{base}/api/v1/reports",
                            params={"limit": 100, "demo": True}).json()["items"]
        arabic = next(r for r in reports if r["lang"] == "ar")
        pages = {
            "overview": ("/", ['class="alert critical"', 'class="spark"', "Sources"]),
            "destination": ("/destinations/LB-BH?demo=true", ['<svg class="chart"', 'class="marker',
                                                    "<mark>4,000</mark>"]),
            "alert": (f"/alerts/{alert['id']}", ["Evidence", '<svg class="chart"',
                                                 "<blockquote"]),
            "report": (f"/reports/{arabic['id']}", ['dir="rtl"', "<mark>", 'id="reading-1"']),
            "figure": (f"/figures/{alert['evidence']['figures'][0]['figure_id']}",
                       ["<blockquote", "History"]),
        }
        for name, (path, expected) in pages.items():
            dom = _browse(chromium, tmp_path / "profile", base + path, "--dump-dom",
                          "--enable-logging=stderr", "--v=0")
            assert dom.returncode == 0, dom.stderr[-2000:]
            # the page's Content-Security-Policy blocks nothing it needs (the console says so)
            blocked = [line for line in dom.stderr.splitlines()
                       if "Content Security Policy" in line]
            assert not blocked, (name, blocked[:3])
            for fragment in expected:
                assert fragment in dom.stdout, (name, fragment)
            shot = ARTIFACTS / f"{name}-{backend}.png"
            shot.unlink(missing_ok=True)
            done = _browse(chromium, tmp_path / "profile", base + path,
                           "--window-size=1280,1600", f"--screenshot={shot}")
            assert done.returncode == 0, done.stderr[-2000:]
            assert shot.stat().st_size > 20_000, f"{name}: the screenshot looks empty"
        phone = ARTIFACTS / f"overview-phone-{backend}.png"
        _browse(chromium, tmp_path / "profile", base + "/", "--window-size=390,1200",
                f"--screenshot={phone}")
        assert phone.stat().st_size > 10_000
