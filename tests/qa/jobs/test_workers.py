"""Two `python -m qa worker` processes share one job on PostgreSQL: every chunk done once, by one of them."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from qa.jobs import queue
from qa.store import JobChunk, Pair, open_database
from qa.store.documents import ChunkSpan, add_document
from tests.db_fixtures import postgres_schema
from tests.helpers import wait_until

ROOT = Path(__file__).resolve().parents[3]
REPLY = "Question 1: What floods the valley?\nAnswer 1: The river floods the valley every spring."


@pytest.fixture()
def pg_url():
    with postgres_schema("w") as url:
        yield url


def test_two_workers_share_a_job(tmp_path, pg_url, openai_stub):
    openai_stub.default_reply = REPLY
    openai_stub.delay = 0.05
    openai_stub.fail_every = 5
    db = open_database(pg_url)
    texts = [f"River {i} floods the valley every spring." for i in range(40)]
    spans, at = [], 0
    for i, piece in enumerate(texts):
        spans.append(ChunkSpan(i, at, at + len(piece), piece))
        at += len(piece) + 2
    doc = add_document(db, name="r.txt", kind="txt", text="\n\n".join(texts), chunks=spans, chunk_size=60,
                       chunk_overlap=0)
    job = queue.create_job(db, document_id=doc.id, model="chatgpt", prompt_name=None, prompt_text=None,
                           max_tokens=64, temperature=0.0, concurrency=3)
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({
        "models": {"chatgpt": {"backend": "openai", "base_url": openai_stub.base_url, "api_key": "k",
                               "model": "gpt-test", "max_retries": 0}},
        "database_url": pg_url, "reask_on_empty": False, "job_retry_base_seconds": 0.01}))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    workers = [subprocess.Popen([sys.executable, "-m", "qa", "worker", "--config", str(cfg), "--poll", "0.2"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    try:
        wait_until(lambda: queue.get_job(db, job.id).status == "done", timeout=120)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        logs = [worker.communicate(timeout=30)[1] for worker in workers]
    assert all(worker.returncode == 0 for worker in workers), logs
    with db.session() as s:
        per_chunk = s.execute(select(Pair.chunk_id, func.count()).group_by(Pair.chunk_id)).all()
        holders = set(s.scalars(select(JobChunk.claimed_by).where(JobChunk.job_id == job.id)))
    db.close()
    assert len(per_chunk) == 40 and {n for _, n in per_chunk} == {1}
    assert len(holders) == 2  # both workers took chunks
