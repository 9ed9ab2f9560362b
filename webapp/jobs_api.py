"""`/api/jobs`: start extraction over a document's chunks in the background, watch its progress, pause/resume/cancel/retry."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from pydantic import BaseModel, ConfigDict, Field

import prompts
from llms.errors import ConflictError, InvalidRequestError, NotFoundError
from llms.options import MaxTokens, Temperature
from qa.ingest import check_chunks_fit
from qa.jobs import JobStateError, queue
from qa.store import Job
from qa.store import documents as doc_store
from qa.store.models import MODEL_ID_MAX, NAME_MAX, TEXT_MAX
from webapp.openapi import endpoint
from webapp.state import state

bp = Blueprint("jobs_api", __name__)

ACTIONS = ("pause", "resume", "cancel", "retry")


class JobIn(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())
    document_id: int = Field(ge=1, le=2**63 - 1)
    model: str = Field(min_length=1, max_length=MODEL_ID_MAX)
    prompt: str | None = Field(None, max_length=TEXT_MAX,
                               description="The system prompt: its text, a preset's name or a saved prompt's name; "
                                           "none: the model's preset for the text's language.")
    max_tokens: MaxTokens | None = None
    temperature: Temperature | None = None
    concurrency: int | None = Field(None, ge=1, le=64, description="Chunks in flight at once.")


class JobList(BaseModel):
    model_config = ConfigDict(extra="forbid")
    offset: int = Field(0, ge=0, le=10_000_000)
    limit: int = Field(50, ge=1, le=200)
    document_id: int | None = Field(None, ge=1, le=2**63 - 1)


class ChunkCounts(BaseModel):
    total: int
    done: int
    failed: int
    running: int
    pending: int
    empty: int


class JobError(BaseModel):
    chunk: int
    error: str | None
    attempts: int


class JobOut(BaseModel):
    id: int
    kind: str
    status: str
    document_id: int | None
    document: str | None
    model: str
    prompt_name: str | None
    max_tokens: int | None
    temperature: float | None
    concurrency: int
    chunks: ChunkCounts
    pairs: int
    elapsed: float | None
    eta: float | None
    error: str | None
    errors: list[JobError]
    created_at: str


class JobsOut(BaseModel):
    data: list[JobOut]
    total: int


def job_json(job: Job, progress: dict, document: str | None) -> dict:
    remaining = progress["pending"] + progress["running"]
    elapsed, eta = queue.timing(job, progress["done"], remaining)
    return {
        "id": job.id, "kind": job.kind, "status": job.status, "document_id": job.document_id, "document": document,
        "model": job.model, "prompt_name": job.prompt_name, "max_tokens": job.max_tokens,
        "temperature": job.temperature, "concurrency": job.concurrency,
        "chunks": {k: progress[k] for k in ("total", "done", "failed", "running", "pending", "empty")},
        "pairs": progress["pairs"], "elapsed": elapsed, "eta": eta, "error": job.error, "errors": progress["errors"],
        "created_at": job.created_at.isoformat(),
    }


def _prompt(given: str | None) -> tuple[str | None, str | None]:
    """(name, text) of the prompt a job asks for: a preset's name, a saved prompt's name, or the text itself."""
    if not given or not given.strip():
        return None, None
    if given in prompts.preset_names():
        return given, prompts.load_preset(given)
    saved = state().prompts.find(given.strip()) if len(given) <= NAME_MAX else None
    if saved:
        return saved["name"], saved["text"]
    return None, given


def _notify() -> None:
    """Wake the app's runner (when jobs run in the app) so it sees the change now."""
    runner = current_app.extensions.get("qapair_runner")
    if runner:
        runner.notify()


@bp.post("/api/jobs")
@endpoint("Start extracting pairs from every chunk of a document, in the background", body=JobIn,
          responses={201: JobOut}, tags=("jobs",))
def create_job(body: JobIn):
    app_state = state()
    model = app_state.registry.get(body.model)
    chunks = doc_store.chunk_count(app_state.db, body.document_id)
    if chunks is None:
        raise NotFoundError(f"No document {body.document_id}.", param="document_id")
    if not chunks:
        raise InvalidRequestError(f"Document {body.document_id} has no chunks to read.", param="document_id")
    name, text = _prompt(body.prompt)
    max_tokens = body.max_tokens or app_state.config.max_tokens
    check_chunks_fit(app_state.db, body.document_id, model, prompt=text, max_tokens=max_tokens)
    job = queue.create_job(app_state.db, document_id=body.document_id, model=model.model_id, prompt_name=name,
                           prompt_text=text, max_tokens=max_tokens,
                           temperature=body.temperature if body.temperature is not None
                           else app_state.config.temperature,
                           concurrency=body.concurrency or app_state.config.job_concurrency)
    _notify()
    return jsonify(_one(job.id)), 201


def _one(job_id: int) -> dict:
    db = state().db
    found = queue.get_named_job(db, job_id)
    if found is None:
        raise NotFoundError(f"No job {job_id}.", param="id")
    job, document = found
    return job_json(job, queue.progress(db, [job_id])[job_id], document)


@bp.get("/api/jobs")
@endpoint("The jobs, newest first, with their progress", query=JobList, responses={200: JobsOut}, tags=("jobs",))
def list_jobs(query: JobList):
    db = state().db
    rows, total = queue.list_jobs(db, document_id=query.document_id, offset=query.offset, limit=query.limit)
    progress = queue.progress(db, [job.id for job, _ in rows])
    return jsonify({"data": [job_json(job, progress[job.id], name) for job, name in rows], "total": total})


@bp.get("/api/jobs/<int:job_id>")
@endpoint("One job's progress: chunks done / failed / running / total, pairs so far, elapsed, ETA, errors",
          responses={200: JobOut}, tags=("jobs",))
def get_job(job_id: int):
    return jsonify(_one(job_id))


@bp.post("/api/jobs/<int:job_id>/<any(pause, resume, cancel, retry):action>")
@endpoint("Pause, resume, cancel, or retry the chunks that failed", responses={200: JobOut}, tags=("jobs",))
def control(job_id: int, action: str):
    try:
        queue.set_status(state().db, job_id, action)
    except KeyError:
        raise NotFoundError(f"No job {job_id}.", param="id") from None
    except JobStateError as exc:
        raise ConflictError(str(exc), param="action") from None
    _notify()
    return jsonify(_one(job_id))


@bp.delete("/api/jobs/<int:job_id>")
@endpoint("Delete a finished job (its pairs stay)", responses={204: None}, tags=("jobs",))
def delete_job(job_id: int):
    try:
        deleted = queue.delete_job(state().db, job_id)
    except JobStateError as exc:
        raise ConflictError(str(exc), param="id") from None
    if not deleted:
        raise NotFoundError(f"No job {job_id}.", param="id")
    return "", 204
