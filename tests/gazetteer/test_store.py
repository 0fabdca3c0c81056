"""The gazetteer's index on disk: the same content as the parsed data, additions over it, and
where it is built (or not)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.gazetteer import index, store
from app.gazetteer.index import Gazetteer, Place, load_gazetteer, parse_sources
from app.gazetteer.store import Store, index_path


@pytest.fixture(scope="module")
def parsed() -> Gazetteer:
    return parse_sources()


@pytest.fixture(scope="module")
def shipped() -> Store:
    path = index_path()
    assert path is not None
    return Store(path)


def test_the_index_holds_exactly_the_parsed_data(parsed: Gazetteer, shipped: Store) -> None:
    want = parsed.export()
    assert [p for _, p in shipped.all_places()] == want.places
    assert dict(shipped.names()) == want.names
    assert list(shipped.names()) == list(want.names.items())  # order too: search's ties
    assert all(shipped.children(k) == v for k, v in want.children.items())
    assert all(shipped.pcode(k) == v for k, v in want.pcodes.items())
    assert all(shipped.population(p.id) == want.population.get(p.id) for p in want.places)
    assert all(map(shipped.is_prefix, want.prefixes))
    assert all(map(shipped.is_first_word, want.first_words))
    assert (shipped.adjectives, shipped.generic, shipped.max_tokens, shipped.places) == (
        want.adjectives,
        want.generic,
        want.max_tokens,
        len(want.places),
    )
    # words that start no name are not in it
    assert not shipped.is_first_word("zzqx") and not shipped.is_prefix("north zzqx")
    assert shipped.ids("zzqx") is None and shipped.place("zzqx") is None


def test_lookups_over_the_index_answer_as_in_memory(parsed: Gazetteer, shipped: Store) -> None:
    disk = Gazetteer(store=shipped)
    assert len(disk) == len(parsed)
    for name in (
        "Tripoli",
        "Adré",
        "North Darfur",
        "Cox's Bazar",
        "Lebanese",
        "حلب",
        "Goma",
        "the Sudan",
        "Renk",
        "Boa Vista",
    ):
        assert disk.resolve(name) == parsed.resolve(name), name
        key = index.normalize(name)
        assert disk.lookup(key) == parsed.lookup(key)
        assert disk.longest(key.split()) == parsed.longest(key.split())
    for q, country in (("dar", None), ("camp", "TD"), (None, "LB"), ("aleppo", "SY")):
        assert disk.search(q, country, limit=500) == parsed.search(q, country, limit=500)
    assert disk.children("SD") == parsed.children("SD")
    adre = parsed.resolve("Adré")
    assert adre is not None and disk.ancestors(adre.id) == parsed.ancestors(adre.id)
    pcodes = [p for p in parsed.search(country="SY", limit=100_000) if p.pcode]
    assert pcodes and all(disk.by_pcode(p.pcode or "") == p for p in pcodes[:50])


def test_additions_live_in_memory_over_the_index(shipped: Store) -> None:
    """Staff additions change a gazetteer over the index as they change one in memory."""
    disk, mem = Gazetteer(store=shipped), parse_sources()
    adre = disk.resolve("Adré")
    assert adre is not None and adre.parent_id is not None and adre == mem.resolve("Adré")
    before = len(disk)
    # a shipped place gets an alias (it is replaced), a new place comes under the same parent
    renamed = Place(
        adre.id,
        adre.name,
        adre.country,
        adre.level,
        adre.parent_id,
        adre.pcode,
        (*adre.aliases, "Zzqx Crossing"),
    )
    new = Place("custom:td-zzqx", "Zzqx Camp", "TD", "site", adre.parent_id)
    for gazetteer in (disk, mem):
        gazetteer.add(renamed)
        gazetteer.add(new)
    assert disk.resolve("zzqx crossing") == renamed and disk.resolve("Adré") == renamed
    assert disk.resolve("zzqx camp") == new
    assert len(disk) == len(mem) == before + 1
    assert disk.children(adre.parent_id) == mem.children(adre.parent_id)
    assert new in disk.children(adre.parent_id)
    for q, country in (("zzqx", None), ("adr", "TD"), (None, "TD")):
        assert disk.search(q, country, limit=100_000) == mem.search(q, country, limit=100_000)
    # the index itself is unchanged: another gazetteer over it does not see them
    fresh = Gazetteer(store=shipped)
    assert fresh.resolve("zzqx crossing") is None and fresh.get("custom:td-zzqx") is None
    assert len(fresh) == before


def test_the_index_is_built_once_per_data_and_old_ones_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "BUILT_DIR", tmp_path / "built")
    monkeypatch.setattr(store, "_cache_dir", lambda: tmp_path / "cache")
    first = index_path()
    assert first is not None and first.parent == tmp_path / "built"

    def refuse(path: Path) -> Path:
        raise AssertionError("built again")

    monkeypatch.setattr(store, "build_index", refuse)
    assert index_path() == first
    monkeypatch.undo()
    # other data (here: another hash) is another file; the old one is removed
    monkeypatch.setattr(store, "BUILT_DIR", tmp_path / "built")
    monkeypatch.setattr(store, "_cache_dir", lambda: tmp_path / "cache")
    monkeypatch.setattr(store, "source_hash", lambda: "0123456789abcdef")
    second = index_path()
    assert second is not None and second != first and second.is_file()
    assert not first.exists()


def test_without_a_writable_folder_the_gazetteer_loads_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setattr(store, "BUILT_DIR", blocker / "index")
    monkeypatch.setattr(store, "_cache_dir", lambda: blocker / "cache")
    monkeypatch.setattr(store, "source_hash", lambda: "fedcba9876543210")
    assert index_path(build=False) is None
    assert index_path() is None
    monkeypatch.setattr(index, "index_path", lambda: None)
    gazetteer = load_gazetteer.__wrapped__()
    assert gazetteer.resolve("Adré") == load_gazetteer().resolve("Adré")
    assert len(gazetteer) == len(load_gazetteer())


def test_a_forked_child_opens_its_own_connection(shipped: Store) -> None:
    """An SQLite connection must not cross a fork (a server forking its workers)."""
    assert Gazetteer(store=shipped).get("SD") is not None  # this process's connection is open
    pid = os.fork()
    if pid == 0:  # the child: no inherited connection, and lookups work on its own
        fresh = getattr(shipped._local, "conn", None) is None
        os._exit(0 if fresh and Gazetteer(store=shipped).get("TD") is not None else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
