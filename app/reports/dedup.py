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
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from datasketch import MinHash
from sqlalchemy import BigInteger, ForeignKey, LargeBinary, func, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db import Base
from app.reports.models import Report

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


@dataclass(frozen=True, slots=True)
class Fingerprint:
    signature: np.ndarray
    bands: tuple[int, ...]

    def similarity(self, other: bytes) -> float:
        theirs = np.frombuffer(other, dtype=np.uint32)
        if theirs.shape != self.signature.shape:
            return 0.0
        return float(np.mean(theirs == self.signature))


@lru_cache(maxsize=1)
def _permutations() -> tuple[str, Any]:
    """The hashing scheme and permutations of (NUM_PERM, _SEED), made once: making them is most
    of the cost of a new MinHash."""
    model = MinHash(num_perm=NUM_PERM, seed=_SEED)
    return model.scheme, model.permutations


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
    scheme, permutations = _permutations()
    minhash = MinHash(num_perm=NUM_PERM, seed=_SEED, scheme=scheme, permutations=permutations)
    minhash.update_batch([g.encode() for g in grams])
    signature = np.asarray(minhash.hashvalues, dtype=np.uint64).astype(np.uint32)
    bands = tuple(
        int.from_bytes(hashlib.blake2b(bytes([band]) + signature[band * ROWS:(band + 1) * ROWS]
                                       .tobytes(), digest_size=8).digest(), "big", signed=True)
        for band in range(BANDS)
    )
    return Fingerprint(signature, bands)


def near_duplicate(session: Session, print_: Fingerprint, *, other_than_source: int
                   ) -> Report | None:
    """The earliest report of another source that tells the same story, if any."""
    # the band index alone answers this (no join), so the plan stays an index lookup
    shared = func.count(ReportBand.band_key)
    candidates = session.scalars(
        select(ReportBand.report_id).where(ReportBand.band_key.in_(print_.bands))
        .group_by(ReportBand.report_id).order_by(shared.desc(), ReportBand.report_id)
        .limit(MAX_CANDIDATES)
    ).all()
    if not candidates:
        return None
    signatures = session.execute(
        select(ReportFingerprint.report_id, ReportFingerprint.signature)
        .join(Report, Report.id == ReportFingerprint.report_id)
        .where(ReportFingerprint.report_id.in_(candidates),
               Report.source_id != other_than_source)
    ).all()
    similar = sorted(rid for rid, sig in signatures if print_.similarity(sig) >= THRESHOLD)
    return session.get(Report, similar[0]) if similar else None


def remember(session: Session, report_id: int, print_: Fingerprint) -> None:
    """Indexes a newly stored report so later copies find it."""
    # plain executemany inserts: no ORM bookkeeping for rows nobody loads again in this session
    session.execute(insert(ReportFingerprint), [
        {"report_id": report_id, "signature": print_.signature.tobytes()}])
    session.execute(insert(ReportBand), [
        {"band_key": key, "report_id": report_id} for key in sorted(set(print_.bands))])
