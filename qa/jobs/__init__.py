"""Durable background jobs: chunks claimed from the database, extracted, and written with their state in one transaction.

    job = queue.create_job(db, document_id=..., model=..., ...)    a queued job, one pending row per chunk
    runner = Runner(db, registry, settings).start()                 runs queued/running jobs; resumes after a crash
    runner.notify()                                                 after creating or resuming a job
    queue.set_status(db, job_id, "pause" | "resume" | "cancel" | "retry")
    queue.progress(db, [job_id])                                    chunk counts, pairs, errors

`qa.jobs.queue` holds every database step (claims use SKIP LOCKED on PostgreSQL, one
atomic UPDATE on SQLite), `qa.jobs.extract` one chunk with retries, `qa.jobs.runner` the
threads, bounded per job and per model.
"""

from qa.jobs import queue
from qa.jobs.extract import Backoff, is_transient
from qa.jobs.queue import JobStateError
from qa.jobs.runner import Runner

__all__ = ["Backoff", "JobStateError", "Runner", "is_transient", "queue"]
