"""Near-duplicate reports: MinHash of word shingles, with an LSH index kept in the database.

A syndicated story reaches us from several outlets with small edits (a dateline, a byline, a
sentence cut). Each new report gets a MinHash signature; its bands are stored in
`report_lsh_bands`, indexed by band key, so finding candidates is one indexed lookup of a few
keys whatever the number of reports stored, and the signatures of those few candidates tell
how similar they really are.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

import numpy as np
from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    ForeignKey,
    LargeBinary,
    any_,
    bindparam,
    select,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db import Base
from app.reports.models import Report
from app.sources.models import Source

NUM_PERM = 64
BANDS = 16  # 16 bands of 4 rows: candidates from about 0.5 similarity, checked at THRESHOLD
ROWS = NUM_PERM // BANDS
THRESHOLD = 0.8
SHINGLE = 3
MIN_SHINGLES = 5  # a dozen words say too little to call two reports the same story
MAX_CANDIDATES = 20
_SEED = 7
_WORD = re.compile(r"\w+")


class ReportFingerprint(Base):
    """A report's MinHash signature (NUM_PERM 32-bit values)."""

    __tablename__ = "report_fingerprints"

    report_id: Mapped[int] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    signature: Mapped[bytes] = mapped_column(LargeBinary)


class ReportBand(Base):
    """One LSH band of a report's signature: reports sharing a band key are candidates."""

    __tablename__ = "report_lsh_bands"

    band_key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True, index=True)


K = TypeVar("K", bound=Hashable)
_UNNEST_FINGERPRINTS = text(
    "INSERT INTO report_fingerprints (report_id, signature) "
    "SELECT * FROM unnest(CAST(:ids AS bigint[]), CAST(:signatures AS bytea[]))")
_UNNEST_BANDS = text(
    "INSERT INTO report_lsh_bands (band_key, report_id) "
    "SELECT * FROM unnest(CAST(:keys AS bigint[]), CAST(:ids AS bigint[]))")


@dataclass(frozen=True, slots=True)
class Fingerprint:
    signature: np.ndarray
    bands: tuple[int, ...]

    def similarity(self, other: bytes) -> float:
        theirs = np.frombuffer(other, dtype=np.uint32)
        if theirs.shape != self.signature.shape:
            return 0.0
        return float(np.mean(theirs == self.signature))


# MurmurHash3's 32-bit finalizer: shifts and multipliers
_FMIX32 = (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16)


@lru_cache(maxsize=1)
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """The NUM_PERM affine permutations h -> a * h + b (mod 2^32, `a` odd) of datasketch's
    MinHash(num_perm=NUM_PERM, seed=_SEED, scheme="affine32"), drawn as it draws them: the
    signatures stored are datasketch's, and stay comparable (a test holds the two equal)."""
    gen = np.random.RandomState(_SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def shingles(text: str) -> set[str]:
    words = _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
    if len(words) < SHINGLE:
        return set()
    return {" ".join(words[i:i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


def fingerprint(text: str) -> Fingerprint | None:
    """The text's signature and band keys; None for a text too short to compare."""
    grams = shingles(text)
    if len(grams) < MIN_SHINGLES:
        return None
    # datasketch's MinHash.update_batch, without its import (scipy: a second) nor its object:
    # the grams' hashes, mixed, through every permutation at once, the least per permutation
    a, b = _permutations()
    # datasketch's default hash of a gram is the first 4 bytes of its SHA-1, little-endian:
    # the grams' bytes joined and read as one array, not an int made per gram
    sha1 = hashlib.sha1
    hv = np.frombuffer(b"".join([sha1(gram.encode()).digest()[:4] for gram in grams]),
                       dtype="<u4").astype(np.uint32)[:, np.newaxis]
    s1, m1, s2, m2, s3 = _FMIX32
    hv ^= hv >> s1
    hv *= np.uint32(m1)
    hv ^= hv >> s2
    hv *= np.uint32(m2)
    hv ^= hv >> s3
    signature = (hv * a + b).min(axis=0)
    bands = tuple(
        int.from_bytes(hashlib.blake2b(bytes([band]) + signature[band * ROWS:(band + 1) * ROWS]
                                       .tobytes(), digest_size=8).digest(), "big", signed=True)
        for band in range(BANDS)
    )
    return Fingerprint(signature, bands)


def near_duplicates(session: Session, prints: Mapping[K, Fingerprint], *,
                    other_than_source: int, demo: bool = False) -> dict[K, int]:
    """For each fingerprint, the earliest report of another source that tells the same story
    (or, when that one is itself a copy, the report it copies), of the demo's sources when
    `demo`, else of real ones: the two are never copies of each other. Two queries for the
    lot."""
    keys = {key for print_ in prints.values() for key in print_.bands}
    if not keys:
        return {}
    # the band index alone answers this (no join), so the plan stays an index lookup
    holders: dict[int, list[int]] = defaultdict(list)
    for key, report_id in session.execute(
            select(ReportBand.band_key, ReportBand.report_id).where(_among(session, keys))):
        holders[key].append(report_id)
    shortlists: dict[K, list[int]] = {}
    for item, print_ in prints.items():
        shared = Counter(rid for key in set(print_.bands) for rid in holders.get(key, ()))
        best = sorted(shared.items(), key=lambda pair: (-pair[1], pair[0]))[:MAX_CANDIDATES]
        if best:
            shortlists[item] = [rid for rid, _ in best]
    candidates = {rid for shortlist in shortlists.values() for rid in shortlist}
    if not candidates:
        return {}
    stored = {rid: (signature, copies) for rid, signature, copies in session.execute(
        select(ReportFingerprint.report_id, ReportFingerprint.signature, Report.duplicate_of_id)
        .join(Report, Report.id == ReportFingerprint.report_id)
        .join(Source, Source.id == Report.source_id)
        .where(ReportFingerprint.report_id.in_(candidates),
               Report.source_id != other_than_source, Source.demo == demo))}
    found: dict[K, int] = {}
    for item, shortlist in shortlists.items():
        similar = sorted(rid for rid in shortlist
                         if rid in stored and prints[item].similarity(stored[rid][0]) >= THRESHOLD)
        if similar:
            found[item] = stored[similar[0]][1] or similar[0]
    return found


def _among(session: Session, keys: set[int]) -> ColumnElement[bool]:
    """`band_key IN keys`; on PostgreSQL as `= ANY(array)`, one parameter instead of a batch's
    thousands (16 a report), which PostgreSQL parses and plans in a third less time."""
    if session.get_bind().dialect.name == "postgresql":
        return ReportBand.band_key == any_(
            bindparam("band_keys", sorted(keys), type_=ARRAY(BigInteger)))
    return ReportBand.band_key.in_(keys)


def copies_within(prints: Mapping[int, Fingerprint]) -> dict[int, int]:
    """Near-duplicates among the reports of one batch (by their place in it): each later copy
    -> the first item that tells its story (never itself a copy). No database work: the batch's
    band keys index it the way `report_lsh_bands` indexes what is stored."""
    holders: dict[int, list[int]] = defaultdict(list)  # band key -> first tellings having it
    found: dict[int, int] = {}
    for item in sorted(prints):
        print_ = prints[item]
        candidates = sorted({first for key in set(print_.bands) for first in holders.get(key, ())})
        original = next((first for first in candidates
                         if print_.similarity(prints[first].signature.tobytes()) >= THRESHOLD),
                        None)
        if original is not None:
            found[item] = original
            continue
        for key in set(print_.bands):
            holders[key].append(item)
    return found


def remember(session: Session, prints: Mapping[int, Fingerprint]) -> None:
    """Indexes newly stored reports (by id) so later copies find them."""
    if not prints:
        return
    ids = list(prints)
    signatures = [p.signature.tobytes() for p in prints.values()]
    bands = [(key, rid) for rid, p in prints.items() for key in sorted(set(p.bands))]
    if session.get_bind().dialect.name == "postgresql":
        # PostgreSQL runs an executemany row by row (16 band rows a report): one statement over
        # arrays is five times faster
        session.execute(_UNNEST_FINGERPRINTS, {"ids": ids, "signatures": signatures})
        session.execute(_UNNEST_BANDS, {"keys": [key for key, _ in bands],
                                        "ids": [rid for _, rid in bands]})
        return
    # sqlite3's executemany of tuples: rows nobody loads in this session need neither the
    # ORM's bookkeeping nor a dict of bound parameters each (a batch has thousands of bands)
    connection = session.connection()
    connection.exec_driver_sql(
        "INSERT INTO report_fingerprints (report_id, signature) VALUES (?, ?)",
        list(zip(ids, signatures, strict=True)))
    connection.exec_driver_sql(
        "INSERT INTO report_lsh_bands (band_key, report_id) VALUES (?, ?)", bands)
