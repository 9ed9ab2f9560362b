"""The base model loaded for training with LoRA layers on it: float32/bf16 on CPU, bf16 or a 4/8-bit base (QLoRA) on CUDA.

The checkpoint comes from the same `LocalModelConfig` serving uses (path, remote code,
device), so an adapter trains on exactly the base it will be served with.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from llms import loading
from llms.config import LocalModelConfig
from llms.errors import ModelUnavailableError
from llms.finetune.settings import CHATGLM_REMOTE_TARGETS, GLM_TARGETS, TrainSettings

log = logging.getLogger(__name__)


@dataclass
class TrainModel:
    tokenizer: object
    model: object  # a peft PeftModel
    device: str
    dtype: str


def target_modules(model, wanted: list[str] | None) -> list[str]:
    """The LoRA targets: `wanted`, else the GLM layer names this model has (query_key_value for remote ChatGLM)."""
    names = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    if wanted:
        missing = [w for w in wanted if w not in names]
        if missing:
            raise ModelUnavailableError(f"the model has no layers named {', '.join(missing)} to adapt")
        return list(wanted)
    found = [t for t in GLM_TARGETS if t in names] or [t for t in CHATGLM_REMOTE_TARGETS if t in names]
    if not found:
        raise ModelUnavailableError("no GLM attention/MLP layers found to adapt; name them in target_modules")
    return found


def load_base(model_id: str, settings: LocalModelConfig, train: TrainSettings):
    """(tokenizer, model, device, dtype name) of the base checkpoint, prepared for training."""
    problem = loading.check_files(model_id, settings.model_copy(update={"adapter_path": None}))
    if problem:
        raise ModelUnavailableError(problem)
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device = loading.resolve_device(settings.device)
    # auto: what serving picks (bf16 on GPUs and on CPUs that compute it natively, else float32); on such a CPU
    # bf16 trained the bench model 2.5x faster than float32 (bench/README.md, "Fine-tuning")
    dtype = train.dtype if train.dtype != "auto" else loading.choose_dtype("auto", device)[0]
    path = settings.model_path
    if loading.is_local_path(path):
        path = str(Path(path).expanduser())
    kwargs: dict = {"trust_remote_code": settings.trust_remote_code, "dtype": getattr(torch, dtype)}
    if device == "cuda":
        kwargs["device_map"] = "cuda"
        if train.quantize:
            from transformers import BitsAndBytesConfig

            kwargs["quantization_config"] = BitsAndBytesConfig(
                load_in_4bit=train.quantize == 4, load_in_8bit=train.quantize == 8, bnb_4bit_quant_type="nf4",
                bnb_4bit_compute_dtype=torch.bfloat16, bnb_4bit_use_double_quant=True)
    elif train.quantize:
        raise ModelUnavailableError("quantize (QLoRA) needs a CUDA GPU; on the CPU train in float32 or bfloat16")
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=settings.trust_remote_code)
        model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ModelUnavailableError(f"cannot load models.{model_id} from {path} for training: {first}") from None
    if train.quantize:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=train.gradient_checkpointing)
    elif train.gradient_checkpointing:
        model.gradient_checkpointing_enable()
        model.enable_input_require_grads()
    model.config.use_cache = False
    return tokenizer, model, device, dtype


def load_for_training(model_id: str, settings: LocalModelConfig, train: TrainSettings) -> TrainModel:
    """The base with fresh LoRA layers (or, when the config names an adapter_path, that adapter, trainable)."""
    from peft import LoraConfig, get_peft_model

    tokenizer, model, device, dtype = load_base(model_id, settings, train)
    if settings.adapter_path:
        from llms.adapters import apply_adapter

        peft_model = apply_adapter(model, model_id, settings.adapter_path, merge=False, trainable=True)
    else:
        config = LoraConfig(r=train.rank, lora_alpha=train.alpha, lora_dropout=train.dropout,
                            target_modules=target_modules(model, train.target_modules), task_type="CAUSAL_LM")
        peft_model = get_peft_model(model, config)
    trainable = sum(p.numel() for p in peft_model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in peft_model.parameters())
    log.info("LoRA on %s: %d of %d parameters trainable (%.2f%%), %s on %s",
             model_id, trainable, total, 100 * trainable / max(total, 1), dtype, device)
    return TrainModel(tokenizer, peft_model, device, dtype)


def answer_loss(peft_model, ids, mask, labels):
    """Mean cross-entropy over the answer tokens, with (sum, count) for exact averaging across batches.
    Where the model is a transformers causal LM with `.model` and `.lm_head` (GLM-4, GLM-Edge), the vocabulary
    projection runs only on the positions that have a label: most of a pair is prompt, and the lm_head with
    its float32 logits is a large share of a small model's work."""
    import torch
    import torch.nn.functional as F

    base = peft_model.get_base_model()
    targets = labels[:, 1:]
    keep = targets != -100
    count = int(keep.sum())
    inner, head = getattr(base, "model", None), getattr(base, "lm_head", None)
    if inner is not None and head is not None and isinstance(head, torch.nn.Module):
        hidden = inner(input_ids=ids, attention_mask=mask, use_cache=False).last_hidden_state[:, :-1]
        logits = head(hidden[keep]).float()
        total = F.cross_entropy(logits, targets[keep], reduction="sum")
    else:
        logits = peft_model(input_ids=ids, attention_mask=mask, use_cache=False).logits[:, :-1].float()
        total = F.cross_entropy(logits[keep], targets[keep], reduction="sum")
    return total, count
