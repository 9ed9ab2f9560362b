"""A small dataset in a fresh database (SQLite and PostgreSQL): one document, two chunks, pairs of every kind."""

from __future__ import annotations

import pytest

from qa.review import duplicates
from qa.store import Job, Pair
from qa.store.documents import ChunkSpan, add_document
from tests.db_fixtures import db, db_url  # noqa: F401  (the shared database fixtures)

TEXT = ("The Amazon River flows through Peru, Colombia and Brazil into the Atlantic Ocean. "
        "长江是中国最长的河流，全长约6300公里，最终注入东海。")
SPLIT = TEXT.index("长江")


def make_pairs(db, rows):
    with db.write() as s:
        objects = [Pair(**row) for row in rows]
        s.add_all(objects)
        s.flush()
        return [p.id for p in objects]


@pytest.fixture()
def dataset(db):  # noqa: F811
    duplicates.forget(db)
    yield seed(db)
    duplicates.forget(db)


def seed(db) -> dict:
    """Five pairs over two chunks of one document: grounded, unsupported, Chinese, a copy, a near-copy."""
    doc = add_document(db, name="rivers.txt", kind="txt", text=TEXT, chunk_size=200, chunk_overlap=0,
                       chunks=[ChunkSpan(0, 0, SPLIT, TEXT[:SPLIT]), ChunkSpan(1, SPLIT, len(TEXT), TEXT[SPLIT:])])
    with db.session() as s:
        chunks = [c.id for c in sorted(s.get(type(doc), doc.id).chunks, key=lambda c: c.index)]
    with db.write() as s:
        job = Job(kind="extract", document_id=doc.id, model="chatgpt", prompt_name="chatgpt_en")
        s.add(job)
        s.flush()
        job_id = job.id
    base = {"document_id": doc.id, "job_id": job_id, "model": "chatgpt", "reasons": []}
    ids = make_pairs(db, [
        {**base, "chunk_id": chunks[0], "question": "Where does the Amazon River flow?",
         "answer": "Through Peru, Colombia and Brazil.", "verdict": "grounded", "grounded": True, "support": 0.95,
         "evidence": "flows through Peru, Colombia and Brazil", "evidence_start": 17, "evidence_end": 56,
         "score": 5.0, "score_reason": "right"},
        {**base, "chunk_id": chunks[0], "question": "Where does the Amazon end?", "answer": "In the Pacific.",
         "verdict": "unsupported", "grounded": False, "support": 0.2, "evidence": "", "score": None,
         "score_reason": "unrated: no rating found"},
        {**base, "chunk_id": chunks[1], "question": "长江有多长？", "answer": "约6300公里。", "verdict": "grounded",
         "grounded": True, "support": 1.0, "evidence": "全长约6300公里", "score": 3.0, "score_reason": "ok"},
        {**base, "chunk_id": chunks[1], "question": "长江有多长?", "answer": "6300公里", "verdict": "grounded",
         "grounded": True, "support": 1.0, "evidence": "6300公里", "status": "accepted"},
        {**base, "chunk_id": chunks[0], "question": "Where does the Amazon river flow to?",
         "answer": "The Atlantic Ocean.", "verdict": "unverifiable", "grounded": False, "support": 0.0,
         "evidence": "", "status": "rejected"},
    ])
    return {"db": db, "document": doc.id, "job": job_id, "chunks": chunks, "ids": ids}
