"""The storage suite, on SQLite and PostgreSQL: migrations, prompts, documents and chunks, jobs and pairs, cascades."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, inspect, select, text

from qa.store import Chunk, Database, DuplicateName, Job, JobChunk, Pair, PromptStore, import_legacy_prompts
from qa.store import open_database, resolve_url
from qa.store.documents import (
    ChunkSpan, DocumentBusy, add_document, chunk_count, delete_document, document_chunks, get_document, list_documents,
    rechunk,
)

TEXT = "First paragraph here.\n\nSecond one, a little longer.\n\nThird."


def spans(text: str, size: int) -> list[ChunkSpan]:
    return [ChunkSpan(i, at, min(at + size, len(text)), text[at:at + size])
            for i, at in enumerate(range(0, len(text), size))]


def head_revision() -> str:
    """The newest named migration in the package's scripts (each issue adds its own after the last)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from qa.store.database import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    (head,) = ScriptDirectory.from_config(config).get_heads()
    return head


def test_migrations_make_every_table_and_run_twice(db: Database):
    tables = set(inspect(db.engine).get_table_names())
    assert {"prompts", "documents", "chunks", "jobs", "job_chunks", "pairs", "alembic_version"} <= tables
    pair_indexes = {tuple(ix["column_names"]) for ix in inspect(db.engine).get_indexes("pairs")}
    assert {("document_id",), ("job_id",), ("status",), ("verdict",)} <= pair_indexes
    db.migrate()  # again: nothing to do, nothing breaks
    with db.session() as s:
        assert s.scalar(text("SELECT version_num FROM alembic_version")) == head_revision()


def test_prompts(db: Database):
    store = PromptStore(db)
    saved = store.add("mine", "Ask three questions.")
    assert store.get(saved["id"])["text"] == "Ask three questions."
    with pytest.raises(DuplicateName):
        store.add("mine", "again")
    other = store.add("other", "x")
    with pytest.raises(DuplicateName):
        store.update(other["id"], name="mine")
    assert store.update(other["id"], text="y")["text"] == "y"
    assert [p["name"] for p in store.list()] == ["mine", "other"]
    assert store.delete(saved["id"]) and not store.delete(saved["id"])
    assert store.update(saved["id"], text="z") is None


def test_document_chunks_paging_rechunk_and_delete(db: Database):
    doc = add_document(db, name="a.txt", kind="txt", text=TEXT, chunks=spans(TEXT, 10), chunk_size=10,
                       chunk_overlap=0, warnings=["a warning"])
    found, count = get_document(db, doc.id)
    assert (found.name, found.chars, found.warnings, count) == ("a.txt", len(TEXT), ["a warning"], len(spans(TEXT, 10)))
    page = document_chunks(db, doc.id, offset=2, limit=3)
    assert [c.index for c in page] == [2, 3, 4]
    assert all(TEXT[c.start:c.end] == c.text for c in page)
    rows, total = list_documents(db)
    assert total == 1 and rows[0][1] == count
    rechunk(db, doc.id, spans(TEXT, 30), chunk_size=30, chunk_overlap=0)
    assert get_document(db, doc.id)[1] == len(spans(TEXT, 30)) == chunk_count(db, doc.id)
    assert get_document(db, doc.id)[0].chunk_size == 30
    assert delete_document(db, doc.id) and get_document(db, doc.id) is None and chunk_count(db, doc.id) is None
    assert not delete_document(db, doc.id)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Chunk)) == 0


def _job_with_pair(db: Database, status: str = "done") -> tuple[int, int]:
    doc = add_document(db, name="b.md", kind="md", text=TEXT, chunks=spans(TEXT, 20), chunk_size=20,
                       chunk_overlap=0)
    with db.write() as s:
        chunk = s.scalars(select(Chunk).where(Chunk.document_id == doc.id).order_by(Chunk.index)).first()
        job = Job(document_id=doc.id, model="chatgpt", prompt_text="p", status=status, options={"top_p": 0.9})
        s.add(job)
        s.flush()
        s.add(JobChunk(job_id=job.id, chunk_id=chunk.id, index=chunk.index, status="done", pairs=1))
        s.add(Pair(document_id=doc.id, chunk_id=chunk.id, job_id=job.id, question="Q?", answer="A.",
                   model="chatgpt", prompt_text="p", max_tokens=16, temperature=0.5, verdict="grounded",
                   grounded=True, support=1.0, evidence="First", evidence_start=0, evidence_end=5,
                   reasons=["exact"], duplicate_of=None))
    return doc.id, job.id


def test_pairs_keep_provenance_and_defaults(db: Database):
    doc_id, job_id = _job_with_pair(db)
    with db.session() as s:
        pair = s.scalars(select(Pair)).one()
        job = s.get(Job, job_id)
    assert (pair.status, pair.origin, pair.score, pair.duplicate_of) == ("new", "job", None, None)
    assert (pair.reasons, pair.evidence_start, pair.temperature) == (["exact"], 0, 0.5)
    assert pair.created_at.tzinfo is not None
    assert (job.kind, job.options, job.concurrency) == ("extract", {"top_p": 0.9}, 4)


def test_a_document_with_an_unfinished_job_cannot_change(db: Database):
    doc_id, job_id = _job_with_pair(db, status="running")
    with pytest.raises(DocumentBusy):
        delete_document(db, doc_id)
    with pytest.raises(DocumentBusy):
        rechunk(db, doc_id, spans(TEXT, 30), chunk_size=30, chunk_overlap=0)
    with db.write() as s:
        s.get(Job, job_id).status = "cancelled"
    assert delete_document(db, doc_id)
    with db.session() as s:  # the database's cascades took the job, its chunk states and its pairs
        assert [s.scalar(select(func.count()).select_from(t)) for t in (Job, JobChunk, Pair)] == [0, 0, 0]


def test_a_failed_write_rolls_back(db: Database):
    with pytest.raises(ZeroDivisionError), db.write() as s:
        s.add(Job(model="m", status="queued"))
        s.flush()
        1 / 0
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Job)) == 0


# -- SQLite only -------------------------------------------------------------------------

def test_sqlite_file_is_in_wal_mode(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'x.sqlite'}")
    with db.session() as s:
        assert s.scalar(text("PRAGMA journal_mode")) == "wal"
        assert s.scalar(text("PRAGMA foreign_keys")) == 1
    db.close()


def test_an_earlier_prompts_file_upgrades_in_place_and_is_imported_once(tmp_path):
    legacy = tmp_path / "prompts.sqlite"
    conn = sqlite3.connect(legacy)
    conn.execute("CREATE TABLE prompts (id INTEGER PRIMARY KEY, name VARCHAR(100) UNIQUE, text TEXT, "
                 "updated_at DATETIME)")
    conn.execute("INSERT INTO prompts (name, text, updated_at) VALUES ('kept', 'Keep me.', '2026-01-01 00:00:00')")
    conn.commit()
    conn.close()
    in_place = open_database(resolve_url(None, str(legacy)))  # prompts_db names the old file: it becomes the database
    assert [p["name"] for p in PromptStore(in_place).list()] == ["kept"]
    in_place.close()

    fresh = open_database(f"sqlite:///{tmp_path / 'qapair.sqlite'}")  # the new default file imports it once
    assert import_legacy_prompts(fresh, legacy) == 1
    store = PromptStore(fresh)
    assert store.find("kept")["text"] == "Keep me."
    store.delete(store.find("kept")["id"])
    assert import_legacy_prompts(fresh, legacy) == 0 and store.list() == []  # a deleted one stays deleted
    fresh.close()


def test_database_url_env_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///elsewhere.sqlite")
    assert resolve_url("sqlite:///configured.sqlite", None, tmp_path) == "sqlite:///elsewhere.sqlite"
    monkeypatch.delenv("DATABASE_URL")
    assert resolve_url("sqlite:///configured.sqlite", "p.sqlite", tmp_path) == "sqlite:///configured.sqlite"
    assert resolve_url(None, None, tmp_path) == f"sqlite:///{(tmp_path / 'qapair.sqlite').resolve()}"
