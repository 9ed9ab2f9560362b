"""Examples to token ids with the chat template used in serving, labels only on the answer, and length-grouped batches.

The prompt is rendered exactly as `ChatGLMLLM.render` renders a request (the
tokenizer's chat template with the generation prompt, or ChatGLM3's
`build_chat_input`); the answer's tokens and the end-of-turn token follow. Labels
are -100 (ignored) on the prompt, so the loss counts only what the model must say.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from llms.finetune.data import Example


@dataclass
class Encoded:
    input_ids: list[int]
    labels: list[int]  # -100 on the prompt

    def __len__(self) -> int:
        return len(self.input_ids)


def render_prompt(tokenizer, messages: list[dict]) -> list[int]:
    """The prompt's token ids, as serving renders them."""
    if getattr(tokenizer, "chat_template", None) is None and hasattr(tokenizer, "build_chat_input"):
        *history, last = messages
        return tokenizer.build_chat_input(last["content"], history=history, role=last["role"])["input_ids"][0].tolist()
    return list(tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True,
                                              return_dict=True)["input_ids"])


def end_of_turn(tokenizer, model_config=None) -> int:
    """The token that ends an answer: the tokenizer's eos, which serving stops at."""
    eos = tokenizer.eos_token_id
    if eos is None and model_config is not None:
        eos = model_config.eos_token_id
    return eos[0] if isinstance(eos, list) else eos


def encode(tokenizer, example: Example, max_source: int, max_target: int, eos: int | None = None) -> Encoded:
    """One example as input ids and labels; the prompt keeps its end (where the question and the generation
    prompt are), the answer its start."""
    prompt = render_prompt(tokenizer, example.messages)
    if len(prompt) > max_source:
        prompt = prompt[:1] + prompt[len(prompt) - max_source + 1:] if max_source > 1 else prompt[-1:]
    answer = tokenizer(example.answer, add_special_tokens=False)["input_ids"][:max_target - 1]
    answer = answer + [end_of_turn(tokenizer) if eos is None else eos]
    return Encoded(prompt + answer, [-100] * len(prompt) + answer)


def batches(lengths: list[int], batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    """The epoch's batches of example indices: a seeded shuffle, then groups of similar length (sorted within
    windows of 32 batches) so little of a batch is padding, then the batches shuffled."""
    rng = random.Random(seed * 1_000_003 + epoch)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    window = batch_size * 32
    out = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start:start + window], key=lambda i: lengths[i], reverse=True)
        out += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(out)
    return out


def collate(items: list[Encoded], pad_id: int):
    """Right-padded tensors: input_ids, attention_mask, labels."""
    import torch

    width = max(len(item) for item in items)
    ids = torch.full((len(items), width), pad_id, dtype=torch.long)
    labels = torch.full((len(items), width), -100, dtype=torch.long)
    mask = torch.zeros((len(items), width), dtype=torch.long)
    for row, item in enumerate(items):
        n = len(item)
        ids[row, :n] = torch.tensor(item.input_ids)
        labels[row, :n] = torch.tensor(item.labels)
        mask[row, :n] = 1
    return ids, mask, labels
