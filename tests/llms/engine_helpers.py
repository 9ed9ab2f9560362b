"""What the engine test modules share: the tiny GLM-4 loaded in float32, and a question as chat prompt ids."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from llms.loading import LoadedModel


@pytest.fixture(scope="module")
def loaded(tiny_model_path):
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_path)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_path, dtype=torch.float32).eval()
    return LoadedModel(tokenizer, model, "cpu", model.config.max_position_embeddings)


def prompt(loaded, question: str, repeat: int = 1) -> list[int]:
    """The chat template's ids for `question` (said `repeat` times), ready for a reply."""
    text = " ".join([question] * repeat)
    return list(loaded.tokenizer.apply_chat_template([{"role": "user", "content": text}],
                                                     add_generation_prompt=True, return_dict=True)["input_ids"])
