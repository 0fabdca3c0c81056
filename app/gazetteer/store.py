"""The gazetteer's prebuilt index: an SQLite file built once from the shipped data, read in place.

Why: parsing places.tsv and curated.json into dictionaries took every process a second and
about 100 MB before its first lookup, CLI commands included. The index holds exactly those
dictionaries (built by the same code, `index.parse_sources`), one row per entry, and is opened
read-only, immutable and memory-mapped: opening costs a few milliseconds, a lookup is one
indexed query (kept in memory afterwards, see `Table`), and the processes of a machine share
the file's pages instead of each holding its own copy.

Where: the file's name carries a hash of everything its content depends on (the data files and
the code that turns them into an index), so an edited places.tsv or a changed `normalize` makes
a new file and never reads a stale one. `make install` and the Dockerfile build it beside the
data (`dispmon gazetteer build`); otherwise the first process that needs it builds it there, or
in ~/.cache/dispmon when the package folder is read-only. When neither can be written, the
gazetteer is built in memory as it always was: a slower start, the same answers.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import sqlite3
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar, overload

if TYPE_CHECKING:
    from app.gazetteer.index import Gazetteer, Place

log = logging.getLogger(__name__)

DATA = Path(__file__).parent / "data"
# What the index is built from: the data, and the code that reads it (normalize, aliases,
# adjective forms live in index.py). FORMAT changes when the file's layout does.
SOURCES = (
    DATA / "places.tsv",
    DATA / "curated.json",
    DATA / "generic_words.txt",
    Path(__file__).parent / "index.py",
    Path(__file__),
)
FORMAT = "1"
BUILT_DIR = DATA / "index"
# several ids in one column: ids come from tab-separated fields, so never hold a tab
SEP = "\t"
# the memory-mapped span of the file (it is ~30 MB); pages are shared between processes
MMAP_BYTES = 256 * 1024 * 1024

_SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE places (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
  country TEXT NOT NULL, level TEXT NOT NULL, parent_id TEXT, pcode TEXT, aliases TEXT,
  population INTEGER);
CREATE INDEX ix_places_country ON places (country);
CREATE TABLE names (seq INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, ids TEXT NOT NULL);
CREATE TABLE children (parent TEXT PRIMARY KEY, ids TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE pcodes (pcode TEXT PRIMARY KEY, id TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE prefixes (key TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE first_words (word TEXT PRIMARY KEY) WITHOUT ROWID;
"""


def source_hash() -> str:
    digest = hashlib.sha256(FORMAT.encode())
    for path in SOURCES:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _cache_dir() -> Path:
    return Path.home() / ".cache" / "dispmon"


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK | os.X_OK)


def index_path(*, build: bool = True) -> Path | None:
    """The index file for the data as shipped now: an existing one, else (when `build`) a new
    one in the first writable folder; None when there is none and none can be written."""
    name = f"gazetteer-{source_hash()}.sqlite"
    folders = (BUILT_DIR, _cache_dir())
    for folder in folders:
        if (folder / name).is_file():
            return folder / name
    if not build:
        return None
    for folder in folders:
        if _writable(folder):
            return build_index(folder / name)
    log.warning("gazetteer index: neither %s nor %s is writable; loading in memory", *folders)
    return None


def build_index(path: Path) -> Path:
    """Writes the index of the shipped data to `path` (atomically: concurrent builders each
    write their own temporary file and the last rename wins, with identical content), and
    removes the indexes of older data beside it (in the package's folder only: the user's cache
    may serve several checkouts)."""
    from app.gazetteer.index import parse_sources

    gazetteer = parse_sources()
    fd, tmp = tempfile.mkstemp(prefix=".gazetteer-", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        _write(gazetteer, Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    if path.parent == BUILT_DIR:
        for old in path.parent.glob("gazetteer-*.sqlite"):
            if old != path:
                old.unlink(missing_ok=True)
    log.info("gazetteer index built: %s", path)
    return path


def _write(g: Gazetteer, path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.executescript(_SCHEMA)
        state = g.export()
        # rows in the dictionaries' order: iteration (search) sees them as memory did
        conn.executemany(
            "INSERT INTO places VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    seq,
                    p.id,
                    p.name,
                    p.country,
                    p.level,
                    p.parent_id,
                    p.pcode,
                    SEP.join(p.aliases) if p.aliases else None,
                    state.population.get(p.id),
                )
                for seq, p in enumerate(state.places)
            ),
        )
        conn.executemany(
            "INSERT INTO names VALUES (?, ?, ?)",
            ((seq, key, SEP.join(ids)) for seq, (key, ids) in enumerate(state.names.items())),
        )
        conn.executemany(
            "INSERT INTO children VALUES (?, ?)",
            ((parent, SEP.join(ids)) for parent, ids in state.children.items()),
        )
        conn.executemany("INSERT INTO pcodes VALUES (?, ?)", state.pcodes.items())
        conn.executemany("INSERT INTO prefixes VALUES (?)", ((k,) for k in state.prefixes))
        conn.executemany("INSERT INTO first_words VALUES (?)", ((w,) for w in state.first_words))
        meta = {
            "hash": path.stem.removeprefix("gazetteer-"),
            "max_tokens": str(state.max_tokens),
            "places": str(len(state.places)),
            "adjectives": json.dumps(state.adjectives, ensure_ascii=False),
            "generic": json.dumps(sorted(state.generic), ensure_ascii=False),
        }
        conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        conn.commit()
        conn.execute("VACUUM")
    finally:
        conn.close()


_STORES: weakref.WeakSet[Store] = weakref.WeakSet()


def _forget_connections() -> None:
    for opened in _STORES:
        opened._local = threading.local()


os.register_at_fork(after_in_child=_forget_connections)


def _ids(text: str) -> list[str]:
    return text.split(SEP) if text else []


class Store:
    """The index file, read-only: one connection per thread (sqlite3 connections are not to be
    shared), each opened on first use, and none carried into a forked child."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._uri = f"{path.as_uri()}?mode=ro&immutable=1"
        self._local = threading.local()
        _STORES.add(self)
        meta = dict(self._conn().execute("SELECT name, value FROM meta").fetchall())
        self.max_tokens = int(meta["max_tokens"])
        self.places = int(meta["places"])
        self.adjectives: dict[str, str] = json.loads(meta["adjectives"])
        self.generic = frozenset[str](json.loads(meta["generic"]))

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self._uri, uri=True, check_same_thread=False)
            conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
            self._local.conn = conn
        return conn

    def _one(self, sql: str, arg: str) -> tuple[object, ...] | None:
        row: tuple[object, ...] | None = self._conn().execute(sql, (arg,)).fetchone()
        return row

    # -- one entry by its key, None when the index has none ------------------------------------
    def place(self, place_id: str) -> Place | None:
        row = (
            self._conn()
            .execute(
                "SELECT id, name, country, level, parent_id, pcode, aliases FROM places"
                " WHERE id = ?",
                (place_id,),
            )
            .fetchone()
        )
        return None if row is None else _place(row)

    def population(self, place_id: str) -> int | None:
        row = self._one("SELECT population FROM places WHERE id = ?", place_id)
        return None if row is None or row[0] is None else int(str(row[0]))

    def ids(self, key: str) -> list[str] | None:
        row = self._one("SELECT ids FROM names WHERE key = ?", key)
        return None if row is None else _ids(str(row[0]))

    def children(self, parent_id: str) -> list[str] | None:
        row = self._one("SELECT ids FROM children WHERE parent = ?", parent_id)
        return None if row is None else _ids(str(row[0]))

    def pcode(self, pcode: str) -> str | None:
        row = self._one("SELECT id FROM pcodes WHERE pcode = ?", pcode)
        return None if row is None else str(row[0])

    def is_prefix(self, key: str) -> bool:
        return self._one("SELECT 1 FROM prefixes WHERE key = ?", key) is not None

    def is_first_word(self, word: str) -> bool:
        return self._one("SELECT 1 FROM first_words WHERE word = ?", word) is not None

    # -- every entry, in the order memory had them -----------------------------------------
    def all_places(self, country: str | None = None) -> Iterator[tuple[str, Place]]:
        sql = "SELECT id, name, country, level, parent_id, pcode, aliases FROM places"
        rows = (
            self._conn().execute(f"{sql} ORDER BY seq")
            if country is None
            else self._conn().execute(f"{sql} WHERE country = ? ORDER BY seq", (country,))
        )
        for row in rows:
            yield row[0], _place(row)

    def names(self, containing: str | None = None) -> Iterator[tuple[str, list[str]]]:
        rows = (
            self._conn().execute("SELECT key, ids FROM names ORDER BY seq")
            if containing is None
            else self._conn().execute(
                "SELECT key, ids FROM names WHERE instr(key, ?) > 0 ORDER BY seq", (containing,)
            )
        )
        for key, ids in rows:
            yield key, _ids(ids)


def _place(row: tuple[str, str, str, str, str | None, str | None, str | None]) -> Place:
    from app.gazetteer.index import Place

    pid, name, country, level, parent_id, pcode, aliases = row
    return Place(
        pid,
        name,
        country,
        level,
        parent_id,
        pcode,
        tuple(aliases.split(SEP)) if aliases is not None else (),
    )


V = TypeVar("V")
_ABSENT: object = object()
# disk reads kept in memory per table: beyond this many the reads are forgotten (never what
# was written), so a long-running process's memory stays bounded
READ_CACHE = 200_000


class Table(Generic[V]):
    """A dict-like map whose entries live in the read-only index under an in-memory layer.

    Reads look in memory, then in the index (and keep what they read); writes (staff additions)
    go to memory only and win over the index. `editable` gives a value a caller may change in
    place (a private copy); values from `get` must not be changed. Without an index (`fetch`
    None) it is a plain dict. Iteration yields the index's entries in their order (memory's
    value where there is one), then the entries only memory has."""

    __slots__ = ("_fetch", "_matches", "_own", "_read", "_scan", "_size")

    def __init__(
        self,
        own: dict[str, V] | None = None,
        *,
        fetch: Callable[[str], V | None] | None = None,
        scan: Callable[[str | None], Iterator[tuple[str, V]]] | None = None,
        matches: Callable[[str, V, str], bool] | None = None,
        size: int = 0,
    ) -> None:
        self._own: dict[str, V] = own if own is not None else {}
        self._read: dict[str, V | None] = {}
        self._fetch = fetch
        self._scan = scan
        self._matches = matches
        self._size = size  # entries in the index

    def _disk(self, key: str) -> V | None:
        if self._fetch is None:
            return None
        value = self._read.get(key, _ABSENT)
        if value is _ABSENT:
            if len(self._read) >= READ_CACHE:
                self._read.clear()
            value = self._read[key] = self._fetch(key)
        return value  # type: ignore[return-value]

    @overload
    def get(self, key: str) -> V | None: ...
    @overload
    def get(self, key: str, default: V) -> V: ...
    def get(self, key: str, default: V | None = None) -> V | None:
        value = self._own.get(key, _ABSENT)
        if value is not _ABSENT:
            return value  # type: ignore[return-value]
        found = self._disk(key)
        return default if found is None else found

    def __getitem__(self, key: str) -> V:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def __setitem__(self, key: str, value: V) -> None:
        self._own[key] = value

    def editable(self, key: str) -> V | None:
        """The value under `key` as this process's own copy (changes to it stay), or None."""
        value = self._own.get(key, _ABSENT)
        if value is not _ABSENT:
            return value  # type: ignore[return-value]
        found = self._disk(key)
        if found is None:
            return None
        self._own[key] = mine = copy.copy(found)
        return mine

    def setdefault(self, key: str, default: V) -> V:
        value = self.editable(key)
        if value is None:
            self._own[key] = value = default
        return value

    def items(self, match: str | None = None) -> Iterator[tuple[str, V]]:
        """Every entry, or those the index's scan and `matches` select for `match`."""
        if self._scan is not None:
            for key, value in self._scan(match):
                mine = self._own.get(key, _ABSENT)
                if mine is _ABSENT:
                    yield key, value
                elif match is None or self._ok(key, mine, match):  # type: ignore[arg-type]
                    yield key, mine  # type: ignore[misc]
        for key, value in self._own.items():
            if self._disk(key) is None and (match is None or self._ok(key, value, match)):
                yield key, value

    def _ok(self, key: str, value: V, match: str) -> bool:
        if self._matches is None:
            raise TypeError("this table has no `matches`: it cannot be searched")
        return self._matches(key, value, match)

    def values(self, match: str | None = None) -> Iterator[V]:
        return (value for _, value in self.items(match))

    def __len__(self) -> int:
        return self._size + sum(1 for key in self._own if self._disk(key) is None)


class WordSet:
    """A set of words in the index under an in-memory layer of added ones (see `Table`)."""

    __slots__ = ("_has", "_own", "_read")

    def __init__(
        self, own: set[str] | None = None, *, has: Callable[[str], bool] | None = None
    ) -> None:
        self._own: set[str] = own if own is not None else set()
        self._read: dict[str, bool] = {}
        self._has = has

    def __contains__(self, word: object) -> bool:
        if word in self._own:
            return True
        if self._has is None or not isinstance(word, str):
            return False
        found = self._read.get(word)
        if found is None:
            if len(self._read) >= READ_CACHE:
                self._read.clear()
            found = self._read[word] = self._has(word)
        return found

    def add(self, word: str) -> None:
        self._own.add(word)

    def added(self) -> list[str]:
        """The words added in memory (all of them, without an index)."""
        return list(self._own)
