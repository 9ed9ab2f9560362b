"""The job runner: claims chunks of the running jobs and extracts them on a thread pool, bounded per job and per model.

One runner per process: in the web app (a thread started with the first job, and at
start-up when jobs were left running), in `python -m qa worker`, in `python -m qa
extract`. A local model's chunks are handed to its engine together (up to its batch
size), so they decode as one batch. In-flight chunks' leases are renewed; chunks a
dead process held on this host go back to pending at start-up.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

from llms.base import RemoteLLMs
from llms.errors import LLMError
from llms.registry import Registry
from qa.jobs import queue
from qa.jobs.extract import Backoff, Halted, describe, extract_chunk
from qa.settings import Settings
from qa.store import Database, Job

log = logging.getLogger(__name__)

POOL_MAX = 128


def model_limit(model: RemoteLLMs, config: Settings) -> int:
    """Chunks of one model in flight at once, over all jobs: a local model's batch, else the config's bound."""
    settings = getattr(model, "settings", None)
    if hasattr(settings, "max_batch_size"):
        return settings.max_batch_size
    return min(getattr(settings, "max_concurrent", config.job_model_concurrency), config.job_model_concurrency)


class Runner:
    def __init__(self, db: Database, registry: Registry, config: Settings, *, worker: str | None = None,
                 poll: float = 0.5, stay: bool = False):
        self.db, self.registry, self.config = db, registry, config
        self.worker = worker or queue.worker_name()
        self.poll = poll
        self.stay = stay  # keep polling when idle (a worker process); else the thread ends and wakes on notify()
        self.backoff = Backoff(attempts=config.job_max_attempts, base=config.job_retry_base_seconds)
        self.lease = config.job_lease_seconds
        self._pool = ThreadPoolExecutor(max_workers=POOL_MAX, thread_name_prefix="qapair-job")
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._by_job: dict[int, set[int]] = defaultdict(set)      # job id -> job-chunk ids in flight
        self._by_model: Counter[str] = Counter()
        self._halts: dict[int, threading.Event] = {}              # job id -> set when paused/cancelled
        self._extractions: dict[int, object] = {}                 # job-chunk id -> its Extraction
        self._beat = 0.0

    # -- life ------------------------------------------------------------------------------
    def start(self) -> Runner:
        """Take back chunks dead processes held, and run the jobs that are queued or running."""
        released = queue.release_dead(self.db, self.worker)
        if released:
            log.info("gave back %d chunks held by processes that are gone", released)
        if self.stay or queue.active_jobs(self.db):
            self.notify()
        return self

    def notify(self) -> None:
        """Something changed (a job was created or resumed): look now, starting the thread if needed."""
        with self._lock:  # under the lock: a loop about to end for want of work sees the wake-up and stays
            if self._stop.is_set():
                return
            self._wake.set()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="qapair-runner", daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming, halt in-flight chunks (given back as pending) and wait for them."""
        self._stop.set()
        for halt in list(self._halts.values()):
            halt.set()
        for extraction in list(self._extractions.values()):
            extraction.cancel()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def busy(self) -> bool:
        with self._lock:
            return any(self._by_job.values())

    # -- the loop --------------------------------------------------------------------------
    def _loop(self) -> None:
        idle_since = None
        while not self._stop.is_set():
            try:
                active = self._tick()
            except Exception:
                log.exception("job runner tick failed; retrying")
                active = True
            if not active and not self.busy() and not self.stay:
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since > 2.0:
                    with self._lock:
                        if not any(self._by_job.values()) and not self._wake.is_set():
                            self._thread = None
                            return
            else:
                idle_since = None
            self._wake.wait(self.poll)
            self._wake.clear()

    def _tick(self) -> bool:
        jobs = queue.active_jobs(self.db)
        self._halt_stopped({job.id for job in jobs})
        for job in jobs:
            if job.status == "queued":
                queue.start(self.db, job.id)
            self._fill(job)
        self._heartbeat()
        return bool(jobs)

    def _halt_stopped(self, active: set[int]) -> None:
        """Jobs paused or cancelled elsewhere: stop their in-flight chunks here."""
        with self._lock:
            stopped = [jid for jid, ids in self._by_job.items() if ids and jid not in active]
        for jid in stopped:
            self._halts.setdefault(jid, threading.Event()).set()
            with self._lock:
                ids = list(self._by_job.get(jid, ()))
            for jcid in ids:
                extraction = self._extractions.get(jcid)
                if extraction is not None:
                    extraction.cancel()

    def _fill(self, job: Job) -> None:
        try:
            model = self.registry.get(job.model)
        except LLMError as exc:
            queue.fail_job(self.db, job.id, f"model {job.model!r}: {exc}")
            return
        with self._lock:
            room = min(job.concurrency - len(self._by_job[job.id]),
                       model_limit(model, self.config) - self._by_model[job.model])
        claimed = queue.claim(self.db, job.id, self.worker, room, self.lease) if room > 0 else []
        if not claimed:
            with self._lock:
                idle = not self._by_job[job.id]
            if idle:
                status = queue.finish_if_complete(self.db, job.id)
                if status:
                    log.info("job %d %s", job.id, status)
                    self._halts.pop(job.id, None)
            return
        halt = self._halts.get(job.id)
        if halt is None or halt.is_set():
            halt = self._halts[job.id] = threading.Event()
        with self._lock:
            for item in claimed:
                self._by_job[job.id].add(item.job_chunk_id)
                self._by_model[job.model] += 1
        for item in claimed:
            self._pool.submit(self._run, model, job, item, halt)

    def _run(self, model: RemoteLLMs, job: Job, item: queue.Claimed, halt: threading.Event) -> None:
        try:
            pairs, attempts, note = extract_chunk(
                model, job, item, document_id=job.document_id, grounding_threshold=self.config.grounding_threshold,
                reask_on_empty=self.config.reask_on_empty, backoff=self.backoff, halt=halt,
                on_start=lambda extraction: self._extractions.__setitem__(item.job_chunk_id, extraction))
            queue.complete(self.db, item, self.worker, pairs, attempts, note)
        except Halted:
            queue.release(self.db, [item.job_chunk_id], self.worker)
        except queue.LostClaim as exc:
            log.warning("%s; its result is dropped", exc)
        except Exception as exc:
            if not isinstance(exc, LLMError):
                log.exception("chunk %d of job %d failed", item.index, job.id)
            try:
                queue.fail(self.db, item, self.worker, describe(exc), getattr(exc, "attempts", 1))
            except Exception:
                log.exception("could not record the failure of chunk %d of job %d", item.index, job.id)
        finally:
            self._extractions.pop(item.job_chunk_id, None)
            with self._lock:
                self._by_job[job.id].discard(item.job_chunk_id)
                self._by_model[job.model] -= 1
            self._wake.set()

    def _heartbeat(self) -> None:
        if time.monotonic() - self._beat < self.lease / 4:
            return
        self._beat = time.monotonic()
        with self._lock:
            ids = [jcid for ids in self._by_job.values() for jcid in ids]
        queue.heartbeat(self.db, ids, self.worker)
