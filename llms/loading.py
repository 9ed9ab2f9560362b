"""Load a GLM chat checkpoint with transformers: from a folder or a hub id, optionally quantized.

Quantization (chosen by measurement, see bench/README.md, "Serving"):
- CUDA: bitsandbytes (8-bit LLM.int8 or 4-bit nf4).
- CPU, 8: PyTorch dynamic int8 on every Linear (loaded in float32 first, as it
  requires): the fastest batch-1 decode measured, about 2x bf16.
- CPU, 4: optimum-quanto int4 weights, `lm_head` in int8 (quanto's int4 kernel
  rejects the strided input a batched prefill gives lm_head): faster than bf16.
- CPU, both: the input embedding in int8 (llms/int8_embedding.py), which neither
  library quantizes.
- CPU, unquantized: Linear weights packed once for oneDNN (llms/packed_linear.py).
All then free what the original weights held: int8's float32 copy, and the
checkpoint's memory map that the layers left as they were would otherwise pin.
Model code shipped with a checkpoint runs only with `trust_remote_code: true`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from llms.config import LocalModelConfig
from llms.errors import ModelUnavailableError

log = logging.getLogger(__name__)


class TransientLoadError(ModelUnavailableError):
    """Loading failed for a reason that may pass (the hub timed out or was unreachable): not remembered,
    so the next request tries again. Every other ModelUnavailableError is permanent until restart."""


# Exception classes (by name, anywhere in their MRO) of network failures that may pass: the standard library's,
# requests', httpx's and huggingface_hub's (LocalEntryNotFoundError: not cached and the hub not reached).
TRANSIENT_ERRORS = {"TimeoutError", "ConnectionError", "Timeout", "TimeoutException", "NetworkError",
                    "RemoteProtocolError", "LocalEntryNotFoundError", "OverloadedError"}


def is_transient(exc: BaseException) -> bool:
    """Whether a load failure (or what caused it) is a network failure or a 429/5xx answer from the hub."""
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:  # offline on purpose: not cached stays not cached
        return False
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if any(cls.__name__ in TRANSIENT_ERRORS for cls in type(exc).__mro__):
            return True
        status = getattr(getattr(exc, "response", None), "status_code", None)
        if isinstance(status, int) and (status == 429 or status >= 500):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


@dataclass
class LoadedModel:
    tokenizer: object
    model: object
    device: str
    context_length: int
    dtype: str = "float32"  # the unquantized compute dtype chosen (llms.loading.choose_dtype)
    dtype_reason: str = ""


NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")  # /proc/cpuinfo flags of CPUs whose bf16 matmuls are native


def cpu_flags() -> set[str] | None:
    """The CPU's feature flags from /proc/cpuinfo; None where it cannot be read (not Linux)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return None


def choose_dtype(setting: str, device: str, flags: set[str] | None = None,
                 cuda_bf16: bool | None = None) -> tuple[str, str]:
    """The compute dtype for `setting` ("auto" or a dtype name) on `device`, and why, in a sentence.

    On CPU, bf16 is chosen only where it is computed natively: elsewhere (AVX2, or AVX-512 without
    AVX512_BF16 such as Ice Lake) oneDNN emulates it and a batch of 8 rows costs 3.5x one row where
    float32 costs 1.3x (bench/README.md, "Choosing the dtype"). `flags` and `cuda_bf16` stand in for
    the machine's in tests.
    """
    if setting != "auto":
        return setting, f"dtype {setting} is set in the config"
    if device == "cuda":
        if cuda_bf16 is None:
            import torch

            cuda_bf16 = torch.cuda.is_bf16_supported()
        if cuda_bf16:
            return "bfloat16", "auto: this GPU computes bfloat16 natively"
        return "float16", "auto: this GPU has no bfloat16 support, so float16"
    if flags is None:
        flags = cpu_flags()
    if flags is None:  # no /proc/cpuinfo: ask torch, which reads CPUID itself
        import torch

        native = [name for name, check in (("avx512_bf16", torch.cpu._is_avx512_bf16_supported),
                                           ("amx_bf16", torch.cpu._is_amx_tile_supported)) if check()]
    else:
        native = [flag for flag in NATIVE_BF16_FLAGS if flag in flags]
    if native:
        return "bfloat16", f"auto: this CPU computes bfloat16 natively ({', '.join(native)})"
    return "float32", ("auto: this CPU has no native bfloat16 (no AVX512_BF16 or AMX), where bfloat16 is emulated "
                       "and slower than float32")


def plan_dtype(settings: LocalModelConfig, device: str, flags: set[str] | None = None,
               cuda_bf16: bool | None = None) -> tuple[str, str]:
    """The dtype a model with these settings computes in on `device` (quantization included), and why."""
    if device == "cuda" and settings.quantize:
        dtype, why = choose_dtype("auto" if settings.dtype == "float32" else settings.dtype, device, flags, cuda_bf16)
        return dtype, f"bitsandbytes {settings.quantize}-bit weights computing in {dtype} ({why})"
    if settings.quantize == 8:  # dynamic int8 needs float32 weights to start from
        return "float32", "quantize 8: int8 weights (PyTorch dynamic int8) with float32 activations"
    if settings.quantize == 4:
        return "bfloat16", "quantize 4: int4 weights (optimum-quanto) with bfloat16 activations"
    return choose_dtype(settings.dtype, device, flags, cuda_bf16)


def resolve_device(wanted: str) -> str:
    import torch

    if wanted == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if wanted == "cuda" and not torch.cuda.is_available():
        raise ModelUnavailableError("device is 'cuda' but PyTorch sees no CUDA GPU: set device to 'cpu' or 'auto'.")
    return wanted


def is_local_path(model_path: str) -> bool:
    return Path(model_path).expanduser().exists() or model_path.startswith((".", "/", "~"))


def in_hub_cache(repo_id: str) -> bool:
    """Whether a hub checkpoint is already in the local Hugging Face cache (no network)."""
    from huggingface_hub import try_to_load_from_cache

    try:
        return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)
    except ValueError:  # not a valid repo id
        return False


def check_files(model_id: str, settings: LocalModelConfig) -> str | None:
    """Why the model cannot be loaded, judged from files alone (None: looks loadable)."""
    if not is_local_path(settings.model_path):
        return None  # a hub id: fetched (or found in the cache) on first use
    folder = Path(settings.model_path).expanduser()
    if not folder.is_dir():
        return (f"models.{model_id}.model_path {settings.model_path!r} does not exist: "
                "point it at a folder holding a GLM chat checkpoint (config.json, tokenizer and weights).")
    if not (folder / "config.json").is_file():
        return (f"models.{model_id}.model_path {settings.model_path!r} has no config.json: "
                "expected a transformers checkpoint folder (config.json, tokenizer files, *.safetensors).")
    if settings.adapter_path:
        from llms.adapters import check_adapter

        return check_adapter(model_id, settings.adapter_path)
    return None


def load(model_id: str, settings: LocalModelConfig) -> LoadedModel:
    """Load tokenizer and model; any failure is a ModelUnavailableError naming the path and the fix."""
    problem = check_files(model_id, settings)
    if problem:
        raise ModelUnavailableError(problem)
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device = resolve_device(settings.device)
    local = is_local_path(settings.model_path)
    path = str(Path(settings.model_path).expanduser()) if local else settings.model_path
    remote = settings.trust_remote_code
    dtype, dtype_reason = plan_dtype(settings, device)
    kwargs: dict = {"trust_remote_code": remote, "dtype": getattr(torch, dtype)}
    if device == "cuda":
        kwargs["device_map"] = "cuda"
        if settings.quantize:
            from transformers import BitsAndBytesConfig

            kwargs["quantization_config"] = BitsAndBytesConfig(
                load_in_4bit=settings.quantize == 4, load_in_8bit=settings.quantize == 8,
                bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=getattr(torch, dtype))
    log.info("loading %s from %s on %s (quantize=%s, %s: %s)", model_id, path, device, settings.quantize,
             dtype, dtype_reason)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=remote)
        model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    except ValueError as exc:
        if "trust_remote_code" in str(exc) and not remote:
            raise ModelUnavailableError(
                f"{path} ships its own model code (an older ChatGLM?); it runs only if you set "
                f"models.{model_id}.trust_remote_code to true and trust that code.") from None
        raise ModelUnavailableError(f"cannot load models.{model_id} from {path}: {exc}") from None
    except OSError as exc:
        if not local and is_transient(exc):
            raise TransientLoadError(
                f"cannot load models.{model_id} from {path}: the Hugging Face hub did not answer "
                f"({_first_line(exc).rstrip('.')}). This may pass: the next request tries again. To avoid the "
                f"network, download it once (huggingface-cli download {settings.model_path}) or set "
                f"models.{model_id}.model_path to a local checkpoint folder.") from None
        where = "this folder" if local else "the Hugging Face hub or its local cache"
        raise ModelUnavailableError(
            f"cannot load models.{model_id} from {path} ({where}): {_first_line(exc).rstrip('.')}. "
            f"Download the checkpoint on a connected machine (huggingface-cli download {settings.model_path}) "
            f"or set models.{model_id}.model_path to a local checkpoint folder.") from None
    except Exception as exc:  # corrupt weights, mismatched shapes, unsupported architecture
        raise ModelUnavailableError(f"cannot load models.{model_id} from {path}: {_first_line(exc)}") from None
    if settings.adapter_path:
        from llms.adapters import apply_adapter

        model = apply_adapter(model, model_id, settings.adapter_path, merge=device == "cpu" or not settings.quantize)
    if device == "cpu":
        model = prepare_for_cpu(model, settings.quantize)
    model.eval()
    if getattr(tokenizer, "chat_template", None) is None and not hasattr(tokenizer, "build_chat_input"):
        raise ModelUnavailableError(
            f"{path} has no chat template: use a chat checkpoint (GLM-4-9B-chat-hf, GLM-4-0414, GLM-Edge chat).")
    config = model.config
    context = getattr(config, "max_position_embeddings", None) or getattr(config, "seq_length", None) or 2048
    return LoadedModel(tokenizer, model, device, int(context), dtype, dtype_reason)


def prepare_for_cpu(model, bits: int | None):
    """Quantize (8 or 4 bits) or pack (None) a loaded model's Linear layers for CPU inference, then give
    back the memory the replaced weights held."""
    import torch

    if bits is None:
        from llms.fused_qkv import fuse_qkv
        from llms.packed_linear import pack_linear_layers

        fuse_qkv(model)
        model = pack_linear_layers(model)
    else:
        from llms.int8_embedding import Int8Embedding

        model.set_input_embeddings(Int8Embedding(model.get_input_embeddings().weight, model.dtype))
    if bits == 8:
        from torch.ao.quantization import quantize_dynamic

        model = quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    elif bits == 4:
        from optimum.quanto import freeze, qint4, qint8, quantize

        quantize(model, weights=qint4, exclude=["lm_head"])
        quantize(model, weights=qint8, include=["lm_head"])
        freeze(model)
    # Parameters left as they were still view the checkpoint's memory map, which keeps every replaced weight resident.
    for param in model.parameters():
        if type(param.data) is torch.Tensor:
            param.data = param.data.clone()
    release_freed_memory()
    return model


def release_freed_memory() -> None:
    """Collect garbage and hand freed heap pages back to the OS: glibc keeps them (such as int8's float32
    starting copy) unless asked, and they would count as resident."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:  # not glibc
        pass


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
