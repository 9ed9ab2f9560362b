"""LoRA training throughput on the CPU: llms.finetune's loop against a plain transformers + peft loop, same data.

Both train the bench model (~0.3B, `python -m llms.tiny_model DIR --size bench`) in float32
with the same LoRA (rank 8 on q/k/v/o/gate_up/down), the same AdamW, batch size and number
of optimizer steps, on the same CMRC 2018 pairs tokenized the same way (chat template, the
pair's source chunk in the prompt, loss on the answer only). The plain loop is what a
transformers tutorial writes: batches in a seeded order padded to their longest row,
`model(input_ids, attention_mask, labels).loss`. Tokens/s counts real (non-padding) tokens
over the training steps (model loading excluded). Peak memory is the process's peak RSS
growth from just before loading the model. Each contender runs in its own process.

    cpulock -x .venv/bin/python -m bench.train_bench              # from the repository root
    cpulock -x .venv/bin/python -m bench.train_bench --steps 12 --batch-size 4 --max-source 160
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.memory import peak_mb, reset_peak, rss_mb
from bench.models import ROOT, ensure_model

TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_up_proj", "down_proj"]


def examples(count: int):
    """CMRC 2018 pairs as training examples: question + source chunk as the prompt (qapair's with_input export)."""
    from llms.finetune.data import to_example
    from qa.export import ExportOptions, shapes

    data = json.loads((ROOT.parent / "shared" / "data" / "cmrc2018_dev.json").read_text(encoding="utf-8"))
    out = []
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                pair = {"question": qa["question"], "answer": qa["answers"][0]["text"], "chunk": paragraph["context"]}
                out.append(to_example(shapes.openai(pair, ExportOptions(with_input=True)), "openai"))
                if len(out) == count:
                    return out
    return out


def ours(model: str, args) -> dict:
    from llms.config import LocalModelConfig
    from llms.finetune import TrainSettings, train

    settings = TrainSettings(rank=8, alpha=16, dropout=0.0, learning_rate=1e-4, batch_size=args.batch_size,
                             max_steps=args.steps, eval_share=0, eval_every=0, save_every=10**6, dtype=args.dtype,
                             max_source_length=args.max_source, max_target_length=64, warmup_ratio=0)
    with tempfile.TemporaryDirectory() as out:
        state = train("bench", LocalModelConfig(backend="local", model_path=model, device="cpu"), settings,
                      Path(out) / "run", examples(args.batch_size * args.steps))
    return {"tokens_per_s": state["tokens_per_s"], "loss": state["loss"], "steps": state["step"]}


def plain(model: str, args) -> dict:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from llms.finetune.encode import collate, encode

    torch.manual_seed(42)
    tokenizer = AutoTokenizer.from_pretrained(model)
    base = AutoModelForCausalLM.from_pretrained(model, dtype=getattr(torch, args.dtype))
    base.config.use_cache = False
    peft_model = get_peft_model(base, LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules=TARGETS,
                                                 task_type="CAUSAL_LM"))
    data = [encode(tokenizer, e, args.max_source, 64) for e in examples(args.batch_size * args.steps)]
    order = list(range(len(data)))
    random.Random(42).shuffle(order)
    trainable = [p for p in peft_model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-4)
    peft_model.train()
    began, tokens, loss = time.perf_counter(), 0, math.nan
    for step in range(args.steps):
        batch = [data[i] for i in order[step * args.batch_size:(step + 1) * args.batch_size]]
        ids, mask, labels = collate(batch, tokenizer.pad_token_id)
        out = peft_model(input_ids=ids, attention_mask=mask, labels=labels, use_cache=False)
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        tokens += int(mask.sum())
        loss = out.loss.item()
    return {"tokens_per_s": round(tokens / (time.perf_counter() - began), 1), "loss": loss, "steps": args.steps}


def measure(contender: str, model: str, args) -> dict:
    import torch  # noqa: F401  (libraries loaded before the memory baseline)
    import transformers  # noqa: F401
    import peft  # noqa: F401

    torch.set_num_threads(args.threads) if args.threads else None
    before = rss_mb()
    reset_peak()
    result = {"ours": ours, "plain": plain}[contender](model, args)
    result["peak_mb"] = round(peak_mb() - before)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "bench-glm4"))
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--max-source", type=int, default=160, help="prompt tokens kept")
    parser.add_argument("--repeats", type=int, default=2, help="runs of each contender (alternating); best kept")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32", help="weights and compute")
    parser.add_argument("--one", choices=["ours", "plain"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.model, args)))
        return 0
    model = str(ensure_model(Path(args.model), "bench"))
    results: dict[str, list[dict]] = {"ours": [], "plain": []}
    for _ in range(args.repeats):
        for contender in ("plain", "ours"):
            command = [sys.executable, "-m", "bench.train_bench", "--one", contender, "--model", model,
                       "--steps", str(args.steps), "--batch-size", str(args.batch_size),
                       "--max-source", str(args.max_source), "--threads", str(args.threads), "--dtype", args.dtype]
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
            results[contender].append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(contender, results[contender][-1], file=sys.stderr, flush=True)
    best = {name: max(runs, key=lambda r: r["tokens_per_s"]) for name, runs in results.items()}
    print(f"| loop | tokens/s (best of {args.repeats}) | all runs | peak RSS growth (MiB) | final loss |")
    print("| --- | ---: | --- | ---: | ---: |")
    for name, label in (("plain", "transformers + peft, plain loop"), ("ours", "llms.finetune")):
        row = best[name]
        runs = ", ".join(str(r["tokens_per_s"]) for r in results[name])
        print(f"| {label} | {row['tokens_per_s']} | {runs} | {row['peak_mb']} | {row['loss']:.4f} |")
    print(f"\nratio: {best['ours']['tokens_per_s'] / best['plain']['tokens_per_s']:.2f}x "
          f"({args.steps} steps of {args.batch_size} pairs, prompts cut to {args.max_source} tokens, {args.dtype})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
