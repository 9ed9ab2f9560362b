"""Merge a LoRA adapter into its base and write the result as an ordinary checkpoint folder."""

from __future__ import annotations

from pathlib import Path

from llms import loading
from llms.adapters import apply_adapter
from llms.config import LocalModelConfig
from llms.errors import ModelUnavailableError


def merge(model_id: str, settings: LocalModelConfig, adapter_path: str | Path, out: str | Path,
          dtype: str = "bfloat16") -> Path:
    """Load the base unquantized in `dtype` on the CPU, merge the adapter, save model + tokenizer to `out`."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    problem = loading.check_files(model_id, settings.model_copy(update={"adapter_path": None}))
    if problem:
        raise ModelUnavailableError(problem)
    path = str(Path(settings.model_path).expanduser()) if loading.is_local_path(settings.model_path) \
        else settings.model_path
    remote = settings.trust_remote_code
    tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=remote)
    model = AutoModelForCausalLM.from_pretrained(path, trust_remote_code=remote, dtype=getattr(torch, dtype))
    merged = apply_adapter(model, model_id, str(adapter_path), merge=True)
    out = Path(out)
    merged.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
