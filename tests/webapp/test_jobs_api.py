"""`/api/jobs` against a real OpenAI-protocol server that fails on purpose, and the tiny local model."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from qa.store import Pair
from tests.conftest import make_config
from tests.helpers import wait_until
from webapp import create_app

TEXT = "\n\n".join(f"The river number {i} floods the valley of Lenna every spring, and farmers plant rice after it."
                   for i in range(1, 31))
REPLY = "Question 1: What floods the valley?\nAnswer 1: The river floods the valley of Lenna every spring."


@pytest.fixture()
def jobs_app(tmp_path, tiny_model_path, openai_stub):
    config = make_config(tiny_model_path, openai_stub.base_url, prompts_db=str(tmp_path / "p.sqlite"),
                         job_retry_base_seconds=0.01, reask_on_empty=False)
    app = create_app({"TESTING": True, "QAPAIR_CONFIG": config})
    yield app
    app.extensions["qapair_runner"].stop()


def start(client, **fields) -> dict:
    doc = client.post("/api/documents", json={"name": "rivers.txt", "text": TEXT, "chunk_size": 220}).json
    response = client.post("/api/jobs", json={"document_id": doc["id"], "model": "chatgpt", **fields})
    assert response.status_code == 201, response.json
    return response.json


def finished(client, job_id: int) -> dict:
    holder = {}

    def over():
        holder["job"] = client.get(f"/api/jobs/{job_id}").json
        return holder["job"]["status"] in ("done", "failed", "cancelled")

    wait_until(over, timeout=60)
    return holder["job"]


def test_a_flaky_upstream_still_gets_every_chunk_done(jobs_app, openai_stub):
    openai_stub.default_reply = REPLY
    openai_stub.fail_every = 3  # every third call answers 500
    client = jobs_app.test_client()
    job = start(client, concurrency=4, max_tokens=64)
    assert job["status"] in ("queued", "running") and job["chunks"]["total"] > 5
    job = finished(client, job["id"])
    total = job["chunks"]["total"]
    assert job["status"] == "done", job
    assert job["chunks"] == {"total": total, "done": total, "failed": 0, "running": 0, "pending": 0, "empty": 0}
    assert job["pairs"] == total and job["eta"] == 0.0 and job["elapsed"] >= 0
    assert len(openai_stub.requests) > total  # the 500s were retried
    assert not any(r.get("stream") for r in openai_stub.requests)  # jobs ask for whole replies
    with jobs_app.extensions["qapair"].db.session() as s:
        pairs = s.scalars(select(Pair)).all()
        assert s.scalar(select(func.count(func.distinct(Pair.chunk_id)))) == total
    pair = pairs[0]
    assert (pair.job_id, pair.model, pair.max_tokens, pair.origin, pair.status) == (job["id"], "chatgpt", 64, "job", "new")
    assert pair.prompt_text and pair.verdict == "grounded" and pair.grounded
    doc_text = TEXT
    assert doc_text[pair.evidence_start:pair.evidence_end] == pair.evidence
    listed = client.get("/api/jobs").json
    assert listed["total"] == 1 and listed["data"][0]["document"] == "rivers.txt"


def test_a_chunk_that_keeps_failing_fails_the_job_with_the_count_then_retry_finishes_it(jobs_app, openai_stub):
    openai_stub.error = (500, {"error": {"message": "down for maintenance", "type": "server_error"}})
    client = jobs_app.test_client()
    job = finished(client, start(client, concurrency=8)["id"])
    total = job["chunks"]["total"]
    assert job["status"] == "failed" and job["chunks"]["failed"] == total
    assert job["error"] == f"{total} of {total} chunks failed"
    assert "down for maintenance" in job["errors"][0]["error"] and job["errors"][0]["attempts"] == 5
    openai_stub.error = None
    openai_stub.default_reply = REPLY
    retried = client.post(f"/api/jobs/{job['id']}/retry")
    assert retried.status_code == 200 and retried.json["status"] in ("queued", "running")
    job = finished(client, job["id"])
    assert job["status"] == "done" and job["pairs"] == total


def test_a_bad_request_is_not_retried(jobs_app, openai_stub):
    openai_stub.error = (400, {"error": {"message": "no such thing", "type": "invalid_request_error"}})
    client = jobs_app.test_client()
    job = finished(client, start(client, concurrency=2)["id"])
    assert job["status"] == "failed" and job["errors"][0]["attempts"] == 1


def test_pause_resume_cancel_and_bad_requests(jobs_app, openai_stub):
    openai_stub.default_reply = REPLY
    openai_stub.delay = 0.05
    client = jobs_app.test_client()
    job = start(client, concurrency=1)
    paused = client.post(f"/api/jobs/{job['id']}/pause").json
    assert paused["status"] == "paused"
    wait_until(lambda: client.get(f"/api/jobs/{job['id']}").json["chunks"]["running"] == 0)
    done_while_paused = client.get(f"/api/jobs/{job['id']}").json["chunks"]["done"]
    assert done_while_paused < paused["chunks"]["total"]
    assert client.post(f"/api/jobs/{job['id']}/pause").status_code == 409
    assert client.post(f"/api/jobs/{job['id']}/resume").json["status"] in ("queued", "running")
    assert client.post(f"/api/jobs/{job['id']}/cancel").json["status"] == "cancelled"
    assert client.post(f"/api/jobs/{job['id']}/resume").status_code == 409
    assert client.post(f"/api/jobs/{job['id']}/explode").status_code == 404
    assert client.post("/api/jobs/999/pause").status_code == 404
    assert client.post("/api/jobs", json={"document_id": 999, "model": "chatgpt"}).status_code == 404
    assert client.post("/api/jobs", json={"document_id": job["document_id"], "model": "nope"}).status_code == 404
    assert client.post("/api/jobs", json={"document_id": job["document_id"], "model": "chatgpt",
                                          "concurrency": 1000}).status_code == 400
    assert client.delete(f"/api/documents/{job['document_id']}").status_code == 204  # the job is over


def test_a_local_model_job_decodes_its_chunks_together_and_counts_chunks_without_pairs(jobs_app, monkeypatch):
    from llms.engine import GenerationEngine

    rows_seen = []
    step = GenerationEngine._step_isolated

    def counting_step(engine, parts):
        rows_seen.append(len({id(request) for request, _ in parts}))
        return step(engine, parts)

    monkeypatch.setattr(GenerationEngine, "_step_isolated", counting_step)
    client = jobs_app.test_client()
    doc = client.post("/api/documents", json={"name": "short.txt", "text": TEXT[:600], "chunk_size": 150}).json
    job = client.post("/api/jobs", json={"document_id": doc["id"], "model": "chatglm", "max_tokens": 8,
                                         "concurrency": 8}).json
    job = finished(client, job["id"])
    assert job["status"] == "done" and job["chunks"]["done"] == doc["chunks"]
    assert max(rows_seen) >= 2  # the job's chunks went to the engine together and shared its steps
    # the tiny random model rarely writes a pair: a chunk that gave none is counted, never hidden
    with jobs_app.extensions["qapair"].db.session() as s:
        with_pairs = s.scalar(select(func.count(func.distinct(Pair.chunk_id))).where(Pair.job_id == job["id"]))
    assert job["chunks"]["empty"] == doc["chunks"] - with_pairs


def test_chunks_too_long_for_a_local_model_are_refused_until_rechunked_for_it(jobs_app):
    client = jobs_app.test_client()
    long_text = " ".join(f"word{i} river{i % 97} valley" for i in range(3000))  # one paragraph, ~50,000 chars
    doc = client.post("/api/documents", json={"name": "long.txt", "text": long_text, "chunk_size": 100000}).json
    assert doc["chunks"] == 1
    refused = client.post("/api/jobs", json={"document_id": doc["id"], "model": "chatglm", "max_tokens": 8})
    assert refused.status_code == 400 and refused.json["error"]["type"] == "context_length_exceeded"
    assert "Re-chunk" in refused.json["error"]["message"]
    rechunked = client.patch(f"/api/documents/{doc['id']}", json={"model": "chatglm"}).json
    assert rechunked["chunks"] > 1
    accepted = client.post("/api/jobs", json={"document_id": doc["id"], "model": "chatglm", "max_tokens": 8})
    assert accepted.status_code == 201
    client.post(f"/api/jobs/{accepted.json['id']}/cancel")
