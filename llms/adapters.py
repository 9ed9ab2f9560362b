"""LoRA adapters (peft) on a loaded base model: checked from files, applied at load, listed as model ids.

A local model's config with `adapter_path` loads the base checkpoint and then the
adapter. Unquantized (and on CPU, where quantization comes after loading) the adapter
is merged into the base weights, so serving runs exactly the plain model's code path:
the engine's batching, packed CPU layers and int8/int4 all apply unchanged. On CUDA
with a 4/8-bit base it stays a separate peft layer (weights cannot be merged into
bitsandbytes' quantized ones); the engine calls it as it calls any causal LM.
"""

from __future__ import annotations

import json
from pathlib import Path

from llms.errors import ModelUnavailableError

ADAPTER_CONFIG = "adapter_config.json"


def is_adapter(folder: str | Path) -> bool:
    """Whether `folder` holds a peft adapter (its adapter_config.json)."""
    return (Path(folder).expanduser() / ADAPTER_CONFIG).is_file()


def check_adapter(model_id: str, adapter_path: str) -> str | None:
    """Why the adapter cannot be loaded, judged from files alone (None: looks loadable)."""
    folder = Path(adapter_path).expanduser()
    if not folder.is_dir():
        return (f"models.{model_id}.adapter_path {adapter_path!r} does not exist: point it at the folder "
                "python -m llms.finetune wrote (adapter_config.json, adapter_model.safetensors).")
    if not is_adapter(folder):
        return (f"models.{model_id}.adapter_path {adapter_path!r} has no {ADAPTER_CONFIG}: "
                "expected a peft LoRA adapter folder.")
    try:
        json.loads((folder / ADAPTER_CONFIG).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return f"models.{model_id}.adapter_path: {ADAPTER_CONFIG} is not readable JSON ({exc})"
    return None


def apply_adapter(model, model_id: str, adapter_path: str, *, merge: bool, trainable: bool = False):
    """`model` with the adapter at `adapter_path`: merged into its weights (`merge`), else a PeftModel."""
    problem = check_adapter(model_id, adapter_path)
    if problem:
        raise ModelUnavailableError(problem)
    from peft import PeftModel

    try:
        peft_model = PeftModel.from_pretrained(model, str(Path(adapter_path).expanduser()), is_trainable=trainable)
    except Exception as exc:  # wrong base (shapes, module names), corrupt weights
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ModelUnavailableError(
            f"cannot apply models.{model_id}.adapter_path {adapter_path!r} to its base model: {first}. "
            "An adapter only fits the base checkpoint it was trained on.") from None
    return peft_model.merge_and_unload() if merge else peft_model


def adapter_base(adapter_path: str | Path) -> str | None:
    """The base checkpoint an adapter names (peft's base_model_name_or_path), if any."""
    try:
        config = json.loads((Path(adapter_path).expanduser() / ADAPTER_CONFIG).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return config.get("base_model_name_or_path") or None


def adapter_model_id(base_id: str, name: str) -> str:
    """The model id under which base + adapter is served: "chatglm+cmrc"."""
    return f"{base_id}+{name}"
