"""The database tables as SQLAlchemy 2 models: prompts, documents, chunks, jobs, per-chunk job state, pairs."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, MetaData, String, Text, UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAME_MAX = 100          # a saved prompt's name
TEXT_MAX = 20000        # a saved prompt's text
DOCUMENT_NAME_MAX = 255
MODEL_ID_MAX = 100

#: Job kinds: "extract" today; the column is a string so "judge" and "train" can come without a migration.
JOB_KINDS = ("extract", "judge", "train")
JOB_STATUSES = ("queued", "running", "paused", "done", "failed", "cancelled")
CHUNK_STATUSES = ("pending", "running", "done", "failed")
PAIR_STATUSES = ("new", "accepted", "rejected")
VERDICTS = ("grounded", "unsupported", "unverifiable")
ORIGINS = ("job", "ask")

# Named constraints, so migrations can refer to them on every database.
NAMING = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
          "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s", "pk": "pk_%(table_name)s"}


def now() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A moment in UTC, read back aware on every database (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc) if value is not None and dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: UTCDateTime()}


class Prompt(Base):
    """A system prompt a user saved from the page (the presets are files in prompts/)."""

    __tablename__ = "prompts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "text": self.text, "preset": False,
                "updated_at": self.updated_at.isoformat()}


class Document(Base):
    """An uploaded document: its text lives in its chunks (with their offsets), its settings here."""

    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(DOCUMENT_NAME_MAX))
    kind: Mapped[str] = mapped_column(String(10))              # txt | md | pdf | docx
    chars: Mapped[int]
    pages: Mapped[int | None]
    warnings: Mapped[list[Any]] = mapped_column(default=list)
    chunk_size: Mapped[int]
    chunk_overlap: Mapped[int]
    text: Mapped[str] = mapped_column(Text)                     # the whole text, for re-chunking
    created_at: Mapped[datetime] = mapped_column(default=now)

    chunks: Mapped[list[Chunk]] = relationship(back_populates="document", cascade="all, delete-orphan",
                                               passive_deletes=True, order_by="Chunk.index")


class Chunk(Base):
    """One piece of a document: `document.text[start:end] == text`."""

    __tablename__ = "chunks"
    __table_args__ = (UniqueConstraint("document_id", "index", name="uq_chunks_document_index"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    index: Mapped[int]
    start: Mapped[int]
    end: Mapped[int]
    text: Mapped[str] = mapped_column(Text)

    document: Mapped[Document] = relationship(back_populates="chunks")


class Job(Base):
    """A background run over a document's chunks; its chunks' state is in `job_chunks`."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="extract")
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    model: Mapped[str] = mapped_column(String(MODEL_ID_MAX))
    prompt_name: Mapped[str | None] = mapped_column(String(NAME_MAX))
    prompt_text: Mapped[str | None] = mapped_column(Text)
    max_tokens: Mapped[int | None]
    temperature: Mapped[float | None]
    concurrency: Mapped[int] = mapped_column(default=4)
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    error: Mapped[str | None] = mapped_column(Text)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=now)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)


class JobChunk(Base):
    """One chunk's state within one job: pending → running → done | failed, with its attempts and last error."""

    __tablename__ = "job_chunks"
    __table_args__ = (UniqueConstraint("job_id", "chunk_id", name="uq_job_chunks_job_chunk"),
                      Index("ix_job_chunks_job_status", "job_id", "status", "index"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    chunk_id: Mapped[int] = mapped_column(ForeignKey("chunks.id", ondelete="CASCADE"))
    index: Mapped[int]                                          # the chunk's index, for ordering without a join
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    pairs: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class Pair(Base):
    """A question-answer pair with its provenance (document, chunk, job, model, prompt, options) and grounding."""

    __tablename__ = "pairs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    chunk_id: Mapped[int | None] = mapped_column(ForeignKey("chunks.id", ondelete="SET NULL"), index=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"), index=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    model: Mapped[str] = mapped_column(String(MODEL_ID_MAX))
    prompt_text: Mapped[str | None] = mapped_column(Text)
    max_tokens: Mapped[int | None]
    temperature: Mapped[float | None]
    created_at: Mapped[datetime] = mapped_column(default=now)
    verdict: Mapped[str] = mapped_column(String(20), default="unverifiable", index=True)
    grounded: Mapped[bool] = mapped_column(Boolean, default=False)
    support: Mapped[float] = mapped_column(Float, default=0.0)
    evidence: Mapped[str] = mapped_column(Text, default="")
    evidence_start: Mapped[int | None]                          # offsets in the document's text
    evidence_end: Mapped[int | None]
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    origin: Mapped[str] = mapped_column(String(10), default="job")
    score: Mapped[float | None]
    score_reason: Mapped[str | None] = mapped_column(Text)
    duplicate_of: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)


class Meta(Base):
    """Key-value facts about this database (a one-time import done, say)."""

    __tablename__ = "store_meta"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
