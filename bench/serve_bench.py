"""Serve benchmark: this app against one-at-a-time generation and `transformers serve`, through HTTP.

Each system serves the same model files on 127.0.0.1; clients use the official
`openai` SDK (streaming, usage included) at 1, 4, 8 and 16 concurrent clients,
each sending its requests back to back. Every request asks for the same number
of tokens at temperature 0 (a random model rarely emits eos; the tokens actually
generated are reported). Per level: aggregate generated tokens/s (all tokens /
wall time), time to first token and latency p50/p95 (nearest rank).

Systems: `app` = `gunicorn -c gunicorn.conf.py wsgi:app` (continuous batching);
`one-at-a-time` = the same app with bench/one_at_a_time.py's engine (one
`generate` at a time behind a lock, the original design); `transformers-serve`
= `transformers serve MODEL` (needs fastapi and uvicorn, bench/requirements.txt),
plain and with `--continuous-batching`. All servers start and warm up first;
then each level is run by one system at a time, the systems in turn, and
`--repeats` times over, so the VM's drifting speed reaches every system alike
(an idle server takes no CPU). Aggregate tok/s is the median of the repeats;
the app's ratio to another system is the median of the per-repeat ratios.

Also measured on the app: one request alone through /ask against
`model.generate` for the same tokens in this process (on the model as the app
loads it, and as plain transformers loads it), and streaming time to first
token against the prompt's prefill time.

Run from the repository root: `python -m bench.serve_bench` (options: --help).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import openai

from bench.models import ROOT, chat_input_ids, ensure_model, greedy_generate_seconds, load_as_app

SYSTEMS = ["app", "one-at-a-time", "transformers-serve", "transformers-serve-cb"]
SYSTEM_PROMPT = "Write questions about the passage, each followed by its answer from the passage."
PASSAGES = [
    "The Yangtze is the longest river in China and the third longest in the world, about 6300 km long.",
    "Super Bowl 50 was an American football game that decided the champion of the 2015 NFL season.",
    "Machine reading comprehension asks a model to answer questions about a passage it has just read.",
    "The Great Wall was built over many centuries to protect northern China from raids and invasions.",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def auto_dtype() -> str:
    """The dtype the app's default (`dtype: "auto"`) computes in on this CPU, which `transformers serve` gets too,
    so that the systems differ in how they batch, not in their arithmetic (bf16 only where it is native)."""
    from llms.loading import choose_dtype

    return choose_dtype("auto", "cpu")[0]


def messages(i: int) -> list[dict]:
    return [{"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"Passage {i}: {PASSAGES[i % len(PASSAGES)]}"}]


class Server:
    """One system serving `model_dir` from a child process on a free port."""

    def __init__(self, system: str, model_dir: Path, workdir: Path):
        self.system, self.port = system, free_port()
        workdir = workdir / system
        workdir.mkdir()
        self.base_url = f"http://127.0.0.1:{self.port}"
        ours = system in ("app", "one-at-a-time")
        self.model_name = "chatglm" if ours else str(model_dir)
        self.ready_url = f"{self.base_url}/v1/models" if ours else f"{self.base_url}/health"
        env = dict(os.environ, QAPAIR_BIND=f"127.0.0.1:{self.port}", QAPAIR_INSTANCE=str(workdir))
        if ours:
            config = workdir / "config.json"
            config.write_text(json.dumps({
                "models": {"chatglm": {"backend": "local", "model_path": str(model_dir), "device": "cpu",
                                       "max_batch_size": 16, "max_queue": 64}},
                "prompts_db": str(workdir / "prompts.sqlite"), "reask_on_empty": False}))
            env["QAPAIR_CONFIG"] = str(config)
            module = "wsgi:app" if system == "app" else "bench.one_at_a_time:app"
            command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", module]
        else:
            command = [str(Path(sys.executable).with_name("transformers")), "serve", str(model_dir),
                       "--host", "127.0.0.1", "--port", str(self.port), "--device", "cpu", "--dtype", auto_dtype()]
            if system == "transformers-serve-cb":
                command.append("--continuous-batching")
        self.log = open(workdir / f"{system}.log", "w")
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def wait_ready(self, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.system} exited with {self.process.returncode}; see {self.log.name}")
            try:
                with urllib.request.urlopen(self.ready_url, timeout=5) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                pass
            time.sleep(1)
        raise RuntimeError(f"{self.system} not ready after {timeout:.0f} s; see {self.log.name}")

    def stop(self) -> None:
        try:
            if self.process.poll() is not None:  # it exited on its own: say so, with its log's last lines
                tail = Path(self.log.name).read_text(errors="replace").splitlines()[-5:]
                print(f"{self.system} had exited with {self.process.returncode}:", *tail, sep="\n  ", file=sys.stderr)
                return
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        except ProcessLookupError:  # its group was gone between poll() and the signal
            pass
        finally:
            self.log.close()


def one_request(client: openai.OpenAI, model: str, i: int, max_tokens: int) -> dict:
    """Stream one reply; seconds to the first text and to the end, and tokens generated."""
    start = time.perf_counter()
    first, pieces, usage = None, 0, None
    stream = client.chat.completions.create(model=model, messages=messages(i), max_tokens=max_tokens,
                                            temperature=0, stream=True, stream_options={"include_usage": True})
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            first = first or time.perf_counter() - start
            pieces += 1
        if chunk.usage:
            usage = chunk.usage.completion_tokens
    return {"ttft": first, "latency": time.perf_counter() - start, "tokens": usage if usage is not None else pieces}


def load_level(client: openai.OpenAI, model: str, clients: int, per_client: int, max_tokens: int) -> dict:
    """`clients` threads each send `per_client` requests back to back."""
    results: list[dict] = []
    start_together = threading.Barrier(clients)

    def worker(c: int) -> None:
        start_together.wait()
        for r in range(per_client):
            results.append(one_request(client, model, c * per_client + r, max_tokens))

    threads = [threading.Thread(target=worker, args=(c,)) for c in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    tokens = [r["tokens"] for r in results]
    return {"tok_s": sum(tokens) / wall, "requests": results}


def percentile(values: list[float | None], p: float) -> float:
    """Nearest-rank percentile; a request that sent no text counts as its full latency's worth (inf)."""
    ordered = sorted(v if v is not None else float("inf") for v in values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def ask_alone(base_url: str, max_tokens: int, repeats: int = 3) -> tuple[float, int]:
    """Best wall time of one non-streaming /ask request, and the tokens it generated."""
    body = json.dumps({"model": "chatglm", "question": messages(0)[1]["content"], "prompt": SYSTEM_PROMPT,
                       "max_tokens": max_tokens, "temperature": 0}).encode()
    best, tokens = float("inf"), 0
    for _ in range(repeats):
        request = urllib.request.Request(f"{base_url}/ask", data=body, headers={"Content-Type": "application/json"})
        start = time.perf_counter()
        with urllib.request.urlopen(request, timeout=600) as reply:
            result = json.load(reply)
        best = min(best, time.perf_counter() - start)
        tokens = result["usage"]["completion_tokens"]
    return best, tokens


def raw_generate(model_dir: Path, tokens: int, as_the_app_loads: bool, repeats: int = 3) -> tuple[float, float]:
    """Best seconds of `model.generate` for the /ask request's prompt and token count, and of its prefill alone,
    on the model as the app loads it (llms.loading: packed weights) or as transformers loads it."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if as_the_app_loads:
        tokenizer, model = load_as_app(str(model_dir), None)
    else:
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=getattr(torch, auto_dtype())).eval()
    ids = chat_input_ids(tokenizer, messages(0))

    def timed(n: int) -> float:
        return greedy_generate_seconds(model, tokenizer, ids, n)

    timed(tokens)  # warm-up
    return min(timed(tokens) for _ in range(repeats)), min(timed(1) for _ in range(repeats))


def bench_model(model_dir: Path, systems: list[str], levels: list[int], repeats: int, per_client: int,
                max_tokens: int, workdir: Path) -> dict:
    """Every system's server up at once (idle, they take no CPU); each level is run by each system in turn,
    `repeats` times, so a drift in this VM's speed reaches all systems alike."""
    servers, clients, results = {}, {}, {}
    try:
        for system in systems:
            try:
                server = servers[system] = Server(system, model_dir, workdir)
                server.wait_ready()
                client = openai.OpenAI(base_url=f"{server.base_url}/v1", api_key="unused", max_retries=0,
                                       timeout=1200)
                one_request(client, server.model_name, 0, 8)  # warm-up: load, page weights in, build kernels
                load_level(client, server.model_name, max(levels), 1, 8)
                clients[system], results[system] = client, {"runs": {c: [] for c in levels}}
            except Exception as exc:  # reported in the table; the other systems still run
                results[system] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        for level in levels:
            for _ in range(repeats):
                for system, client in clients.items():
                    run = load_level(client, servers[system].model_name, level, per_client, max_tokens)
                    results[system]["runs"][level].append(run)
            print(f"[{model_dir.name}] {level} clients done", file=sys.stderr, flush=True)
        if "app" in clients:
            results["app"]["ask_alone_s"], results["app"]["ask_tokens"] = ask_alone(servers["app"].base_url,
                                                                                    max_tokens)
    finally:
        for server in servers.values():
            server.stop()
    return results


def summary(runs: list[dict]) -> dict:
    """One level's repeats: median aggregate tok/s; percentiles over every request of every repeat."""
    requests = [r for run in runs for r in run["requests"]]
    return {"requests": len(requests), "tok_s": statistics.median(run["tok_s"] for run in runs),
            "tok_s_range": (min(run["tok_s"] for run in runs), max(run["tok_s"] for run in runs)),
            "tokens_per_request": statistics.mean(r["tokens"] for r in requests),
            **{f"{key}_p{p}": percentile([r[key] for r in requests], p) for key in ("ttft", "latency")
               for p in (50, 95)}}


def report(model_dir: Path, results: dict, extra: dict) -> None:
    print(f"\n### {model_dir.name}: {extra['max_tokens']} tokens per request, "
          f"{extra['per_client']} requests per client, {extra['repeats']} repeats\n")
    print("| system | clients | requests | tokens/request | aggregate tok/s (median) | min–max "
          "| TTFT p50 ms | TTFT p95 ms | latency p50 s | latency p95 s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for system, result in results.items():
        if "error" in result:
            print(f"| {system} | could not run: {result['error']} | | | | | | | | |")
            continue
        for clients, runs in result["runs"].items():
            lv = summary(runs)
            low, high = lv["tok_s_range"]
            print(f"| {system} | {clients} | {lv['requests']} | {lv['tokens_per_request']:.1f} | {lv['tok_s']:.1f} "
                  f"| {low:.1f}–{high:.1f} | {lv['ttft_p50'] * 1000:.0f} | {lv['ttft_p95'] * 1000:.0f} "
                  f"| {lv['latency_p50']:.2f} | {lv['latency_p95']:.2f} |")
    app = results.get("app", {})
    if "runs" not in app:
        return
    for other in ("one-at-a-time", "transformers-serve", "transformers-serve-cb"):
        if "runs" in results.get(other, {}) and app["runs"].get(8):
            ratios = sorted(ours["tok_s"] / theirs["tok_s"]
                            for ours, theirs in zip(app["runs"][8], results[other]["runs"][8]))
            print(f"\nat 8 clients the app makes {statistics.median(ratios):.2f}x the tokens/s of {other} "
                  f"(median of {len(ratios)} paired runs; {ratios[0]:.2f}x to {ratios[-1]:.2f}x)")
    if "raw_s" in extra:
        print(f"\none request alone through /ask: {app['ask_alone_s']:.2f} s for {app['ask_tokens']} tokens; "
              f"model.generate of the same prompt and tokens on the model as the app loads it: "
              f"{extra['raw_s']:.2f} s ({100 * (app['ask_alone_s'] / extra['raw_s'] - 1):+.1f}%); "
              f"on the plain transformers model: {extra['plain_s']:.2f} s")
    if "prefill_s" in extra and app["runs"].get(1):
        ttft = summary(app["runs"][1])["ttft_p50"]
        print(f"streaming time to first token (1 client, p50): {ttft * 1000:.0f} ms; "
              f"prefill + first token in-process: {extra['prefill_s'] * 1000:.0f} ms "
              f"({(ttft - extra['prefill_s']) * 1000:+.0f} ms)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.serve_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="/tmp/models/bench:bench,/tmp/models/tiny:tiny",
                        help="DIR:size pairs; missing models are built")
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--clients", default="1,4,8,16", help="concurrency levels")
    parser.add_argument("--per-client", type=int, default=2, help="requests each client sends")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each level per system, interleaved")
    parser.add_argument("--max-tokens", type=int, default=64)
    args = parser.parse_args(argv)
    levels = [int(c) for c in args.clients.split(",")]
    for pair in args.models.split(","):
        path, size = pair.rsplit(":", 1)
        model_dir = ensure_model(Path(path), size)
        with tempfile.TemporaryDirectory() as tmp:
            results = bench_model(model_dir, args.systems.split(","), levels, args.repeats, args.per_client,
                                  args.max_tokens, Path(tmp))
        extra = {"max_tokens": args.max_tokens, "per_client": args.per_client, "repeats": args.repeats}
        if "runs" in results.get("app", {}):
            tokens = results["app"]["ask_tokens"]
            extra["raw_s"], extra["prefill_s"] = raw_generate(model_dir, tokens, as_the_app_loads=True)
            extra["plain_s"], _ = raw_generate(model_dir, tokens, as_the_app_loads=False)
        report(model_dir, results, extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
