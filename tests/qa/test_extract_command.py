"""`python -m qa extract` as a user runs it: real files, a flaky real OpenAI-protocol server, resume on rerun."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.qa.documents.files import flowing_pdf, make_docx

ROOT = Path(__file__).resolve().parents[2]
REPLY = "Question 1: What floods the valley?\nAnswer 1: The river floods the valley every spring."
PARAGRAPHS = [f"River {i} floods the valley every spring, and the farmers of the plain plant rice after it."
              for i in range(1, 16)]


def config_file(tmp_path: Path, base_url: str) -> Path:
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps({
        "models": {"chatgpt": {"backend": "openai", "base_url": base_url, "api_key": "k", "model": "gpt-test",
                               "max_retries": 0, "timeout": 10}},
        "max_tokens": 64, "job_retry_base_seconds": 0.01, "reask_on_empty": False}))
    return path


def extract(tmp_path: Path, cfg: Path, *files: Path, **extra) -> subprocess.CompletedProcess:
    args = [sys.executable, "-m", "qa", "extract", *map(str, files), "--config", str(cfg), "--model", "chatgpt",
            "--concurrency", "4", "--chunk_size", "200", "--out", str(tmp_path / "out" / "pairs.jsonl"),
            *[f"--{k}={v}" for k, v in extra.items()]]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_extract_writes_every_chunk_and_resumes_after_failures(tmp_path, openai_stub):
    pdf = tmp_path / "rivers.pdf"
    pdf.write_bytes(flowing_pdf(PARAGRAPHS))
    docx = tmp_path / "notes.docx"
    docx.write_bytes(make_docx(PARAGRAPHS[:4]))
    cfg = config_file(tmp_path, openai_stub.base_url)
    openai_stub.default_reply = REPLY
    openai_stub.error = (503, {"error": {"message": "overloaded", "type": "server_error"}})

    first = extract(tmp_path, cfg, pdf, docx)
    assert first.returncode == 1, first.stderr
    assert "0 done" in first.stdout and "overloaded" in first.stderr
    calls = len(openai_stub.requests)

    openai_stub.error = None
    openai_stub.fail_every = 4  # still flaky: retried, never lost
    second = extract(tmp_path, cfg, pdf, docx)
    assert second.returncode == 0, second.stdout + second.stderr
    assert " 0 not done" in second.stdout and len(openai_stub.requests) > calls
    lines = (tmp_path / "out" / "pairs.jsonl").read_text().splitlines()
    chunks = int(second.stdout.split(" done")[0].split()[-1])
    assert len(lines) == chunks and json.loads(lines[0])["answer"].startswith("The river")
    assert (tmp_path / "out" / "qapair.sqlite").is_file()

    openai_stub.requests.clear()
    third = extract(tmp_path, cfg, pdf, docx, format="alpaca")  # all done: nothing is asked again
    assert third.returncode == 0 and openai_stub.requests == []
    assert "instruction" in json.loads((tmp_path / "out" / "pairs.jsonl").read_text().splitlines()[0])


def test_extract_refuses_what_it_cannot_do(tmp_path, openai_stub):
    cfg = config_file(tmp_path, openai_stub.base_url)
    text = tmp_path / "a.txt"
    text.write_text("Some text about rivers.")
    assert extract(tmp_path, cfg, text, format="nope").returncode == 2
    unsupported = tmp_path / "a.png"
    unsupported.write_bytes(b"\x89PNG\r\n\x1a\n")
    result = extract(tmp_path, cfg, unsupported)
    assert result.returncode == 2 and "a.png" in result.stderr
