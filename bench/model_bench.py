"""Measure the CPU quantization choices: batch-1 decode speed and resident memory.

Table 1 compares storage formats on the bench model: bf16 as transformers
loads it and with oneDNN-packed Linear weights (the project's choice), float32,
torch dynamic int8, optimum-quanto int8, int4 (lm_head int8, the project's
choice) and int4 with lm_head in bf16, bitsandbytes nf4. Each is read into
memory (no memory map) so its resident memory is its own; the project's three go through
`llms.loading.prepare_for_cpu`. Table 2 loads the 1B model exactly as the app
does (`llms.loading.load` with quantize null, 8 and 4).

Every setting runs in a fresh process: load, one warm-up generate (pages every
weight in), then greedy decoding of one request with eos ignored, so each
decodes the same number of tokens. Decode tok/s is (tokens - 1) / (time for all
tokens - time for the first), leaving prefill out. Resident memory is the RSS
after the warm-up minus the RSS before loading, measured after importing the
libraries the setting loads with (torch, the model's transformers module,
quanto or bitsandbytes: about 90 MiB of code and data that no setting avoids,
reported in its own column); table 1 first returns freed heap pages to the OS.
Weights is the size of the model's state as stored. The
bandwidth limit is the measured copy bandwidth divided by the bytes one decode
step reads: the stored weights less the input embedding, of which it reads one
row.

Run from the repository root: `python -m bench.model_bench` (options: --help).
Missing models are built with `python -m llms.tiny_model DIR --size bench|1b`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from bench.models import chat_input_ids, ensure_model, greedy_generate_seconds, load_as_app
from llms.loading import release_freed_memory

SETTINGS = ["bf16", "bf16-packed", "float32", "int8-dynamic", "int8-quanto", "int4-quanto", "int4-quanto-head-bf16",
            "nf4-bnb"]
# What llms.loading does for quantize null, 8 and 4 (prepare_for_cpu), here on a model read into memory.
PREPARED = {"bf16-packed": None, "int8-dynamic": 8, "int4-quanto": 4}
APP_BITS = {"app-bf16": None, "app-8": 8, "app-4": 4}
PROMPT = "Read the passage and write three questions with answers. Passage: The Yangtze is the longest river in China."


def load(path: str, setting: str):
    """The model in one storage format; read into memory (no memory map), so resident memory is the format's."""
    import torch
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    from llms.loading import prepare_for_cpu

    if setting == "nf4-bnb":
        config = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                                    bnb_4bit_compute_dtype=torch.bfloat16)
        return AutoModelForCausalLM.from_pretrained(path, quantization_config=config, device_map="cpu",
                                                    disable_mmap=True).eval()
    dtype = torch.float32 if setting in ("float32", "int8-dynamic") else torch.bfloat16
    model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, disable_mmap=True).eval()
    if setting in PREPARED:
        return prepare_for_cpu(model, PREPARED[setting])
    if setting in ("int8-quanto", "int4-quanto-head-bf16"):
        from optimum.quanto import freeze, qint4, qint8, quantize

        if setting == "int8-quanto":
            quantize(model, weights=qint8)
        else:
            quantize(model, weights=qint4, exclude=["lm_head"])
        freeze(model)
    return model


def stored_bytes(model) -> tuple[int, int]:
    """Bytes of the model's state as stored (quantized data and scales included), and of its input embedding."""
    def size(value) -> int:
        if isinstance(value, (tuple, list)):
            return sum(size(v) for v in value)
        return value.numel() * value.element_size() if hasattr(value, "element_size") else 0

    embedding = model.get_input_embeddings().weight
    return sum(size(v) for v in model.state_dict().values()), embedding.numel() * embedding.element_size()


def import_libraries(path: str, setting: str) -> None:
    """Import the code loading `setting` imports, so the resident memory measured after it is the model's."""
    from transformers import AutoConfig, AutoModelForCausalLM

    AutoModelForCausalLM._model_mapping[type(AutoConfig.from_pretrained(path))]  # imports the architecture
    if "quanto" in setting or setting == "app-4":
        import optimum.quanto  # noqa: F401
    if setting in ("int8-dynamic", "app-8"):
        import torch.ao.quantization  # noqa: F401
    if setting == "nf4-bnb":
        import bitsandbytes  # noqa: F401


def measure_one(path: str, setting: str, tokens: int) -> dict:
    """Load, warm up and time one setting in this process: a storage format, or `app-bf16|8|4` as the app does."""
    import psutil
    import torch
    from transformers import AutoTokenizer

    torch.set_num_threads(psutil.cpu_count(logical=False) or 1)
    process = psutil.Process()
    start_rss = process.memory_info().rss
    import_libraries(path, setting)
    before = process.memory_info().rss
    started = time.perf_counter()
    if setting.startswith("app-"):
        tokenizer, model = load_as_app(path, APP_BITS[setting])
    else:
        tokenizer, model = AutoTokenizer.from_pretrained(path), load(path, setting)
    load_s = time.perf_counter() - started
    ids = chat_input_ids(tokenizer, [{"role": "user", "content": PROMPT}])

    def generate(n: int) -> float:
        return greedy_generate_seconds(model, tokenizer, ids, n)

    generate(tokens)  # warm-up: page every weight in, build the kernels for these shapes
    if not setting.startswith("app-"):
        release_freed_memory()
    rss_mib = round((process.memory_info().rss - before) / 2**20)
    first = min(generate(1) for _ in range(2))
    whole = min(generate(tokens) for _ in range(2))
    stored, embedding = stored_bytes(model)
    return {"setting": setting, "load_s": round(load_s, 1), "rss_mib": rss_mib,
            "imports_mib": round((before - start_rss) / 2**20), "stored_mib": round(stored / 2**20),
            "decode_tok_s": round((tokens - 1) / (whole - first), 2), "prefill_ms": round(first * 1000),
            "step_bytes": stored - embedding}


def bandwidth_gb_s() -> float:
    """Sustained memory bandwidth: bytes read plus written by a 512 MiB numpy copy, best of 5."""
    import numpy as np

    source = np.ones(64 * 2**20)
    target = np.empty_like(source)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        np.copyto(target, source)
        best = min(best, time.perf_counter() - start)
    return 2 * source.nbytes / best / 1e9


def run_setting(path: Path, setting: str, tokens: int) -> dict:
    """Measure one setting in a fresh process, so resident memory is its own."""
    command = [sys.executable, "-m", "bench.model_bench", "--one", setting, "--model", str(path),
               "--tokens", str(tokens)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        reason = (done.stderr.strip().splitlines() or ["failed"])[-1]
        return {"setting": setting, "error": reason[:200]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def print_table(path: Path, settings: list[str], tokens: int, bandwidth: float) -> None:
    print("| setting | decode tok/s | bandwidth limit tok/s | % of limit | prefill ms | weights MiB | vs bf16 "
          "| resident MiB | vs bf16 | library imports MiB | load s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    base = None
    for setting in settings:
        r = run_setting(path, setting, tokens)
        if "error" in r:
            print(f"| {setting} | failed: {r['error']} | | | | | | | | | |", flush=True)
            continue
        base = base or r
        limit = bandwidth * 1e9 / r["step_bytes"]
        print(f"| {setting} | {r['decode_tok_s']:.1f} | {limit:.1f} | {100 * r['decode_tok_s'] / limit:.0f}% "
              f"| {r['prefill_ms']} | {r['stored_mib']} | {r['stored_mib'] / base['stored_mib']:.2f} "
              f"| {r['rss_mib']} | {r['rss_mib'] / base['rss_mib']:.2f} | {r['imports_mib']} | {r['load_s']} |",
              flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.model_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="/tmp/models/bench", help="bench-size model folder (built if missing)")
    parser.add_argument("--big", default="/tmp/models/1b", help="1B model folder (built if missing)")
    parser.add_argument("--tokens", type=int, default=64, help="tokens decoded per timing")
    parser.add_argument("--settings", default=",".join(SETTINGS), help="formats for the bench-model table")
    parser.add_argument("--skip-big", action="store_true", help="leave out the 1B table")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure_one(args.model, args.one, args.tokens)))
        return 0

    bandwidth = bandwidth_gb_s()
    print(f"memory bandwidth (numpy copy, read + write): {bandwidth:.1f} GB/s")
    model = ensure_model(Path(args.model), "bench")
    print(f"\nstorage formats, batch-1 greedy decode of {args.tokens} tokens, {model}")
    print_table(model, args.settings.split(","), args.tokens, bandwidth)
    if not args.skip_big:
        big = ensure_model(Path(args.big), "1b")
        print(f"\nas the app loads it (quantize null, 8, 4), decode of 16 tokens, {big}")
        print_table(big, list(APP_BITS), 16, bandwidth)
    return 0


if __name__ == "__main__":
    sys.exit(main())
