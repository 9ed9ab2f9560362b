"""Fuzz the whole HTTP API with schemathesis: thousands of generated requests against the app under gunicorn.

The app runs as `make run` runs it (gunicorn, gunicorn.conf.py) with the tiny local
GLM and a local OpenAI-protocol server, and every operation in /openapi.json gets
valid and invalid requests. Reports requests sent, statuses, and every failed check
(a 5xx, a status or content type not described, a body not matching its schema:
every 4xx must be the one error shape, invalid input accepted).

    .venv/bin/python -m bench.api_fuzz --examples 150
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.models import ensure_model
from tests.fuzz_api import run
from tests.openai_server import OpenAIServer

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=150, help="cases per operation and mode (valid, invalid)")
    parser.add_argument("--model", default=str(ROOT / "models" / "tiny-glm4"))
    args = parser.parse_args()
    model = ensure_model(Path(args.model), "tiny")
    upstream = OpenAIServer().start()
    work = Path(tempfile.mkdtemp(prefix="qapair-fuzz-"))
    config = work / "cfg.json"
    config.write_text(json.dumps({
        "prompts_db": str(work / "prompts.sqlite"),
        "models": {"chatgpt": {"backend": "openai", "base_url": upstream.base_url, "api_key": "k", "max_retries": 0},
                   "chatglm": {"backend": "local", "model_path": str(model)}}}))
    port = free_port()
    env = {**os.environ, "QAPAIR_CONFIG": str(config), "QAPAIR_BIND": f"127.0.0.1:{port}", "HOME": str(work),
           "QAPAIR_INSTANCE": str(work / "instance")}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/openapi.json", timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        started = time.monotonic()
        tally = run(base, args.examples)
        elapsed = time.monotonic() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
        upstream.stop()
    fivexx = sum(n for status, n in tally.statuses.items() if status >= 500)
    fourxx = sum(n for status, n in tally.statuses.items() if 400 <= status < 500)
    print(f"requests: {tally.requests} in {elapsed:.0f} s across {len(tally.by_operation)} operations")
    print("statuses: " + ", ".join(f"{status}: {n}" for status, n in sorted(tally.statuses.items())))
    print(f"5xx: {fivexx}; 4xx: {fourxx}; failed checks: {len(tally.failures)}")
    for operation, n in sorted(tally.by_operation.items()):
        print(f"  {operation}: {n}")
    for failure in tally.failures[:20]:
        print("FAILURE", failure)
    return 1 if tally.failures or fivexx else 0


if __name__ == "__main__":
    sys.exit(main())
