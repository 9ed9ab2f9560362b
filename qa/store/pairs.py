"""Stored pairs read back for export: the `qa.export.ExportPair` shape, streamed in id order."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from qa.store.database import Database
from qa.store.models import Chunk, Document, Job, Pair

BATCH = 2000


def export_pairs(db: Database, *, job_ids: list[int] | None = None) -> Iterator[dict]:
    """Each pair (of these jobs, or all) with its chunk, document, model, prompt and grounding; memory stays flat."""
    query = (select(Pair, Chunk.text, Chunk.start, Chunk.end, Document.name, Job.prompt_name)
             .outerjoin(Chunk, Chunk.id == Pair.chunk_id).outerjoin(Document, Document.id == Pair.document_id)
             .outerjoin(Job, Job.id == Pair.job_id).order_by(Pair.id))
    if job_ids is not None:
        query = query.where(Pair.job_id.in_(job_ids))
    with db.session() as s:
        for pair, text, start, end, document, prompt_name in s.execute(query.execution_options(yield_per=BATCH)):
            yield {"question": pair.question, "answer": pair.answer, "evidence": pair.evidence or "",
                   "chunk": text or "", "document": document or "", "chunk_start": start, "chunk_end": end,
                   "model": pair.model, "prompt": prompt_name or "", "grounded": pair.grounded,
                   "support": pair.support, "score": pair.score}
