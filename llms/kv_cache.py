"""KV caches: one request's own keys and values (`RowKV`, the engine's), in buffers that grow in blocks.

`RowKV` holds one request's keys and values for every layer, in buffers with at
most ROW_GROWTH spare positions, so the KV memory of a batch follows the tokens
its requests hold, not rows x the longest prompt (llms/ragged.py attends over it).

Buffers grow by blocks and new positions are written in place: concatenating every
new position (as transformers' DynamicLayer does) copies the whole cache each step
(about 7% of a batch-8 step of the bench model on CPU).
"""

from __future__ import annotations

import torch

ROW_GROWTH = 32  # spare positions a RowKV buffer gets when it grows


def _appended(stored: tuple[torch.Tensor | None, int], new: torch.Tensor,
              growth: int = ROW_GROWTH) -> tuple[torch.Tensor, int]:
    """`new` written after the filled positions, in a buffer grown by `growth` spare positions when it is full."""
    room, length = stored
    end = length + new.shape[-2]
    if room is None or end > room.shape[-2]:
        grown = new.new_empty((*new.shape[:-2], end + growth, new.shape[-1]))
        if room is not None:
            grown[..., :length, :] = room[..., :length, :]
        room = grown
    room[..., length:end, :] = new
    return room, end


class RowKV:
    """One request's keys and values, [1, kv heads, positions, head dim] per layer; `length` positions are held.

    `write` puts a step's new positions after the held ones (a step may fail, so they count only once
    `commit` is called after the whole forward succeeded) and returns views of everything to attend to.
    """

    def __init__(self, layers: int):
        self.keys: list[torch.Tensor | None] = [None] * layers
        self.values: list[torch.Tensor | None] = [None] * layers
        self.length = 0

    def write(self, layer: int, keys: torch.Tensor, values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        self.keys[layer], end = _appended((self.keys[layer], self.length), keys)
        self.values[layer], _ = _appended((self.values[layer], self.length), values)
        return self.keys[layer][..., :end, :], self.values[layer][..., :end, :]

    def commit(self, count: int) -> None:
        self.length += count

    def nbytes(self) -> int:
        """Bytes the buffers take, spare room included."""
        return sum(t.numel() * t.element_size() for t in self.keys + self.values if t is not None)


def kv_bytes_per_token(config, element_size: int) -> int:
    """Bytes of keys and values one token takes over all layers of a model with this config."""
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    kv_heads = getattr(config, "num_key_value_heads", None) or config.num_attention_heads
    return 2 * config.num_hidden_layers * kv_heads * head_dim * element_size
