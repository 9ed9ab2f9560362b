"""Documents and their chunks in the database: add, list, read, page through chunks, re-chunk, delete."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select

from qa.store.database import Database
from qa.store.models import Chunk, Document, Job, now

ACTIVE_JOB_STATUSES = ("queued", "running", "paused")


@dataclass(frozen=True)
class ChunkSpan:
    """What chunking gives: `text == document_text[start:end]` (qa.documents.Chunk has these fields)."""

    index: int
    start: int
    end: int
    text: str


class DocumentBusy(RuntimeError):
    """The document has a job that is not finished, so its chunks cannot change."""


def add_document(db: Database, *, name: str, kind: str, text: str, chunks: Sequence[ChunkSpan],
                 chunk_size: int, chunk_overlap: int, pages: int | None = None,
                 warnings: Sequence[str] = ()) -> Document:
    with db.write() as s:
        doc = Document(name=name, kind=kind, text=text, chars=len(text), pages=pages, warnings=list(warnings),
                       chunk_size=chunk_size, chunk_overlap=chunk_overlap, created_at=now())
        s.add(doc)
        s.flush()
        _insert_chunks(s, doc.id, chunks)
    return doc


def _insert_chunks(session, document_id: int, chunks: Sequence[ChunkSpan]) -> None:
    rows = [{"document_id": document_id, "index": c.index, "start": c.start, "end": c.end, "text": c.text}
            for c in chunks]
    for at in range(0, len(rows), 5000):
        session.execute(insert(Chunk), rows[at:at + 5000])


def list_documents(db: Database, *, offset: int = 0, limit: int = 100) -> tuple[list[tuple[Document, int]], int]:
    """(document, its chunk count) newest first, and how many documents there are."""
    counts = select(Chunk.document_id, func.count().label("n")).group_by(Chunk.document_id).subquery()
    with db.session() as s:
        rows = s.execute(select(Document, func.coalesce(counts.c.n, 0))
                         .outerjoin(counts, counts.c.document_id == Document.id)
                         .order_by(Document.id.desc()).offset(offset).limit(limit)).all()
        total = s.scalar(select(func.count()).select_from(Document))
    return [(doc, n) for doc, n in rows], total


def get_document(db: Database, document_id: int) -> tuple[Document, int] | None:
    """The document and its chunk count, or None."""
    with db.session() as s:
        doc = s.get(Document, document_id)
        if doc is None:
            return None
        return doc, s.scalar(select(func.count()).where(Chunk.document_id == document_id))


def chunk_count(db: Database, document_id: int) -> int | None:
    """How many chunks the document has, or None when there is no such document (its text is not read)."""
    with db.session() as s:
        if s.scalar(select(Document.id).where(Document.id == document_id)) is None:
            return None
        return s.scalar(select(func.count()).where(Chunk.document_id == document_id))


def document_chunks(db: Database, document_id: int, *, offset: int = 0, limit: int = 50) -> list[Chunk]:
    with db.session() as s:
        return list(s.scalars(select(Chunk).where(Chunk.document_id == document_id, Chunk.index >= offset)
                              .order_by(Chunk.index).limit(limit)))


def longest_chunks(db: Database, document_id: int, n: int) -> list[str]:
    """The texts of the document's `n` longest chunks (by characters), longest first."""
    with db.session() as s:
        return list(s.scalars(select(Chunk.text).where(Chunk.document_id == document_id)
                              .order_by(func.length(Chunk.text).desc()).limit(n)))


def rechunk(db: Database, document_id: int, chunks: Sequence[ChunkSpan], *, chunk_size: int,
            chunk_overlap: int) -> Document | None:
    """Replace the document's chunks (its finished jobs keep their pairs, which lose their chunk link)."""
    with db.write() as s:
        doc = s.get(Document, document_id)
        if doc is None:
            return None
        _refuse_if_busy(s, document_id)
        s.execute(delete(Chunk).where(Chunk.document_id == document_id))
        _insert_chunks(s, document_id, chunks)
        doc.chunk_size, doc.chunk_overlap = chunk_size, chunk_overlap
    return doc


def delete_document(db: Database, document_id: int) -> bool:
    """Delete the document with its chunks, jobs and pairs."""
    with db.write() as s:
        doc = s.get(Document, document_id)
        if doc is None:
            return False
        _refuse_if_busy(s, document_id)
        s.delete(doc)
    return True


def _refuse_if_busy(session, document_id: int) -> None:
    busy = session.scalar(select(func.count()).where(Job.document_id == document_id,
                                                     Job.status.in_(ACTIVE_JOB_STATUSES)))
    if busy:
        raise DocumentBusy(f"document {document_id} has {busy} unfinished job(s); cancel them first")
