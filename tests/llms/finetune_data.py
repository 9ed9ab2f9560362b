"""Training pairs for the fine-tuning tests: the first CMRC 2018 questions with short answers, and the tiny-model settings that memorise them."""

from __future__ import annotations

import json
from pathlib import Path

from llms.config import LocalModelConfig
from llms.finetune import TrainSettings

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"

#: Enough for the tiny random model to memorise 30 pairs (measured: exact match 0.97 after 200 steps); float32
#: so every machine computes the same (dtype auto would pick bf16 on CPUs with AVX512_BF16).
MEMORISE = dict(rank=16, alpha=32, dropout=0.0, learning_rate=5e-3, batch_size=8, max_steps=200, eval_share=0,
                warmup_ratio=0.05, eval_every=0, save_every=1000, dtype="float32")


def cmrc_pairs(count: int = 30, max_answer: int = 12) -> list[dict]:
    """qapair pair dicts (question, answer, chunk) from CMRC 2018 dev, answers of at most `max_answer` characters."""
    data = json.loads((DATA / "cmrc2018_dev.json").read_text(encoding="utf-8"))
    pairs = []
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                answer = qa["answers"][0]["text"]
                if len(answer) <= max_answer and len(pairs) < count:
                    pairs.append({"question": qa["question"], "answer": answer, "chunk": paragraph["context"]})
    return pairs


def local(model_path: str, **extra) -> LocalModelConfig:
    """The tiny model in float32 on the CPU: its random logits are nearly flat, and bf16 rounding would
    decide some argmaxes the adapter learnt."""
    return LocalModelConfig(backend="local", model_path=model_path, dtype="float32", device="cpu", **extra)


def settings(**changes) -> TrainSettings:
    return TrainSettings(**{**MEMORISE, **changes})
