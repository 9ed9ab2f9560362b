"""The whole config file: the model layer's `ModelsConfig` plus the settings of the app and `python -m qa`.

One JSON file serves every door (the web app, `python -m qa`, `python -m
llms.chatglm`). The model layer owns `models` and the generation defaults
(`llms/config.py`); everything else a user can set lives here, next to the floor
that uses it, and `Settings` rejects unknown fields anywhere in the file, naming
the file and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import ConfigDict, Field, SecretStr, ValidationInfo, field_validator

from llms.config import ModelsConfig, load_config
from qa.documents.budget import DEFAULT_CHUNK_OVERLAP, DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE, ChunkSettings
from qa.documents.limits import (
    DEFAULT_MAX_DOCUMENT_CHARS, DEFAULT_MAX_DOCUMENT_PAGES, DEFAULT_MAX_READ_SECONDS, DEFAULT_MAX_UNPACKED_BYTES,
    DEFAULT_MAX_UPLOAD_BYTES,
    DocumentLimits,
)
from qa.dedup import DEFAULT_THRESHOLD as DEFAULT_DUPLICATE_THRESHOLD, MIN_THRESHOLD as MIN_DUPLICATE_THRESHOLD
from qa.grounding import DEFAULT_THRESHOLD


class Settings(ModelsConfig):
    """The config file as the app and `python -m qa` read it."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    database_url: str | None = Field(
        None, max_length=2000,
        description="SQLAlchemy URL of the database (documents, jobs, pairs, saved prompts); $DATABASE_URL "
                    "overrides it. Unset: qapair.sqlite in the app's instance folder (beside --out for the CLI).")
    prompts_db: str | None = Field(None, description="Earlier versions' SQLite file of saved prompts: when "
                                                     "database_url is unset, the whole database lives in it.")
    max_question_chars: int = Field(20000, ge=1, le=1_000_000, description="Longest text /ask accepts.")
    grounding_threshold: float = Field(DEFAULT_THRESHOLD, ge=0.0, le=1.0,
                                       description="Support needed to call an answer grounded.")
    reask_on_empty: bool = Field(True, description="Re-ask once with a format reminder when a reply has no pairs.")
    verify_model: str | None = Field(
        None, max_length=200, description="Model id that judges the pairs the grounding rules are unsure of "
                                          "(an entailment check, qa/verify.py); unset: off.")
    api_token: SecretStr | None = Field(
        None, description="When set, /ask, /api and /v1 need 'Authorization: Bearer <token>'; "
                          "QAPAIR_API_TOKEN overrides it.")
    allowed_hosts: list[Annotated[str, Field(min_length=1, max_length=253)]] = Field(
        default_factory=list, max_length=64,
        description="Host names the app answers to besides localhost, 127.0.0.1 and [::1] (behind a proxy).")
    chunk_size: int = Field(DEFAULT_CHUNK_SIZE, ge=MIN_CHUNK_SIZE, le=MAX_CHUNK_SIZE,
                            description="Default largest chunk of a document, in characters (tokens for local models).")
    chunk_overlap: int = Field(DEFAULT_CHUNK_OVERLAP, ge=0, le=MAX_CHUNK_SIZE // 2,
                               description="Default tail of a chunk repeated at the start of the next.")
    max_upload_bytes: int = Field(DEFAULT_MAX_UPLOAD_BYTES, ge=1, description="Largest document file accepted.")
    max_document_chars: int = Field(DEFAULT_MAX_DOCUMENT_CHARS, ge=1, description="Most text one document may hold.")
    max_document_pages: int = Field(DEFAULT_MAX_DOCUMENT_PAGES, ge=1, description="Most pages a PDF may have.")
    max_unpacked_bytes: int = Field(DEFAULT_MAX_UNPACKED_BYTES, ge=1,
                                    description="Most bytes a DOCX's zip entries or a PDF's page contents unpack to.")
    duplicate_threshold: float = Field(DEFAULT_DUPLICATE_THRESHOLD, ge=MIN_DUPLICATE_THRESHOLD, le=1.0,
                                       description="Jaccard similarity of two questions' character shingles from "
                                                   "which the later one is flagged as a near-duplicate.")
    judge_model: str | None = Field(None, max_length=100,
                                    description="Model that rates pairs 1-5 when a judge job runs without naming "
                                                "one; none (the default) leaves quality scores off.")
    max_read_seconds: float = Field(DEFAULT_MAX_READ_SECONDS, gt=0, le=3600,
                                    description="Longest time reading one PDF may take.")

    jobs_in_app: bool = Field(True, description="Run jobs in the web app's process; false when `python -m qa worker` "
                                                "processes run them (PostgreSQL).")
    job_concurrency: int = Field(4, ge=1, le=64, description="Chunks of one job in flight at once, by default.")
    job_model_concurrency: int = Field(16, ge=1, le=256,
                                       description="Chunks in flight per remote model over all jobs (a local "
                                                   "model takes its max_batch_size).")
    job_max_attempts: int = Field(5, ge=1, le=20, description="Calls per chunk before it fails (transient errors).")
    job_retry_base_seconds: float = Field(0.5, ge=0, le=60,
                                          description="First retry delay; doubles each retry, with jitter.")
    job_lease_seconds: float = Field(300, ge=5, le=86400,
                                     description="A chunk whose worker stops renewing its claim this long is "
                                                 "taken by another.")

    @field_validator("chunk_overlap")
    @classmethod
    def _overlap_within_half(cls, overlap: int, info: ValidationInfo) -> int:
        size = info.data.get("chunk_size")
        if size is not None and overlap > size // 2:
            raise ValueError(f"must be at most half of chunk_size ({size})")
        return overlap

    def chunk_settings(self) -> ChunkSettings:
        """The default chunk size and overlap for a new document (validated together)."""
        return ChunkSettings(size=self.chunk_size, overlap=self.chunk_overlap)

    def document_limits(self) -> DocumentLimits:
        """The bounds `qa.documents.read_document` keeps to."""
        return DocumentLimits(max_bytes=self.max_upload_bytes, max_chars=self.max_document_chars,
                              max_pages=self.max_document_pages, max_unpacked_bytes=self.max_unpacked_bytes,
                              max_seconds=self.max_read_seconds)


def load_settings(path: str | Path | None) -> Settings:
    """Read and validate the whole config file; None gives the built-in defaults."""
    return load_config(path, Settings)
