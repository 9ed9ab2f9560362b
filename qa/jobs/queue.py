"""A job's state in the database: create, claim chunks, finish a chunk with its pairs in one transaction, control, progress.

Every worker (the app's runner, `python -m qa worker`, `python -m qa extract`) goes
through these calls, so several processes can share one job: a chunk is claimed with
`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL and by one atomic UPDATE under
SQLite's write lock. A claim is a lease: its worker refreshes `claimed_at`, and a chunk
whose lease ran out (its worker died) can be claimed again. A chunk's pairs are written
in the transaction that marks it done, and only by the worker holding its claim, so a
chunk never has two sets of pairs.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, exists, func, insert, literal, or_, select, update

from qa.store import Chunk, Database, Document, Job, JobChunk, Pair
from qa.store.documents import ACTIVE_JOB_STATUSES as UNFINISHED
from qa.store.models import now

ACTIVE = ("queued", "running")
ERRORS_SHOWN = 10


class JobStateError(ValueError):
    """The job is not in a state that allows this (pause a finished job, say)."""


class LostClaim(RuntimeError):
    """The chunk is no longer this worker's (its lease ran out and another took it, or the job was reset)."""


@dataclass(frozen=True)
class Claimed:
    """A chunk a worker now holds: its state row, the chunk and where it lies in the document."""

    job_chunk_id: int
    chunk_id: int
    index: int
    start: int
    text: str


def worker_name() -> str:
    """host:pid:random, so a restarted process can tell its dead predecessor's claims from a live one's."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{os.urandom(3).hex()}"


def create_job(db: Database, *, document_id: int, model: str, prompt_name: str | None, prompt_text: str | None,
               max_tokens: int | None, temperature: float | None, concurrency: int, kind: str = "extract",
               options: dict | None = None) -> Job:
    """A queued job with one pending state row per chunk of the document."""
    with db.write() as s:
        job = Job(kind=kind, document_id=document_id, model=model, prompt_name=prompt_name, prompt_text=prompt_text,
                  max_tokens=max_tokens, temperature=temperature, concurrency=concurrency, status="queued",
                  options=options or {}, created_at=now(), updated_at=now())
        s.add(job)
        s.flush()
        s.execute(insert(JobChunk).from_select(
            ["job_id", "chunk_id", "index", "status", "attempts", "pairs"],
            select(literal(job.id), Chunk.id, Chunk.index, literal("pending"), literal(0), literal(0))
            .where(Chunk.document_id == document_id)))
    return job


def active_jobs(db: Database) -> list[Job]:
    with db.session() as s:
        # extraction jobs only: judge jobs (qa.review.judging) share the table and run on their own
        return list(s.scalars(select(Job).where(Job.status.in_(ACTIVE), Job.kind == "extract").order_by(Job.id)))


def get_job(db: Database, job_id: int) -> Job | None:
    with db.session() as s:
        return s.get(Job, job_id)


def list_jobs(db: Database, *, document_id: int | None = None, offset: int = 0, limit: int = 50
              ) -> tuple[list[tuple[Job, str | None]], int]:
    """(job, its document's name) newest first, and how many jobs there are (of that document, when given)."""
    where = [Job.document_id == document_id] if document_id else []
    with db.session() as s:
        rows = s.execute(_named().where(*where).order_by(Job.id.desc()).offset(offset).limit(limit)).all()
        total = s.scalar(select(func.count()).select_from(Job).where(*where))
    return [(job, name) for job, name in rows], total


def get_named_job(db: Database, job_id: int) -> tuple[Job, str | None] | None:
    """The job and its document's name (without reading the document's text), or None."""
    with db.session() as s:
        row = s.execute(_named().where(Job.id == job_id)).first()
    return (row[0], row[1]) if row else None


def _named():
    return select(Job, Document.name).outerjoin(Document, Document.id == Job.document_id)


def start(db: Database, job_id: int) -> None:
    """queued → running (the first claim of a run)."""
    with db.write() as s:
        s.execute(update(Job).where(Job.id == job_id, Job.status == "queued")
                  .values(status="running", started_at=func.coalesce(Job.started_at, now()), updated_at=now()))


def claim(db: Database, job_id: int, worker: str, n: int, lease_seconds: float) -> list[Claimed]:
    """Up to `n` pending chunks of a running job (or chunks whose lease ran out), in document order."""
    if n <= 0:
        return []
    at = now()
    stale = at - timedelta(seconds=lease_seconds)
    with db.write() as s:
        if s.scalar(select(Job.status).where(Job.id == job_id)) not in ACTIVE:
            return []
        pick = (select(JobChunk.id).where(JobChunk.job_id == job_id, or_(
            JobChunk.status == "pending", and_(JobChunk.status == "running", JobChunk.claimed_at < stale)))
            .order_by(JobChunk.index).limit(n))
        if db.dialect == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        ids = [row[0] for row in s.execute(update(JobChunk).where(JobChunk.id.in_(pick.scalar_subquery()))
                                           .values(status="running", claimed_by=worker, claimed_at=at)
                                           .returning(JobChunk.id))]
        if not ids:
            return []
        rows = s.execute(select(JobChunk.id, Chunk.id, Chunk.index, Chunk.start, Chunk.text)
                         .join(Chunk, Chunk.id == JobChunk.chunk_id).where(JobChunk.id.in_(ids))
                         .order_by(Chunk.index)).all()
    return [Claimed(*row) for row in rows]


def complete(db: Database, claimed: Claimed, worker: str, pairs: list[dict], attempts: int,
             note: str | None = None) -> None:
    """Mark the chunk done and write its pairs, in one transaction; LostClaim if it is no longer ours."""
    with db.write() as s:
        result = s.execute(update(JobChunk).where(JobChunk.id == claimed.job_chunk_id, JobChunk.claimed_by == worker,
                                                  JobChunk.status == "running")
                           .values(status="done", pairs=len(pairs), attempts=JobChunk.attempts + attempts,
                                   error=note, finished_at=now()))
        if result.rowcount != 1:
            raise LostClaim(f"chunk {claimed.index} is no longer held by {worker}")
        if pairs:
            s.execute(insert(Pair), pairs)


def fail(db: Database, claimed: Claimed, worker: str, error: str, attempts: int) -> None:
    with db.write() as s:
        s.execute(update(JobChunk).where(JobChunk.id == claimed.job_chunk_id, JobChunk.claimed_by == worker,
                                         JobChunk.status == "running")
                  .values(status="failed", error=error[:2000], attempts=JobChunk.attempts + attempts,
                          finished_at=now()))


def release(db: Database, job_chunk_ids: list[int], worker: str) -> None:
    """Give chunks back (paused, cancelled, shutting down): pending again, for whoever runs the job next."""
    if job_chunk_ids:
        with db.write() as s:
            s.execute(update(JobChunk).where(JobChunk.id.in_(job_chunk_ids), JobChunk.claimed_by == worker,
                                             JobChunk.status == "running")
                      .values(status="pending", claimed_by=None, claimed_at=None))


def heartbeat(db: Database, job_chunk_ids: list[int], worker: str) -> None:
    """Renew the lease on chunks still being worked on."""
    if job_chunk_ids:
        with db.write() as s:
            s.execute(update(JobChunk).where(JobChunk.id.in_(job_chunk_ids), JobChunk.claimed_by == worker)
                      .values(claimed_at=now()))


def release_dead(db: Database, me: str) -> int:
    """Chunks claimed on this host by processes that are gone (a crash, `kill -9`) go back to pending now,
    without waiting for their lease to run out. Returns how many."""
    host = me.split(":", 1)[0]
    with db.session() as s:
        holders = s.scalars(select(JobChunk.claimed_by).where(JobChunk.status == "running",
                                                              JobChunk.claimed_by.like(f"{host}:%")).distinct()).all()
    dead = [h for h in holders if h != me and not _alive(h, me)]
    if not dead:
        return 0
    with db.write() as s:
        return s.execute(update(JobChunk).where(JobChunk.status == "running", JobChunk.claimed_by.in_(dead))
                         .values(status="pending", claimed_by=None, claimed_at=None)).rowcount


def _alive(holder: str, me: str) -> bool:
    try:
        pid = int(holder.split(":")[1])
    except (IndexError, ValueError):
        return True
    if pid == os.getpid():
        return False  # our pid, another token: a process before us that had the same pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def finish_if_complete(db: Database, job_id: int) -> str | None:
    """A running job with no pending or running chunk ends: `done` when every chunk is done, else `failed`
    saying how many failed. Returns the new status, or None when the job goes on (or was not running)."""
    with db.write() as s:
        job = s.get(Job, job_id)
        if job is None or job.status not in ACTIVE:
            return None
        open_ = s.scalar(select(exists().where(JobChunk.job_id == job_id,
                                               JobChunk.status.in_(("pending", "running")))))
        if open_:
            return None
        counts = _counts(s, job_id)
        failed = counts.get("failed", 0)
        job.status = "failed" if failed else "done"
        job.error = f"{failed} of {sum(counts.values())} chunks failed" if failed else None
        job.finished_at = job.updated_at = now()
        return job.status


def fail_job(db: Database, job_id: int, message: str) -> None:
    """A queued or running job ends `failed` with this message (its model cannot be had, say)."""
    with db.write() as s:
        job = s.get(Job, job_id)
        if job is not None and job.status in ACTIVE:
            job.status, job.error = "failed", message
            job.finished_at = now()


def _counts(session, job_id: int) -> dict[str, int]:
    return dict(session.execute(select(JobChunk.status, func.count()).where(JobChunk.job_id == job_id)
                                .group_by(JobChunk.status)).all())


# -- control -------------------------------------------------------------------------------

def set_status(db: Database, job_id: int, action: str) -> Job:
    """pause | resume | cancel | retry; JobStateError when the job's state does not allow it."""
    with db.write() as s:
        job = s.get(Job, job_id, with_for_update=db.dialect == "postgresql")
        if job is None:
            raise KeyError(job_id)
        allowed = {"pause": ACTIVE, "resume": ("paused",), "cancel": UNFINISHED,
                   "retry": ("failed", "cancelled", "done", "queued", "running", "paused")}[action]
        if job.status not in allowed:
            raise JobStateError(f"job {job_id} is {job.status}: it cannot {action} "
                                f"(it can when {' or '.join(allowed)})")
        if action == "pause":
            job.status = "paused"
        elif action == "resume":
            job.status = "queued"
        elif action == "cancel":
            job.status, job.finished_at = "cancelled", now()
        else:
            reset = s.execute(update(JobChunk).where(JobChunk.job_id == job_id, JobChunk.status == "failed")
                              .values(status="pending", attempts=0, error=None, claimed_by=None, claimed_at=None,
                                      finished_at=None)).rowcount
            if not reset and job.status == "done":
                raise JobStateError(f"job {job_id} is done: no chunk failed, so there is nothing to retry")
            if job.status in ("failed", "cancelled", "done"):
                job.status, job.finished_at, job.error = "queued", None, None
        job.updated_at = now()
        return job


def delete_job(db: Database, job_id: int) -> bool:
    """Delete a finished job with its chunk states (its pairs stay, without the job link)."""
    with db.write() as s:
        job = s.get(Job, job_id)
        if job is None:
            return False
        if job.status in UNFINISHED:
            raise JobStateError(f"job {job_id} is {job.status}: cancel it first")
        s.execute(delete(JobChunk).where(JobChunk.job_id == job_id))
        s.delete(job)
        return True


# -- progress ------------------------------------------------------------------------------

def progress(db: Database, job_ids: list[int]) -> dict[int, dict]:
    """For each job: chunk counts by state, pairs so far, chunks that gave no pairs, the last errors."""
    if not job_ids:
        return {}
    out = {jid: {"total": 0, "pending": 0, "running": 0, "done": 0, "failed": 0, "empty": 0, "pairs": 0,
                 "errors": []} for jid in job_ids}
    with db.session() as s:
        for jid, status, n, pairs in s.execute(
                select(JobChunk.job_id, JobChunk.status, func.count(), func.coalesce(func.sum(JobChunk.pairs), 0))
                .where(JobChunk.job_id.in_(job_ids)).group_by(JobChunk.job_id, JobChunk.status)):
            out[jid][status] = n
            out[jid]["total"] += n
            out[jid]["pairs"] += int(pairs)
        for jid, n in s.execute(select(JobChunk.job_id, func.count()).where(
                JobChunk.job_id.in_(job_ids), JobChunk.status == "done", JobChunk.pairs == 0)
                .group_by(JobChunk.job_id)):
            out[jid]["empty"] = n
        for jid in job_ids:
            if out[jid]["failed"]:
                out[jid]["errors"] = [{"chunk": index, "error": error, "attempts": attempts} for index, error, attempts
                                      in s.execute(select(JobChunk.index, JobChunk.error, JobChunk.attempts)
                                                   .where(JobChunk.job_id == jid, JobChunk.status == "failed")
                                                   .order_by(JobChunk.index).limit(ERRORS_SHOWN))]
    return out


def timing(job: Job, done: int, remaining: int, at: datetime | None = None) -> tuple[float | None, float | None]:
    """(elapsed seconds, estimated seconds left) of a job."""
    if job.started_at is None:
        return None, None
    end = job.finished_at or at or now()
    elapsed = max(0.0, (end - job.started_at).total_seconds())
    if job.status not in ACTIVE or not done:
        return elapsed, (0.0 if job.status == "done" else None)
    return elapsed, elapsed / done * remaining
