"""Engine benchmark, in-process on the bench model as the app loads it (default config): memory bandwidth by a
streaming read against batch-1 decode, the pauses of 7 running streams while a 2,000-token prompt is admitted,
and the KV memory of 8 rows (one of 2,000 tokens, seven of 100) against the bytes of the tokens they hold.

Run from the repository root: `python -m bench.engine_bench` (options: --help). HTTP throughput against
one-at-a-time and `transformers serve` is bench/serve_bench.py's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

from bench.models import ensure_model


def read_bandwidth_gb_s(gib: float = 1.0, repeats: int = 5) -> float:
    """Bytes per second a streaming read (torch.sum over a float32 tensor, all threads) achieves, best of `repeats`.

    Run in a thread that then exits, so its OpenMP team does not outlive it (see llms/chatglm._in_own_thread).
    """
    import torch

    from llms.chatglm import _in_own_thread

    def measure() -> float:
        data = torch.ones(int(gib * 2**30) // 4)
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            data.sum()
            best = min(best, time.perf_counter() - start)
        return data.numel() * 4 / best / 1e9

    return _in_own_thread(measure)


def load(model_dir: Path, **settings):
    """The engine on the bench model exactly as the app builds it (llms.chatglm.ChatGLMLLM), with `settings`."""
    from llms.chatglm import ChatGLMLLM
    from llms.config import LocalModelConfig

    llm = ChatGLMLLM("bench", LocalModelConfig(backend="local", model_path=str(model_dir), **settings))
    llm.load()
    return llm


def prompt_of(llm, tokens: int, salt: int) -> list[int]:
    """A prompt of exactly `tokens` ids: a chat-rendered passage repeated and cut (the model is random)."""
    base = llm.render([{"role": "user", "content": f"Passage {salt}: the river runs {salt} km to the sea. " * 8}])
    return (base * (tokens // len(base) + 1))[:tokens]


def _note_token_times() -> None:
    """Make every request note on its Response when each of its tokens was sampled (pieces of text can span
    several tokens, when a token ends inside a character)."""
    from llms.engine_request import _Request

    if getattr(_Request.accept, "noted", False):
        return
    accept = _Request.accept

    def noting(self, token, eos):
        self.response.token_times = getattr(self.response, "token_times", []) + [time.perf_counter()]
        accept(self, token, eos)

    noting.noted = True
    _Request.accept = noting


class Stream:
    """A greedy request in its own thread, noting when each piece of text arrived (`times`) and when each token
    was sampled (`token_times`)."""

    def __init__(self, llm, prompt_ids: list[int], max_tokens: int):
        from llms.base import Response
        from llms.options import GenerationOptions

        self.options = GenerationOptions(max_tokens=max_tokens, temperature=0)
        self.response = Response(None, [], self.options)
        self.times: list[float] = []
        _note_token_times()
        self.thread = threading.Thread(target=self._run, args=(llm.engine, prompt_ids), daemon=True)
        self.thread.start()

    @property
    def token_times(self) -> list[float]:
        return getattr(self.response, "token_times", [])

    def _run(self, engine, prompt_ids):
        for _ in engine.generate(prompt_ids, self.options, self.response):
            self.times.append(time.perf_counter())


def decode_rate(llm, tokens: int) -> tuple[float, float]:
    """Batch-1 greedy decode tok/s on the engine (first token excluded) and the prefill seconds, best of 2."""
    ids = prompt_of(llm, 60, 0)
    best = (0.0, float("inf"))
    for _ in range(2):
        stream = Stream(llm, ids, tokens)
        start = time.perf_counter()
        stream.thread.join()
        times = stream.token_times
        rate = (len(times) - 1) / (times[-1] - times[0])
        best = (max(best[0], rate), min(best[1], times[0] - start))
    return best


def step_bytes(model) -> int:
    """Bytes one decode step reads: the weights, less the input embedding (one row is read)."""
    from bench.model_bench import stored_bytes

    stored, embedding = stored_bytes(model)
    return stored - embedding


def long_prompt_pauses(llm, long_tokens: int = 2000) -> dict:
    """7 short streams decode; once each has 10 tokens, a `long_tokens` prompt arrives; they go on until each has
    10 more tokens after its first token. A gap between two tokens of a stream is "during" when it overlaps the
    time from the long prompt's arrival to its first token, else "normal": the longest gap during admission
    against the median normal gap (their pace without it) and the median of all their gaps."""
    shorts = [Stream(llm, prompt_of(llm, 60, i), 1000) for i in range(7)]
    _wait(lambda: min(len(s.token_times) for s in shorts) >= 10)
    arrived = time.perf_counter()
    long = Stream(llm, prompt_of(llm, long_tokens, 99), 4)
    _wait(lambda: bool(long.token_times))
    first = long.token_times[0]
    _wait(lambda: min(sum(t > first for t in s.token_times) for s in shorts) >= 10)
    for stream in shorts:
        stream.response.cancel()
    for stream in shorts + [long]:
        stream.thread.join()
    during, normal = [], []
    for stream in shorts:
        times = stream.token_times
        for a, b in zip(times, times[1:]):
            (during if b > arrived and a < first else normal).append(b - a)
    median = statistics.median(normal)
    return {"admit_s": first - arrived, "median_ms": 1000 * median, "all_median_ms": 1000 * statistics.median(
        during + normal), "during_median_ms": 1000 * statistics.median(during), "longest_ms": 1000 * max(during),
        "ratio": max(during) / median, "all_ratio": max(during) / statistics.median(during + normal),
        "gaps": len(during)}


def _wait(condition) -> None:
    while not condition():
        time.sleep(0.002)


def kv_memory(llm, long_tokens: int = 2000, short_tokens: int = 100) -> dict:
    """8 rows: one `long_tokens` prompt and seven of `short_tokens`; once all are prefilled, the bytes their KV
    caches take against the bytes of the tokens they hold (and against rows x the longest, padded)."""
    import torch

    from llms.kv_cache import kv_bytes_per_token

    engine = llm.engine
    per_token = kv_bytes_per_token(engine.loaded.model.config,
                                   torch.empty(0, dtype=engine.loaded.model.dtype).element_size())
    streams = [Stream(llm, prompt_of(llm, long_tokens, 0), 400)]
    streams += [Stream(llm, prompt_of(llm, short_tokens, i), 400) for i in range(1, 8)]
    _wait(lambda: all(s.token_times for s in streams))
    with engine._lock:  # the worker holds it only to admit; a step in flight may write on, after `length`
        rows = list(engine._running)
        held = sum(row.kv.length for row in rows)
        used = sum(row.kv.nbytes() for row in rows)
        longest = max(row.kv.length for row in rows)
    for stream in streams:
        stream.response.cancel()
    for stream in streams:
        stream.thread.join()
    return {"rows": len(rows), "held_tokens": held, "held_mib": held * per_token / 2**20, "kv_mib": used / 2**20,
            "ratio": used / (held * per_token), "padded_mib": len(rows) * longest * per_token / 2**20}


# oneDNN's instruction-set cap per CPU kind imitated (its matmuls are what bf16, float32 and packed Linear run on);
# ATEN_CPU_CAPABILITY caps PyTorch's own kernels. PyTorch's dynamic int8 runs on fbgemm, which picks its kernels
# from the real CPU, so its rows are this CPU's in every column. A cap only imitates a kind below the real CPU.
def cpu_kinds(flags: set[str] | None) -> dict[str, dict[str, str]]:
    """Rows of the dtype table: this CPU uncapped, named by its widest relevant flags, then the kinds below it."""
    from llms.loading import NATIVE_BF16_FLAGS

    flags = flags or set()
    native_bf16 = [flag for flag in NATIVE_BF16_FLAGS if flag in flags]
    this = ", ".join(native_bf16) or ("AVX-512, no native bf16" if "avx512f" in flags else
                                      "AVX2, no native bf16" if "avx2" in flags else "no AVX2")
    kinds = {f"this CPU ({this})": {}}
    if native_bf16 and "avx512f" in flags:
        kinds["AVX-512 without bf16 (Ice Lake)"] = {"ONEDNN_MAX_CPU_ISA": "AVX512_CORE_VNNI"}
    if "avx512f" in flags:
        kinds["AVX2 only"] = {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"}
    return kinds


DTYPE_SETTINGS = {"bfloat16": {"dtype": "bfloat16"}, "float32": {"dtype": "float32"},
                  "int8 (quantize 8)": {"quantize": 8}}


def step_ms(model_dir: Path, setting: str, rows: tuple[int, ...] = (1, 8), steps: int = 12) -> dict:
    """Decode-step milliseconds of the bench model as the app loads it with `setting`, for each row count
    (every row holding 100 tokens), best of 3 runs of `steps` steps, in the engine's packed forward."""
    import torch

    from llms import ragged
    from llms.chatglm import _in_own_thread
    from llms.kv_cache import RowKV

    llm = load(model_dir, **DTYPE_SETTINGS[setting])
    model = llm.load().model
    ragged.enable(model)

    def measure() -> dict:
        result = {}
        with torch.no_grad():
            for count in rows:
                caches = [RowKV(model.config.num_hidden_layers) for _ in range(count)]
                for cache in caches:
                    ragged.forward(model, torch.arange(5, 105)[None], torch.arange(100)[None],
                                   [ragged.Segment(cache, 100)], torch.tensor([99]))
                    cache.commit(100)
                best = float("inf")
                for _ in range(3):
                    start = time.perf_counter()
                    for _ in range(steps):
                        ragged.forward(model, torch.full((1, count), 7), torch.full((1, count), 100),
                                       [ragged.Segment(cache, 1) for cache in caches], torch.arange(count))
                    best = min(best, (time.perf_counter() - start) / steps)
                result[count] = 1000 * best
        return result

    return _in_own_thread(measure)


def dtype_table(model_dir: Path) -> None:
    """Step times per dtype setting under each CPU kind's instruction-set cap, each in a fresh process."""
    import json
    import os
    import subprocess

    from llms.loading import cpu_flags

    print("| CPU kind (oneDNN cap) | setting | 1 row ms/step | 8 rows ms/step | 8 rows / 1 row | 8-row tok/s |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for kind, env in cpu_kinds(cpu_flags()).items():
        for setting in DTYPE_SETTINGS:
            done = subprocess.run([sys.executable, "-m", "bench.engine_bench", "--model", str(model_dir),
                                   "--one-dtype", setting], capture_output=True, text=True,
                                  env={**os.environ, **env})
            if done.returncode:
                print(f"| {kind} | {setting} | failed: {(done.stderr.strip().splitlines() or ['?'])[-1][:120]} "
                      "| | | |", flush=True)
                continue
            ms = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"| {kind} | {setting} | {ms['1']:.1f} | {ms['8']:.1f} | {ms['8'] / ms['1']:.2f}x "
                  f"| {8000 / ms['8']:.0f} |", flush=True)


def decode_rounds(model_dir: Path, tokens: int, rounds: int) -> int:
    """Streaming-read bandwidth, then batch-1 decode at once after it, `rounds` times: one table row each."""
    llm = load(model_dir)
    Stream(llm, prompt_of(llm, 60, 0), 8).thread.join()  # warm-up
    nbytes = step_bytes(llm.load().model)
    print(f"bytes one decode step reads (weights less the input embedding): {nbytes / 2**20:.0f} MiB\n")
    print("| round | streaming read GB/s | bandwidth limit tok/s | batch-1 decode tok/s | share of the limit |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for round_ in range(1, rounds + 1):
        bandwidth = read_bandwidth_gb_s()
        limit = bandwidth * 1e9 / nbytes
        rate = decode_rate(llm, tokens)[0]
        print(f"| {round_} | {bandwidth:.1f} | {limit:.1f} | {rate:.1f} | {100 * rate / limit:.0f}% |", flush=True)
    return 0


def pause_rows(pauses: dict, label: str) -> str:
    return (f"| {label}: time to its first token | {pauses['admit_s']:.1f} s |\n"
            f"| median gap of the 7 streams without it; with it, over all their gaps | {pauses['median_ms']:.0f} ms; "
            f"{pauses['all_median_ms']:.0f} ms |\n"
            f"| longest gap during its admission ({pauses['gaps']} gaps, median {pauses['during_median_ms']:.0f} ms) "
            f"| {pauses['longest_ms']:.0f} ms = {pauses['ratio']:.1f}x the median without it, "
            f"{pauses['all_ratio']:.1f}x over all |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.engine_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="/tmp/models/bench", help="bench-size model folder (built if missing)")
    parser.add_argument("--tokens", type=int, default=64, help="tokens decoded for the batch-1 rate")
    parser.add_argument("--compare-unpaced", type=int, default=4096,
                        help="also measure the pauses with this many prompt tokens every step (4096: the whole "
                             "prompt at once, as the previous engine did); 0: skip")
    parser.add_argument("--dtype-table", action="store_true",
                        help="only the decode-step table per dtype setting and CPU kind (about 3 min)")
    parser.add_argument("--decode-only", action="store_true",
                        help="only the streaming-read bandwidth against batch-1 decode, each measured right after "
                             "the other in --rounds rounds (this VM's bandwidth drifts between about 35 and 75 GB/s)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --decode-only")
    parser.add_argument("--one-dtype", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    model_dir = ensure_model(Path(args.model), "bench")
    if args.one_dtype:
        import json

        print(json.dumps(step_ms(model_dir, args.one_dtype)))
        return 0
    if args.dtype_table:
        dtype_table(model_dir)
        return 0
    if args.decode_only:
        return decode_rounds(model_dir, args.tokens, args.rounds)
    bandwidth = read_bandwidth_gb_s()
    llm = load(model_dir)
    Stream(llm, prompt_of(llm, 60, 0), 8).thread.join()  # warm-up
    choice = llm.dtype_choice()
    print(f"model {model_dir} ({choice['dtype']}: {choice['reason']}); engine defaults: max_batch_size "
          f"{llm.settings.max_batch_size}, prefill_chunk {llm.settings.prefill_chunk}, "
          f"KV budget {llm.engine.kv_budget} tokens\n")
    rate, prefill = decode_rate(llm, args.tokens)
    limit = bandwidth * 1e9 / step_bytes(llm.load().model)
    print("| measure | value |\n| --- | ---: |")
    print(f"| streaming read bandwidth (torch.sum over 1 GiB float32, best of 5) | {bandwidth:.1f} GB/s |")
    print(f"| bytes one decode step reads (weights less the input embedding) | "
          f"{step_bytes(llm.load().model) / 2**20:.0f} MiB |")
    print(f"| bandwidth limit for batch-1 decode | {limit:.1f} tok/s |")
    print(f"| batch-1 decode, {args.tokens} tokens, engine (best of 2) | {rate:.1f} tok/s |")
    print(f"| share of the limit | {100 * rate / limit:.0f}% |")
    print(f"| prefill + first token, 60-token prompt | {1000 * prefill:.0f} ms |")
    pauses = long_prompt_pauses(llm)
    print(pause_rows(pauses, "7 streams while a 2,000-token prompt is admitted"))
    kv = kv_memory(llm)
    print(f"| KV of {kv['rows']} rows holding {kv['held_tokens']} tokens ({kv['held_mib']:.1f} MiB of tokens) "
          f"| {kv['kv_mib']:.1f} MiB = {kv['ratio']:.2f}x |")
    print(f"| the same rows left-padded to the longest (the previous engine) | {kv['padded_mib']:.1f} MiB |")
    if args.compare_unpaced:
        whole = load(model_dir)
        whole.engine._prefill_room = lambda decoding, prefilling=1: args.compare_unpaced  # every step takes this many
        Stream(whole, prompt_of(whole, 60, 0), 8).thread.join()
        print(pause_rows(long_prompt_pauses(whole), f"unpaced, {args.compare_unpaced} prompt tokens a step"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
