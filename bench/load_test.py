"""Load test on loopback: many /ask clients on a remote model plus streaming clients on the tiny local model.

The app runs as `make run` runs it (gunicorn, gunicorn.conf.py). The remote model
is a local OpenAI-protocol server that answers each request after `--upstream-ms`.
`--clients` threads post /ask to it in a loop and `--streams` threads stream
/v1/chat/completions from the tiny local model, for `--seconds`; every loop is
bounded by that deadline. Reports requests, errors other than the designed 503
(busy), p50/p95 latency per kind, and the worker's resident memory after a warm-up
and at the end.

    .venv/bin/python -m bench.load_test --clients 50 --streams 8 --seconds 60
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from bench.api_fuzz import free_port
from bench.models import ensure_model
from tests.openai_server import OpenAIServer

ROOT = Path(__file__).resolve().parent.parent
PASSAGE = ("The Amazon River in South America is the largest river by discharge volume of water in the world. "
           "It flows through Peru, Colombia and Brazil into the Atlantic Ocean.")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return int(children[0])


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--streams", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=10, help="seconds before the first memory reading")
    parser.add_argument("--upstream-ms", type=float, default=200)
    parser.add_argument("--max-tokens", type=int, default=32, help="tokens per streamed local reply")
    parser.add_argument("--model", default=str(ROOT / "models" / "tiny-glm4"))
    args = parser.parse_args()

    model = ensure_model(Path(args.model), "tiny")
    upstream = OpenAIServer().start()
    upstream.delay = args.upstream_ms / 1000
    work = Path(tempfile.mkdtemp(prefix="qapair-load-"))
    (work / "cfg.json").write_text(json.dumps({
        "prompts_db": str(work / "prompts.sqlite"), "reask_on_empty": False,
        "models": {"chatgpt": {"backend": "openai", "base_url": upstream.base_url, "api_key": "k", "max_retries": 0},
                   "chatglm": {"backend": "local", "model_path": str(model)}}}))
    port = free_port()
    env = {**os.environ, "QAPAIR_CONFIG": str(work / "cfg.json"), "QAPAIR_BIND": f"127.0.0.1:{port}",
           "HOME": str(work), "QAPAIR_INSTANCE": str(work / "instance")}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    results: dict[str, list[float]] = {"ask": [], "stream": [], "warm": []}
    statuses: Counter = Counter()
    errors: list[str] = []
    lock = threading.Lock()

    def call(kind: str, path: str, body: dict, deadline: float) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                connection.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    errors.append(f"{kind}: {type(exc).__name__}: {exc}")
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                continue
            elapsed = time.monotonic() - started
            with lock:
                statuses[(kind, response.status)] += 1
                if response.status == 200:
                    results[kind].append(elapsed)
                elif response.status != 503:
                    errors.append(f"{kind}: HTTP {response.status}: {data[:200]!r}")
            if response.status == 503:
                time.sleep(float(response.getheader("Retry-After") or 1))  # as a polite client would
        connection.close()

    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/api/models")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        # one local reply first, so the model is loaded before the clock starts
        call("warm", "/v1/chat/completions", {"model": "chatglm", "max_tokens": 2,
                                              "messages": [{"role": "user", "content": "hi"}]}, time.monotonic() + 1)
        pid = worker_pid(server.pid)
        start = time.monotonic()
        end = start + args.seconds
        threads = [threading.Thread(target=call, args=("ask", "/ask", {"question": PASSAGE, "model": "chatgpt"}, end))
                   for _ in range(args.clients)]
        threads += [threading.Thread(target=call, args=("stream", "/v1/chat/completions", {
            "model": "chatglm", "stream": True, "max_tokens": args.max_tokens, "temperature": 0.7,
            "messages": [{"role": "user", "content": PASSAGE}]}, end)) for _ in range(args.streams)]
        for thread in threads:
            thread.start()
        time.sleep(args.warmup)
        rss_start = rss_kib(pid)
        for thread in threads:
            thread.join(timeout=args.seconds + 180)
        rss_end = rss_kib(pid)
        wall = time.monotonic() - start
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
        upstream.stop()

    print(f"{args.clients} /ask clients (remote model, {args.upstream_ms:.0f} ms) + {args.streams} streaming /v1 "
          f"clients (tiny local model, {args.max_tokens} tokens) for {wall:.0f} s")
    for kind in ("ask", "stream"):
        done = results[kind]
        print(f"{kind}: {len(done)} ok ({len(done) / wall:.1f}/s), p50 {percentile(done, 50) * 1000:.0f} ms, "
              f"p95 {percentile(done, 95) * 1000:.0f} ms, max {max(done, default=0) * 1000:.0f} ms")
    print("statuses: " + ", ".join(f"{kind} {status}: {n}" for (kind, status), n in sorted(statuses.items())))
    print(f"errors other than 503: {len(errors)}")
    for error in errors[:10]:
        print("  " + error)
    growth = (rss_end - rss_start) / rss_start if rss_start else float("nan")
    print(f"worker RSS after {args.warmup:.0f} s: {rss_start / 1024:.0f} MiB, at the end: {rss_end / 1024:.0f} MiB "
          f"({growth * 100:+.1f} %)")
    return 1 if errors or growth >= 0.10 else 0


if __name__ == "__main__":
    sys.exit(main())
