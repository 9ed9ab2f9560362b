"""Reading pairs for review and export: a filtered, sorted page with its total, one pair, its source chunk, a stream.

Pages are server-side: `limit` is bounded (LIMIT_MAX) and either `offset` (over an
indexed sort) or `after` (keyset: the last id of the previous page, for the id sorts)
picks the page, so 100,000 pairs page as fast as 100 (bench/review_bench.py).
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qa.export import ExportPair
from qa.review.actions import in_batches
from qa.review.filters import SORTS, PairFilter
from qa.store.models import Chunk, Document, Job, Pair

LIMIT_MAX = 500
OFFSET_MAX = 10_000_000
STREAM_BATCH = 1000


def rating_state(pair: Pair) -> str:
    """rated, unrated (judged, no rating could be read) or unjudged."""
    if pair.score is not None:
        return "rated"
    return "unrated" if pair.score_reason is not None else "unjudged"


def pair_dict(pair: Pair, document_name: str | None = None) -> dict:
    """A pair as the API shows it."""
    return {
        "id": pair.id, "question": pair.question, "answer": pair.answer, "status": pair.status,
        "verdict": pair.verdict, "grounded": pair.grounded, "support": pair.support, "evidence": pair.evidence,
        "evidence_start": pair.evidence_start, "evidence_end": pair.evidence_end, "reasons": pair.reasons or [],
        "origin": pair.origin, "model": pair.model, "score": pair.score, "score_reason": pair.score_reason,
        "rating": rating_state(pair), "duplicate_of": duplicates_of(pair),
        "document": {"id": pair.document_id, "name": document_name} if pair.document_id is not None else None,
        "job": pair.job_id, "chunk": pair.chunk_id,
        "created_at": pair.created_at.isoformat() if pair.created_at else None,
    }


def duplicates_of(pair: Pair) -> list[dict]:
    value = pair.duplicate_of
    return value if isinstance(value, list) else []


def list_pairs(session: Session, where: PairFilter, *, sort: str = "id", limit: int = 50, offset: int = 0,
               after: int | None = None) -> tuple[list[dict], int]:
    """(one page of pairs, how many match the filter)."""
    limit = max(1, min(limit, LIMIT_MAX))
    condition = where.where()
    total = session.scalar(select(func.count()).select_from(Pair).where(condition))
    query = (select(Pair, Document.name).outerjoin(Document, Document.id == Pair.document_id)
             .where(condition).order_by(*SORTS[sort]))
    if after is not None and sort in ("id", "-id"):
        query = query.where(Pair.id > after if sort == "id" else Pair.id < after)
    else:
        query = query.offset(max(0, min(offset, OFFSET_MAX)))
    rows = session.execute(query.limit(limit)).all()
    return [pair_dict(pair, name) for pair, name in rows], total


def get_pair(session: Session, pair_id: int) -> dict | None:
    return get_pairs(session, [pair_id])[0]


def get_pairs(session: Session, ids: list[int]) -> list[dict | None]:
    """The pairs with these ids, in their order (None for one that is gone), read in one query per IN_BATCH ids."""
    found = {}
    for batch in in_batches(ids):
        for pair, name in session.execute(select(Pair, Document.name)
                                          .outerjoin(Document, Document.id == Pair.document_id)
                                          .where(Pair.id.in_(batch))):
            found[pair.id] = pair_dict(pair, name)
    return [found.get(pair_id) for pair_id in ids]


def pair_source(session: Session, pair_id: int) -> dict | None:
    """The pair's chunk with the evidence's place in it (offsets into the chunk's text), or None for no pair."""
    pair = session.get(Pair, pair_id)
    if pair is None:
        return None
    chunk = session.get(Chunk, pair.chunk_id) if pair.chunk_id is not None else None
    if chunk is None:
        return {"pair": pair_id, "chunk": None, "text": "", "evidence": None}
    start = end = None
    if pair.evidence_start is not None and pair.evidence_end is not None:
        start, end = pair.evidence_start - chunk.start, pair.evidence_end - chunk.start
    if start is None or not (0 <= start <= end <= len(chunk.text)) or chunk.text[start:end] != pair.evidence:
        found = chunk.text.find(pair.evidence) if pair.evidence else -1
        start, end = (found, found + len(pair.evidence)) if found >= 0 else (None, None)
    return {"pair": pair_id, "chunk": chunk.id, "text": chunk.text, "chunk_start": chunk.start,
            "chunk_end": chunk.end, "evidence": None if start is None else {"start": start, "end": end}}


def export_pairs(session: Session, where: PairFilter, sort: str = "id") -> Iterator[ExportPair]:
    """Every matching pair as an ExportPair (with chunk text and provenance), read in batches as it is consumed."""
    query = (select(Pair.question, Pair.answer, Pair.evidence, Pair.model, Pair.verdict, Pair.support, Pair.score,
                    Chunk.text, Chunk.start, Chunk.end, Document.name, Job.prompt_name)
             .outerjoin(Chunk, Chunk.id == Pair.chunk_id).outerjoin(Document, Document.id == Pair.document_id)
             .outerjoin(Job, Job.id == Pair.job_id).where(where.where()).order_by(*SORTS[sort])
             .execution_options(yield_per=STREAM_BATCH))
    for (question, answer, evidence, model, verdict, support, score, chunk, start, end, document,
         prompt) in session.execute(query):
        yield {"question": question, "answer": answer, "evidence": evidence or "", "chunk": chunk or "",
               "document": document or "", "chunk_start": start, "chunk_end": end, "model": model or "",
               "prompt": prompt or "", "grounded": None if verdict == "unverifiable" else verdict == "grounded",
               "support": support, "score": score}
