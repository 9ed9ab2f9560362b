"""Model helpers shared by the benchmarks: build a random model if missing, load it as the app does, time generate."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def ensure_model(path: Path, size: str) -> Path:
    """The model folder, built with `llms.tiny_model` at `size` if it has no config.json yet."""
    if not (path / "config.json").is_file():
        print(f"building the {size} model in {path} ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "llms.tiny_model", str(path), "--size", size], check=True, cwd=ROOT)
    return path


def load_as_app(path: str, bits: int | None):
    """Tokenizer and model exactly as the app loads them on CPU (llms.loading.load)."""
    from llms.config import LocalModelConfig
    from llms.loading import load

    loaded = load("bench", LocalModelConfig(backend="local", model_path=path, quantize=bits, device="cpu"))
    return loaded.tokenizer, loaded.model


def chat_input_ids(tokenizer, messages: list[dict]):
    """The messages rendered with the chat template, as a [1, length] tensor."""
    return tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                         return_dict=True)["input_ids"]


def greedy_generate_seconds(model, tokenizer, ids, tokens: int) -> float:
    """Seconds one `model.generate` takes to decode exactly `tokens` tokens greedily after `ids`."""
    import torch

    start = time.perf_counter()
    with torch.no_grad():
        model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=tokens, min_new_tokens=tokens,
                       do_sample=False, temperature=None, top_p=None, top_k=None,
                       pad_token_id=tokenizer.pad_token_id)
    return time.perf_counter() - start
