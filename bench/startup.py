"""Measures how fast `dispmon` commands start, beside Python's own start, and a server's memory.

    .venv/bin/python bench/startup.py [--repeat 5] [--root PATH]

On a scratch SQLite database, runs each command --repeat times, interleaved (so a busy machine
slows them all alike), and prints the median wall time and CPU time (user + system) of:
`python -c pass`, `dispmon extract` on one report, `dispmon apikey create`, and a worker's
start (until it logs that it started); then each command's time beyond Python's own start and
its ratio to it. Then starts `dispmon serve`, waits for /healthz, reads a few pages that use
the gazetteer, and prints the server's time to answer and its resident memory (RSS, and its
peak). `--root` runs another checkout's code with this interpreter (e.g. main's, to compare):
the commands run as `python -m app.cli` from that folder.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from scratch import scratch_database

ROOT = Path(__file__).resolve().parent.parent
REPORT = {
    "id": "bench-1",
    "published": "2024-03-15",
    "lang": "en",
    "text": "More than 7,000 people have fled from Khartoum to Adré in eastern Chad since "
    "Friday, UNHCR said. Some 3,000 families are sheltering in schools in Renk.",
}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one command run to its end (which must succeed)."""
    cpu, start = _cpu(), time.perf_counter()
    subprocess.run(
        args, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - start, _cpu() - cpu


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a running process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _worker_start(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds until a worker logs that it started (then it is stopped)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        args, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    try:
        for line in proc.stderr:
            if " started" in line and "worker" in line:
                break
        else:
            raise SystemExit(f"the worker exited ({proc.wait()}) without starting")
        wall = time.perf_counter() - start
        cpu = _proc_cpu(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=60)  # it finishes the jobs its first tick started
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
    return wall, cpu


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _serve(python: list[str], env: dict[str, str], cwd: Path, key: str) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    start = time.perf_counter()
    proc = subprocess.Popen(
        [*python, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = start + 60
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"dispmon serve exited {proc.returncode}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.perf_counter() > deadline:
                raise SystemExit("dispmon serve did not answer within 60 s")
            time.sleep(0.02)
        up = time.perf_counter() - start
        rss_up = _kb(proc.pid, "VmRSS")
        headers = {"Authorization": f"Bearer {key}"}
        for query in ("q=darfur", "q=adre", "country=SD", "q=cox"):
            r = httpx.get(f"{base}/api/v1/destinations?{query}", headers=headers, timeout=30)
            r.raise_for_status()
        print(
            f"serve: /healthz answers after {up:.2f} s; RSS {rss_up / 1024:.0f} MB then, "
            f"{_kb(proc.pid, 'VmRSS') / 1024:.0f} MB after 4 place searches "
            f"(peak {_kb(proc.pid, 'VmHWM') / 1024:.0f} MB)"
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose code runs")
    args = parser.parse_args()
    cwd: Path = args.root.resolve()
    python = [sys.executable, "-m", "app.cli"]
    with scratch_database(None) as url, tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "DISPMON_DATABASE_URL": url,
            "DISPMON_SCHEDULER": "off",
            "DISPMON_SECRET_KEY": secrets.token_urlsafe(32),
            "DISPMON_LOG_LEVEL": "info",
        }
        report = Path(folder) / "one.jsonl"
        report.write_text(json.dumps(REPORT) + "\n", encoding="utf-8")
        subprocess.run(
            [*python, "migrate"], env=env, cwd=cwd, check=True, stderr=subprocess.DEVNULL
        )
        # a first run of each, untimed: builds what a first use builds (the gazetteer's index
        # when the install did not), warms the disk cache
        subprocess.run(
            [*python, "extract", str(report)],
            env=env,
            cwd=cwd,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        key = subprocess.run(
            [*python, "apikey", "create", "--name", "bench", "--scope", "read"],
            env=env,
            cwd=cwd,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        runs: dict[str, Callable[[int], tuple[float, float]]] = {
            "python -c pass": lambda _: _run([sys.executable, "-c", "pass"], env, cwd),
            "dispmon extract (1 report)": lambda _: _run(
                [*python, "extract", str(report)], env, cwd
            ),
            "dispmon apikey create": lambda i: _run(
                [*python, "apikey", "create", "--name", f"bench-{i}"], env, cwd
            ),
            "dispmon worker (until started)": lambda _: _worker_start(
                [*python, "worker"], env, cwd
            ),
        }
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
        for i in range(args.repeat):
            for name, run in runs.items():
                times[name].append(run(i))
        wall = {n: statistics.median(w for w, _ in t) for n, t in times.items()}
        cpu = {n: statistics.median(c for _, c in t) for n, t in times.items()}
        base_wall, base_cpu = wall["python -c pass"], cpu["python -c pass"]
        print(f"code: {cwd} ({args.repeat} runs each, medians)")
        print(f"{'command':32} {'wall s':>7} {'beyond':>7} {'ratio':>6} {'cpu s':>7} {'beyond':>7}")
        for name in runs:
            print(
                f"{name:32} {wall[name]:7.3f} {wall[name] - base_wall:7.3f} "
                f"{wall[name] / base_wall:6.1f} {cpu[name]:7.3f} {cpu[name] - base_cpu:7.3f}"
            )
        print("(a worker: until it logs that it started; its first tick's jobs run after)")
        _serve(python, env, cwd, key)


if __name__ == "__main__":
    main()
