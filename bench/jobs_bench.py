"""Measure background jobs: wall time at concurrency 8 against one chunk at a time with a flaky remote model, and
how fast the page and `GET /api/jobs/<id>` answer while a 20,000-chunk job runs.

The remote model is tests/openai_server.py over real HTTP through the openai SDK, answering
after `--delay` seconds, every `--fail-every`-th call with a 500 (the app retries it with its
own backoff and jitter: `job_retry_base_seconds` 0.5, the default; the SDK's own retries are
off). Both runs go through the app's runner (the same code `python -m qa worker` runs), and
both must end `done` with every chunk's pairs.

For the 20,000-chunk job the app is served by werkzeug's threaded server in this process,
with its job runner working in the same process (8 chunks in flight), and the figures are
the latency of sequential requests while the job runs.

Run from the repository root: `python -m bench.jobs_bench` (options: --help; `--database-url`
runs it on PostgreSQL).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from qa.jobs import queue
from qa.settings import Settings
from tests.browser_server import LiveServer
from tests.openai_server import OpenAIServer
from webapp import create_app

REPLY = "Question 1: What floods the valley?\nAnswer 1: The river floods the valley every spring."


def paragraphs(n: int) -> str:
    return "\n\n".join(f"Paragraph {i}: the river number {i} floods the valley of Lenna every spring, and the "
                       f"farmers of the plain plant rice when the water goes down." for i in range(n))


def make_app(stub: OpenAIServer, work: Path, database_url: str | None):
    config = Settings.model_validate({
        "models": {"chatgpt": {"backend": "openai", "base_url": stub.base_url, "api_key": "bench",
                               "model": "gpt-bench", "max_retries": 0, "timeout": 30}},
        "max_tokens": 64, "reask_on_empty": False, "database_url": database_url or f"sqlite:///{work / 'jobs.sqlite'}",
        "chunk_size": 200, "job_model_concurrency": 64})
    return create_app({"TESTING": True, "QAPAIR_CONFIG": config, "SECRET_KEY": "bench"})


def run_job(app, document_id: int, concurrency: int) -> tuple[float, dict]:
    db = app.extensions["qapair"].db
    began = time.perf_counter()
    job = queue.create_job(db, document_id=document_id, model="chatgpt", prompt_name=None, prompt_text=None,
                           max_tokens=64, temperature=0.0, concurrency=concurrency)
    app.extensions["qapair_runner"].notify()
    while queue.get_job(db, job.id).status in queue.ACTIVE:
        time.sleep(0.02)
    wall = time.perf_counter() - began
    return wall, {"status": queue.get_job(db, job.id).status, **queue.progress(db, [job.id])[job.id]}


def speedup(args, work: Path) -> None:
    stub = OpenAIServer().start()
    stub.default_reply, stub.delay, stub.fail_every = REPLY, args.delay, args.fail_every
    app = make_app(stub, work / "speed", args.database_url)
    from qa.ingest import ingest
    from qa.documents import ChunkSettings

    doc, chunks = ingest(app.extensions["qapair"].db, "bench.txt", text=paragraphs(args.chunks),
                         settings=ChunkSettings(size=200))
    rows = []
    for concurrency in (1, args.concurrency):
        calls = len(stub.requests)
        wall, progress = run_job(app, doc.id, concurrency)
        rows.append((concurrency, wall, progress, len(stub.requests) - calls))
    app.extensions["qapair_runner"].stop()
    stub.stop()
    print(f"\n{chunks} chunks, model answers in {args.delay * 1000:.0f} ms, every {args.fail_every}th call a 500\n")
    print("| concurrency | wall (s) | calls (500s retried) | chunks done | failed | pairs | status | speed-up |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
    base = rows[0][1]
    for concurrency, wall, progress, calls in rows:
        print(f"| {concurrency} | {wall:.1f} | {calls} ({calls - progress['total']}) | {progress['done']} | "
              f"{progress['failed']} | {progress['pairs']} | {progress['status']} | {base / wall:.2f}× |")


def latency(args, work: Path) -> None:
    stub = OpenAIServer().start()
    stub.default_reply, stub.delay = REPLY, args.delay
    app = make_app(stub, work / "big", args.database_url)
    from qa.documents import ChunkSettings
    from qa.ingest import ingest

    began = time.perf_counter()
    doc, chunks = ingest(app.extensions["qapair"].db, "big.txt", text=paragraphs(args.big),
                         settings=ChunkSettings(size=200))
    ingest_s = time.perf_counter() - began
    db = app.extensions["qapair"].db
    began = time.perf_counter()
    job = queue.create_job(db, document_id=doc.id, model="chatgpt", prompt_name=None, prompt_text=None,
                           max_tokens=64, temperature=0.0, concurrency=args.concurrency)
    create_s = time.perf_counter() - began
    app.extensions["qapair_runner"].notify()
    with LiveServer(app) as live:
        def get(path: str) -> float:
            start = time.perf_counter()
            with urllib.request.urlopen(live.url + path, timeout=30) as response:
                response.read()
            return time.perf_counter() - start

        while queue.progress(db, [job.id])[job.id]["done"] < 50:  # running, with pairs written
            time.sleep(0.1)
        times = {path: [] for path in (f"/api/jobs/{job.id}", "/api/jobs", "/jobs", f"/api/documents/{doc.id}")}
        for _ in range(args.requests):
            for path in times:
                times[path].append(get(path))
        state = queue.progress(db, [job.id])[job.id]
    queue.set_status(db, job.id, "cancel")
    app.extensions["qapair_runner"].stop()
    stub.stop()
    print(f"\n{chunks} chunks: ingest + chunking {ingest_s:.1f} s, job created in {create_s * 1000:.0f} ms; "
          f"{args.requests} requests each while the job ran ({state['done']} chunks done, "
          f"{state['running']} in flight at the end)\n")
    print("| request | median (ms) | p95 (ms) | max (ms) |")
    print("| --- | ---: | ---: | ---: |")
    for path, values in times.items():
        values.sort()
        p95 = values[min(len(values) - 1, int(0.95 * len(values)))]
        print(f"| `GET {path}` | {statistics.median(values) * 1000:.1f} | {p95 * 1000:.1f} | {values[-1] * 1000:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=300)
    parser.add_argument("--delay", type=float, default=0.2, help="seconds the model takes per call")
    parser.add_argument("--fail-every", type=int, default=7, help="every n-th call answers 500")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--big", type=int, default=20_000, help="chunks of the large job")
    parser.add_argument("--requests", type=int, default=50, help="requests per path while the large job runs")
    parser.add_argument("--database-url", help="a database to run on (default: a SQLite file in a temp folder)")
    parser.add_argument("--only", choices=("speedup", "latency"))
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "speedup"):
            speedup(args, Path(tmp))
        if args.only in (None, "latency"):
            latency(args, Path(tmp))


if __name__ == "__main__":
    main()
