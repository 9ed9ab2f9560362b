"""Duplicate questions across the whole dataset, flagged as pairs arrive or change: never deleted, each pair lists its originals.

One `qa.dedup.DuplicateIndex` per database and process holds every pair's question.
`catch_up(db)` indexes the pairs added since it last looked (by any process: a job
worker, /ask saves) and writes `duplicate_of` = [{"id", "similarity", "exact"}, ...]
on each new pair that repeats an earlier one; it is cheap when nothing is new (one
max(id) query), so readers call it before listing. `reflag(db, ids)` re-checks
edited pairs: each is re-indexed with its new text and matched against all others,
and pairs that listed it drop it when they no longer match. Pairs deleted since they were
indexed (with their document) leave the index when a new pair would match them. The last id indexed is
kept in the store's meta table, so a restarted process indexes the old pairs again
without rewriting their flags.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy import Text, cast, func, null, select, update

from qa.dedup import DEFAULT_THRESHOLD, DuplicateIndex, Match, jaccard
from qa.store.database import Database
from qa.store.models import Meta, Pair

WATERMARK_KEY = "dedup_watermark"
MATCHES_MAX = 20  # originals listed per pair
BATCH = 5000


@dataclass
class _Flags:
    index: DuplicateIndex
    watermark: int = 0  # the largest pair id indexed
    lock: threading.Lock = field(default_factory=threading.Lock)


_indexes: dict[tuple[str, float], _Flags] = {}
_indexes_lock = threading.Lock()


def _flags(db: Database, threshold: float) -> _Flags:
    key = (db.url, threshold)
    with _indexes_lock:
        if key not in _indexes:
            _indexes[key] = _Flags(DuplicateIndex(threshold))
        return _indexes[key]


def forget(db: Database) -> None:
    """Drop this process's indexes of `db` (tests; a database replaced under the app)."""
    with _indexes_lock:
        for key in [k for k in _indexes if k[0] == db.url]:
            del _indexes[key]


def _matches(found: list[Match]) -> list[dict]:
    return [{"id": m.id, "similarity": round(m.similarity, 3), "exact": m.exact} for m in found[:MATCHES_MAX]]


def catch_up(db: Database, threshold: float = DEFAULT_THRESHOLD) -> int:
    """Index every pair added since the last call and flag the new ones that duplicate earlier pairs.
    Returns how many pairs were newly flagged."""
    flags = _flags(db, threshold)
    with db.session() as session:
        newest = session.scalar(select(func.max(Pair.id))) or 0
    if newest <= flags.watermark:
        return 0
    flagged = 0
    with flags.lock:
        if not flags.watermark:  # a fresh process: index what earlier runs already flagged, writing nothing
            with db.session() as session:
                saved = session.get(Meta, WATERMARK_KEY)
                flags.watermark = _read_old(session, flags.index, int(saved.value) if saved else 0)
        while True:
            with db.session() as session:
                rows = session.execute(select(Pair.id, Pair.question).where(Pair.id > flags.watermark)
                                       .order_by(Pair.id).limit(BATCH)).all()
            if not rows:
                break
            found = _existing(db, flags.index, flags.index.add(rows).by_id())
            with db.write() as session:
                if found:
                    session.execute(update(Pair), [{"id": key, "duplicate_of": _matches(m)}
                                                   for key, m in found.items()])  # by primary key
                flags.watermark = rows[-1][0]
                session.merge(Meta(key=WATERMARK_KEY, value=str(flags.watermark)))
            flagged += len(found)
    return flagged


def _existing(db: Database, index: DuplicateIndex, found: dict[int, list[Match]]) -> dict[int, list[Match]]:
    """The matches whose earlier pair still exists; pairs deleted since (with their document) leave the index."""
    wanted = sorted({m.id for matches in found.values() for m in matches})
    present: set[int] = set()
    with db.session() as session:
        for at in range(0, len(wanted), 900):
            present.update(session.scalars(select(Pair.id).where(Pair.id.in_(wanted[at:at + 900]))))
    gone = set(wanted) - present
    if not gone:
        return found
    index.remove(gone)
    kept = {key: [m for m in matches if m.id not in gone] for key, matches in found.items()}
    return {key: matches for key, matches in kept.items() if matches}


def _read_old(session, index: DuplicateIndex, upto: int) -> int:
    last = 0
    while last < upto:
        rows = session.execute(select(Pair.id, Pair.question).where(Pair.id > last, Pair.id <= upto)
                               .order_by(Pair.id).limit(BATCH)).all()
        if not rows:
            break
        index.add(rows)
        last = rows[-1][0]
    return upto


def reflag(db: Database, ids: list[int], threshold: float = DEFAULT_THRESHOLD) -> None:
    """Re-check the duplicates of pairs whose question changed (after an edit or an undo)."""
    catch_up(db, threshold)
    flags = _flags(db, threshold)
    with flags.lock, db.write() as session:
        for pair_id in ids:
            question = session.scalar(select(Pair.question).where(Pair.id == pair_id))
            if question is None:
                continue
            flags.index.remove([pair_id])
            # pairs that listed this one keep it only while their question still matches the new text
            listing = session.execute(select(Pair.id, Pair.question, Pair.duplicate_of).where(
                cast(Pair.duplicate_of, Text).contains(f'"id": {pair_id},'))).all()
            listers = set()
            for other, other_question, dups in listing:
                kept = []
                for entry in dups or []:
                    if entry.get("id") == pair_id:
                        similarity = jaccard(other_question, question)
                        if similarity < threshold:
                            continue
                        entry = {"id": pair_id, "similarity": round(similarity, 3), "exact": entry.get("exact", False)
                                 and similarity == 1.0}
                        listers.add(other)
                    kept.append(entry)
                _set(session, other, kept)
            own = [m for m in flags.index.query(question) if m.id not in listers and m.id != pair_id]
            flags.index.add([(pair_id, question)])
            _set(session, pair_id, _matches(own))


def _set(session, pair_id: int, matches: list[dict]) -> None:
    session.execute(update(Pair).where(Pair.id == pair_id).values(duplicate_of=matches if matches else null())
                    .execution_options(synchronize_session=False))
