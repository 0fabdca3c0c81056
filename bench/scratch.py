"""A scratch database for a benchmark run: an SQLite file in a temporary folder, or a new
PostgreSQL database on the server `url` names, dropped at the end."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextmanager
def scratch_database(url: str | None, *, keep: bool = False) -> Iterator[str]:
    """The scratch database's URL; with `keep`, the database is left in place at the end."""
    if url is None:
        if keep:
            yield f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
            return
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    name = f"dispmon_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
