"""Starting real processes and servers for tests, and waiting on them with a deadline."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import httpx

ROOT = Path(__file__).resolve().parent.parent
DISPMON = (sys.executable, "-m", "app.cli")
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for(check: Callable[[], T | None], timeout: float = 30.0, what: str = "condition") -> T:
    """Polls `check` until it returns a truthy value, or fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


@contextmanager
def dispmon_process(args: list[str], env: dict[str, str], program: Sequence[str] = DISPMON,
                    cwd: Path = ROOT) -> Iterator[subprocess.Popen[str]]:
    """Runs `dispmon ARGS` (this checkout's code unless `program` says) and stops it at the end."""
    proc = subprocess.Popen(
        [*program, *args], cwd=cwd, env={**os.environ, **env},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout:
            proc.stdout.close()


def _drain(proc: subprocess.Popen[str], into: deque[str]) -> None:
    try:
        into.extend(proc.stdout or ())
    except (ValueError, OSError):  # the pipe closed when the process was stopped
        pass


@contextmanager
def served(env: dict[str, str], program: Sequence[str] = DISPMON,
           cwd: Path = ROOT) -> Iterator[str]:
    """`dispmon serve` on a free port; yields its base URL once /healthz answers."""
    port = free_port()
    args = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    with dispmon_process(args, env, program, cwd) as proc:
        base = f"http://127.0.0.1:{port}"
        # drained all along: a server logging more than a pipe holds would block on its log
        output: deque[str] = deque(maxlen=200)
        drain = threading.Thread(target=_drain, args=(proc, output), daemon=True)
        drain.start()

        def up() -> bool:
            if proc.poll() is not None:
                drain.join(timeout=5)
                raise AssertionError(f"dispmon serve exited {proc.returncode}:\n"
                                     + "".join(output))
            try:
                return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(up, timeout=60, what="dispmon serve to answer")
        yield base
