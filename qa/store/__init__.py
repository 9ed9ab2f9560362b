"""Storage: SQLAlchemy models, the session factory for SQLite (default) or PostgreSQL, Alembic migrations at open.

    db = open_database(resolve_url(settings.database_url, settings.prompts_db, instance_folder))
    with db.session() as s: ...            reading
    with db.write() as s: ...              one transaction, committed at the end of the block
    PromptStore(db)                        saved prompts (list/get/find/add/update/delete)
    documents.add_document(db, ...) ...    documents and their chunks (qa.store.documents)

Models (qa.store.models): Prompt, Document, Chunk, Job, JobChunk, Pair, Meta.
Migrations live in qa/store/migrations (Alembic, named revisions "0001_initial", ...).
"""

from qa.store.database import Database, open_database, resolve_url
from qa.store.models import (
    NAME_MAX, TEXT_MAX, Base, Chunk, Document, Job, JobChunk, Meta, Pair, Prompt,
)
from qa.store.prompts import DuplicateName, PromptStore, import_legacy_prompts

__all__ = ["NAME_MAX", "TEXT_MAX", "Base", "Chunk", "Database", "Document", "DuplicateName", "Job", "JobChunk",
           "Meta", "Pair", "Prompt", "PromptStore", "import_legacy_prompts", "open_database", "resolve_url"]
