"""The model part of the config file shared by the CLIs and the web app, as typed pydantic classes.

`cfg.example.json` documents every field. This module owns `models` and the
generation defaults; settings of other floors (storage, upload limits, grounding,
the API token) live in `qa/settings.py`, whose `Settings` extends `ModelsConfig`
and reads the same file. Wrong types and unknown fields inside `models` are errors
that name the file and the field; unknown top-level fields are left to the full
`Settings` (the app and `python -m qa` reject them), so `python -m llms.chatglm`
reads a file written for the whole app. With no file, `ModelsConfig()` gives the
built-in defaults (a ChatGPT model read from OPENAI_* variables and the default
local GLM checkpoint from the hub).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal, TypeVar, Union

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from llms.errors import ConfigError
from llms.options import DEFAULT_MAX_TOKENS, DEFAULT_TEMPERATURE, MaxTokens, Temperature

DEFAULT_LOCAL_MODEL = "zai-org/glm-edge-1.5b-chat"
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class OpenAIModelConfig(_Strict):
    """A model behind any OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp, transformers serve)."""

    backend: Literal["openai"]
    name: str | None = Field(None, description="Display name in the page.")
    base_url: str | None = Field(None, description="Endpoint; falls back to OPENAI_BASE_URL, then OpenAI.")
    api_key: SecretStr | None = Field(None, description="Key; falls back to OPENAI_API_KEY.")
    model: str = Field(DEFAULT_OPENAI_MODEL, description="Model name sent to the endpoint.")
    timeout: float = Field(120.0, gt=0, le=3600, description="Seconds to wait for one request.")
    max_retries: int = Field(2, ge=0, le=10, description="Retries on connection errors, 429 and 5xx.")
    max_concurrent: int = Field(64, ge=1, le=1024,
                                description="Requests sent to this endpoint at once; more get 503 with Retry-After.")
    language: Literal["zh", "en"] | None = Field(None, description="Force the preset language.")


class LocalModelConfig(_Strict):
    """A GLM chat model loaded in-process with transformers."""

    backend: Literal["local"]
    name: str | None = Field(None, description="Display name in the page.")
    model_path: str = Field(DEFAULT_LOCAL_MODEL, description="Local folder or hub id.")
    quantize: Literal[4, 8] | None = Field(None, description="Weight quantization: 4, 8 or null.")
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = Field(
        "auto", description="Weights and compute without quantization. auto: bfloat16 where the CPU computes it "
                            "natively (AVX512_BF16 or AMX), else float32; on CUDA bfloat16 where supported, else float16.")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="Where to run the model.")
    trust_remote_code: bool = Field(False, description="Run modeling code shipped with the checkpoint.")
    adapter_path: str | None = Field(None, description="A LoRA adapter folder (peft, e.g. from python -m llms.finetune) "
                                     "applied to model_path; the pair is served under this model id.")
    max_batch_size: int = Field(8, ge=1, le=64, description="Most requests decoded together.")
    max_queue: int = Field(32, ge=0, le=1024, description="Requests waiting beyond the batch; more get 503.")
    kv_budget_tokens: int | None = Field(
        None, ge=64, le=10_000_000, description="Tokens of KV cache the running requests may hold together (prompt + "
                                                "max_tokens of each is reserved at admission); null: what half the free "
                                                "memory holds, at most a full context per row.")
    prefill_chunk: int = Field(
        512, ge=16, le=8192, description="Most prompt tokens prefilled in one engine step; while other requests "
                                         "decode, a step takes fewer, so their next token waits about 2 steps.")
    language: Literal["zh", "en"] | None = Field(None, description="Force the preset language.")


ModelConfig = Annotated[Union[OpenAIModelConfig, LocalModelConfig], Field(discriminator="backend")]


def _default_models() -> dict:
    return {
        "chatgpt": OpenAIModelConfig(backend="openai", name="ChatGPT"),
        "chatglm": LocalModelConfig(backend="local", name="ChatGLM (GLM-Edge 1.5B chat)"),
    }


class ModelsConfig(BaseModel):
    """The models and generation defaults of the config file; other top-level fields belong to other floors."""

    model_config = ConfigDict(extra="ignore", protected_namespaces=())

    models: dict[str, ModelConfig] = Field(default_factory=_default_models)
    max_tokens: MaxTokens = Field(DEFAULT_MAX_TOKENS, description="Default max_tokens.")
    temperature: Temperature = Field(DEFAULT_TEMPERATURE, description="Default temperature.")


Config = TypeVar("Config", bound=ModelsConfig)


def load_config(path: str | Path | None, schema: type[Config] = ModelsConfig) -> Config:
    """Read a config file and validate it as `schema`; None gives the schema's defaults."""
    if path is None:
        return schema()
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    try:
        return schema.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        # Drop the discriminator tag pydantic adds to the path of a tagged union.
        loc = [str(p) for p in err["loc"] if str(p) not in ("openai", "local")]
        field = ".".join(loc) or "(top level)"
        raise ConfigError(f"{path}: {field}: {err['msg']}", param=field) from None
