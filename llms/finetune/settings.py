"""The settings of one LoRA training run, with defaults that suit a few hundred to a few thousand pairs."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: LoRA targets for the GLM architectures transformers ships (GLM-4, GLM-4-0414, GLM-Edge): attention and MLP.
GLM_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_up_proj", "down_proj")
#: ChatGLM2/3 with their own (remote) model code fuse q, k and v into one layer.
CHATGLM_REMOTE_TARGETS = ("query_key_value",)


class TrainSettings(BaseModel):
    """LoRA fine-tuning settings (the CLI's flags, the page's form and the run's state.json share them)."""

    model_config = ConfigDict(extra="forbid")

    rank: int = Field(8, ge=1, le=256, description="LoRA rank r.")
    alpha: float = Field(16.0, gt=0, le=1024, description="LoRA alpha (the update is scaled by alpha / rank).")
    dropout: float = Field(0.05, ge=0, lt=1, description="Dropout on the LoRA input.")
    target_modules: list[str] | None = Field(
        None, max_length=32, description="Layer names to adapt; default: the GLM targets the model has.")
    learning_rate: float = Field(2e-4, gt=0, le=1, description="AdamW peak learning rate.")
    weight_decay: float = Field(0.0, ge=0, le=1)
    warmup_ratio: float = Field(0.03, ge=0, le=0.5, description="Share of steps with a linear warm-up.")
    max_grad_norm: float = Field(1.0, gt=0, le=100)
    epochs: float = Field(3.0, gt=0, le=1000, description="Passes over the training split.")
    max_steps: int | None = Field(None, ge=1, le=10_000_000, description="Optimizer steps; overrides epochs.")
    batch_size: int = Field(4, ge=1, le=512, description="Examples per forward pass.")
    grad_accumulation: int = Field(1, ge=1, le=1024, description="Forward passes per optimizer step.")
    max_source_length: int = Field(512, ge=8, le=131072, description="Prompt tokens kept (its end is cut).")
    max_target_length: int = Field(256, ge=1, le=131072, description="Answer tokens kept (its end is cut).")
    eval_share: float = Field(0.1, ge=0, lt=1, description="Share of pairs held out for evaluation.")
    eval_every: int = Field(50, ge=0, le=1_000_000, description="Steps between eval losses (0: at the end only).")
    save_every: int = Field(100, ge=1, le=1_000_000, description="Steps between checkpoints.")
    keep_checkpoints: int = Field(2, ge=1, le=100)
    seed: int = Field(42, ge=0, le=2**31 - 1)
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto", description="Base weights and compute: auto is bfloat16 on GPUs and on CPUs that compute it "
                            "natively (AVX512_BF16, AMX), else float32 (float16 on GPUs without bf16).")
    quantize: Literal[4, 8] | None = Field(None, description="QLoRA: a 4/8-bit base (bitsandbytes, CUDA only).")
    gradient_checkpointing: bool = Field(False, description="Trade compute for memory (large models on a GPU).")
