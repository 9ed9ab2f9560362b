"""The job queue on SQLite and PostgreSQL: claims never overlap, a chunk's pairs are written once, leases, job ends."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from qa.jobs import JobStateError, queue
from qa.store import Database, JobChunk, Pair
from qa.store.documents import ChunkSpan, add_document
from qa.store.models import now

TEXT = "".join(f"Sentence {i:03d}. " for i in range(200))


def make_job(db: Database, chunks: int = 20):
    size = len(TEXT) // chunks
    spans = [ChunkSpan(i, i * size, (i + 1) * size, TEXT[i * size:(i + 1) * size]) for i in range(chunks)]
    doc = add_document(db, name="d.txt", kind="txt", text=TEXT, chunks=spans, chunk_size=size, chunk_overlap=0)
    return queue.create_job(db, document_id=doc.id, model="chatgpt", prompt_name=None, prompt_text="p",
                            max_tokens=16, temperature=0.0, concurrency=4)


def pair_row(job, claimed, n):
    return {"document_id": job.document_id, "chunk_id": claimed.chunk_id, "job_id": job.id, "question": f"Q{n}?",
            "answer": "A.", "model": job.model, "prompt_text": "p", "reasons": [], "verdict": "grounded",
            "grounded": True, "support": 1.0, "evidence": "", "status": "new", "origin": "job", "created_at": now()}


def test_workers_claim_disjoint_chunks_and_each_chunk_gets_one_set_of_pairs(db: Database):
    job = make_job(db, 40)
    queue.start(db, job.id)
    taken: dict[str, list] = {}

    def work(name: str):
        mine = taken.setdefault(name, [])
        while True:
            claimed = queue.claim(db, job.id, name, 3, lease_seconds=60)
            if not claimed:
                return
            for item in claimed:
                queue.complete(db, item, name, [pair_row(job, item, 1), pair_row(job, item, 2)], attempts=1)
                mine.append(item.index)

    threads = [threading.Thread(target=work, args=(f"host:{i}:w",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    indexes = sorted(i for got in taken.values() for i in got)
    assert indexes == list(range(40))
    assert queue.finish_if_complete(db, job.id) == "done"
    with db.session() as s:
        per_chunk = s.execute(select(Pair.chunk_id, func.count()).group_by(Pair.chunk_id)).all()
    assert len(per_chunk) == 40 and {n for _, n in per_chunk} == {2}
    progress = queue.progress(db, [job.id])[job.id]
    assert (progress["done"], progress["pairs"], progress["failed"]) == (40, 80, 0)


def test_a_lost_claim_writes_nothing(db: Database):
    job = make_job(db, 2)
    queue.start(db, job.id)
    first = queue.claim(db, job.id, "h:1:a", 1, lease_seconds=60)[0]
    with db.write() as s:  # its lease runs out
        s.execute(update(JobChunk).where(JobChunk.id == first.job_chunk_id)
                  .values(claimed_at=now() - timedelta(seconds=120)))
    again = queue.claim(db, job.id, "h:2:b", 2, lease_seconds=60)
    assert first.job_chunk_id in [c.job_chunk_id for c in again]
    with pytest.raises(queue.LostClaim):
        queue.complete(db, first, "h:1:a", [pair_row(job, first, 1)], attempts=1)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Pair)) == 0


def test_a_failed_chunk_fails_the_job_with_the_count_and_retry_reruns_it(db: Database):
    job = make_job(db, 3)
    queue.start(db, job.id)
    claimed = queue.claim(db, job.id, "h:1:a", 3, lease_seconds=60)
    queue.complete(db, claimed[0], "h:1:a", [], attempts=1)
    queue.complete(db, claimed[1], "h:1:a", [], attempts=1)
    assert queue.finish_if_complete(db, job.id) is None  # one still running
    queue.fail(db, claimed[2], "h:1:a", "upstream said no", attempts=5)
    assert queue.finish_if_complete(db, job.id) == "failed"
    stored = queue.get_job(db, job.id)
    assert stored.error == "1 of 3 chunks failed"
    assert queue.progress(db, [job.id])[job.id]["errors"] == [{"chunk": 2, "error": "upstream said no",
                                                                "attempts": 5}]
    with pytest.raises(JobStateError):
        queue.set_status(db, job.id, "pause")
    assert queue.set_status(db, job.id, "retry").status == "queued"
    again = queue.claim(db, job.id, "h:1:a", 3, lease_seconds=60)
    assert [c.index for c in again] == [2]


def test_pause_resume_cancel(db: Database):
    job = make_job(db, 3)
    queue.start(db, job.id)
    assert queue.set_status(db, job.id, "pause").status == "paused"
    assert queue.claim(db, job.id, "h:1:a", 3, lease_seconds=60) == []
    with pytest.raises(JobStateError):
        queue.set_status(db, job.id, "pause")
    assert queue.set_status(db, job.id, "resume").status == "queued"
    assert len(queue.claim(db, job.id, "h:1:a", 1, lease_seconds=60)) == 1
    assert queue.set_status(db, job.id, "cancel").status == "cancelled"
    assert queue.claim(db, job.id, "h:1:a", 3, lease_seconds=60) == []
    with pytest.raises(JobStateError):
        queue.set_status(db, job.id, "resume")


def test_chunks_of_a_dead_process_on_this_host_go_back(db: Database):
    job = make_job(db, 2)
    queue.start(db, job.id)
    me = queue.worker_name()
    host = me.split(":")[0]
    queue.claim(db, job.id, f"{host}:999999999:dead", 1, lease_seconds=60)   # no such pid
    queue.claim(db, job.id, "elsewhere:1:x", 1, lease_seconds=60)           # another host: its lease decides
    assert queue.release_dead(db, me) == 1
    progress = queue.progress(db, [job.id])[job.id]
    assert (progress["pending"], progress["running"]) == (1, 1)


def test_fail_job_ends_an_active_job_only(db: Database):
    job = make_job(db, 4)
    queue.fail_job(db, job.id, "model 'x': unknown")
    failed = queue.get_job(db, job.id)
    assert (failed.status, failed.error) == ("failed", "model 'x': unknown") and failed.finished_at is not None
    queue.fail_job(db, job.id, "again")  # a finished job keeps its end
    assert queue.get_job(db, job.id).error == "model 'x': unknown"
