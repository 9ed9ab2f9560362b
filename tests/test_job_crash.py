"""A real server process killed with SIGKILL in the middle of a job: the next start resumes it by itself, and it ends
`done` with exactly one set of pairs per chunk."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.helpers import wait_until

ROOT = Path(__file__).resolve().parent.parent
REPLY = "Question 1: What floods the valley?\nAnswer 1: The river floods the valley every spring."
TEXT = "\n\n".join(f"River {i} floods the valley every spring, and the farmers of the plain plant rice after it."
                   for i in range(1, 41))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(tmp_path: Path, port: int) -> subprocess.Popen:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "QAPAIR_CONFIG": str(tmp_path / "cfg.json"),
           "QAPAIR_INSTANCE": str(tmp_path / "instance")}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "run", "--port", str(port),
                             "--no-reload"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def call(port: int, method: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"} if body is not None else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def up(port: int) -> bool:
    try:
        call(port, "GET", "/api/models")
        return True
    except OSError:
        return False


def test_a_job_resumes_after_the_server_is_killed(tmp_path, openai_stub):
    openai_stub.default_reply = REPLY
    openai_stub.delay = 0.1
    (tmp_path / "cfg.json").write_text(json.dumps({
        "models": {"chatgpt": {"backend": "openai", "base_url": openai_stub.base_url, "api_key": "k",
                               "model": "gpt-test", "max_retries": 0, "timeout": 10}},
        "max_tokens": 64, "reask_on_empty": False, "job_retry_base_seconds": 0.01,
        "database_url": f"sqlite:///{tmp_path / 'jobs.sqlite'}"}))
    port = free_port()
    server = serve(tmp_path, port)
    try:
        wait_until(lambda: up(port), timeout=60)
        doc = call(port, "POST", "/api/documents", {"name": "rivers.txt", "text": TEXT, "chunk_size": 100})
        job = call(port, "POST", "/api/jobs", {"document_id": doc["id"], "model": "chatgpt", "concurrency": 4})
        wait_until(lambda: call(port, "GET", f"/api/jobs/{job['id']}")["chunks"]["done"] >= 5, timeout=60)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
    engine = create_engine(f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    with engine.connect() as conn:
        status = conn.execute(text("SELECT status FROM jobs")).scalar()
        left = conn.execute(text("SELECT count(*) FROM job_chunks WHERE status != 'done'")).scalar()
    assert status == "running" and left > 0  # killed mid-job, with chunks in flight or waiting

    port = free_port()
    server = serve(tmp_path, port)  # nobody touches the job: the start-up resumes it
    try:
        wait_until(lambda: up(port), timeout=60)
        wait_until(lambda: call(port, "GET", f"/api/jobs/{job['id']}")["status"] != "running", timeout=120)
        final = call(port, "GET", f"/api/jobs/{job['id']}")
    finally:
        server.terminate()
        server.wait(timeout=10)
    total = final["chunks"]["total"]
    assert final["status"] == "done" and final["chunks"]["done"] == total and final["pairs"] == total
    with engine.connect() as conn:
        per_chunk = conn.execute(text("SELECT chunk_id, count(*) FROM pairs GROUP BY chunk_id")).all()
    engine.dispose()
    assert len(per_chunk) == total and {n for _, n in per_chunk} == {1}  # one set of pairs per chunk, none twice
