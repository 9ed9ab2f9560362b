"""Timing helpers shared by the benchmarks."""

from __future__ import annotations

import time


def greedy_generate_seconds(model, tokenizer, ids, tokens: int) -> float:
    """Seconds one `model.generate` takes to decode exactly `tokens` tokens greedily after `ids`."""
    import torch

    start = time.perf_counter()
    with torch.no_grad():
        model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=tokens, min_new_tokens=tokens,
                       do_sample=False, temperature=None, top_p=None, top_k=None,
                       pad_token_id=tokenizer.pad_token_id)
    return time.perf_counter() - start
