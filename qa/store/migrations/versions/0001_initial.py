"""The first schema: saved prompts (kept if the table is already there), documents, chunks, jobs, job chunks, pairs.

Revision ID: 0001_initial
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Earlier versions kept only saved prompts, in a "prompts" table of this shape: a file of theirs upgrades in place.
    if not sa.inspect(op.get_bind()).has_table("prompts"):
        op.create_table(
            "prompts",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(100), nullable=False, unique=True),
            sa.Column("text", sa.Text, nullable=False),
            sa.Column("updated_at", TZ, nullable=False),
        )
    op.create_table(
        "store_meta",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("chars", sa.Integer, nullable=False),
        sa.Column("pages", sa.Integer),
        sa.Column("warnings", sa.JSON, nullable=False),
        sa.Column("chunk_size", sa.Integer, nullable=False),
        sa.Column("chunk_overlap", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "chunks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("document_id", sa.Integer, sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("index", sa.Integer, nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.UniqueConstraint("document_id", "index", name="uq_chunks_document_index"),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("document_id", sa.Integer, sa.ForeignKey("documents.id", ondelete="CASCADE")),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("prompt_name", sa.String(100)),
        sa.Column("prompt_text", sa.Text),
        sa.Column("max_tokens", sa.Integer),
        sa.Column("temperature", sa.Float),
        sa.Column("concurrency", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("started_at", TZ),
        sa.Column("finished_at", TZ),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_index("ix_jobs_document_id", "jobs", ["document_id"])
    op.create_index("ix_jobs_status", "jobs", ["status"])
    op.create_table(
        "job_chunks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("chunk_id", sa.Integer, sa.ForeignKey("chunks.id", ondelete="CASCADE"), nullable=False),
        sa.Column("index", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("pairs", sa.Integer, nullable=False),
        sa.Column("claimed_by", sa.String(100)),
        sa.Column("claimed_at", TZ),
        sa.Column("finished_at", TZ),
        sa.UniqueConstraint("job_id", "chunk_id", name="uq_job_chunks_job_chunk"),
    )
    op.create_index("ix_job_chunks_job_status", "job_chunks", ["job_id", "status", "index"])
    op.create_table(
        "pairs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("document_id", sa.Integer, sa.ForeignKey("documents.id", ondelete="CASCADE")),
        sa.Column("chunk_id", sa.Integer, sa.ForeignKey("chunks.id", ondelete="SET NULL")),
        sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id", ondelete="SET NULL")),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("prompt_text", sa.Text),
        sa.Column("max_tokens", sa.Integer),
        sa.Column("temperature", sa.Float),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("verdict", sa.String(20), nullable=False),
        sa.Column("grounded", sa.Boolean, nullable=False),
        sa.Column("support", sa.Float, nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("evidence_start", sa.Integer),
        sa.Column("evidence_end", sa.Integer),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("origin", sa.String(10), nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("score_reason", sa.Text),
        sa.Column("duplicate_of", sa.JSON),
    )
    for column in ("document_id", "chunk_id", "job_id", "status", "verdict"):
        op.create_index(f"ix_pairs_{column}", "pairs", [column])


def downgrade() -> None:
    for table in ("pairs", "job_chunks", "jobs", "chunks", "documents", "store_meta"):
        op.drop_table(table)  # saved prompts stay: they predate this revision
