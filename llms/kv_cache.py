"""KV caches: one request's own keys and values (`RowKV`, the engine's), and a block-growing DynamicCache.

`RowKV` holds one request's keys and values for every layer, in buffers with at
most ROW_GROWTH spare positions, so the KV memory of a batch follows the tokens
its requests hold, not rows x the longest prompt (llms/ragged.py attends over it).

DynamicLayer concatenates every new position onto its key and value tensors, so
each decode step copies the whole cache of every layer (about 7% of a batch-8
step of the bench model on CPU). `GrowingLayer` keeps spare room at the end and
writes new positions in place; its `keys` and `values` are views of the filled
part, and assigning them (as `batch_select_indices` and the engine's merging
and trimming do) replaces the storage, so it behaves as a DynamicLayer.
"""

from __future__ import annotations

import torch
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer

GROWTH = 64  # spare positions added whenever a layer runs out of room


class GrowingLayer(DynamicLayer):
    """Keys and values [batch, heads, length, dim] held in buffers with room for GROWTH more positions."""

    def __init__(self, **kwargs):
        # Each buffer with the number of positions filled; the two are set one after the other, so each has its own.
        self._keys: tuple[torch.Tensor | None, int] = (None, 0)
        self._values: tuple[torch.Tensor | None, int] = (None, 0)
        super().__init__(**kwargs)

    @property
    def keys(self) -> torch.Tensor | None:
        return _filled(self._keys)

    @keys.setter
    def keys(self, states: torch.Tensor | None) -> None:
        self._keys = _stored(states)

    @property
    def values(self) -> torch.Tensor | None:
        return _filled(self._values)

    @values.setter
    def values(self, states: torch.Tensor | None) -> None:
        self._values = _stored(states)

    def get_seq_length(self) -> int:
        return self._keys[1]

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs):
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        self._keys = _appended(self._keys, key_states)
        self._values = _appended(self._values, value_states)
        return self.keys, self.values


def _stored(states: torch.Tensor | None) -> tuple[torch.Tensor | None, int]:
    if states is None or states.dim() < 4:  # unset, or DynamicLayer's empty placeholder
        return None, 0
    return states, states.shape[-2]


def _filled(stored: tuple[torch.Tensor | None, int]) -> torch.Tensor | None:
    room, length = stored
    return None if room is None else room[..., :length, :]


def _appended(stored: tuple[torch.Tensor | None, int], new: torch.Tensor,
              growth: int = GROWTH) -> tuple[torch.Tensor, int]:
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


ROW_GROWTH = 32  # spare positions a RowKV buffer gets when it grows


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
        self.keys[layer], end = _appended((self.keys[layer], self.length), keys, ROW_GROWTH)
        self.values[layer], _ = _appended((self.values[layer], self.length), values, ROW_GROWTH)
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


def growing_cache(config) -> DynamicCache:
    """A DynamicCache for `config` whose full-attention layers are GrowingLayers."""
    cache = DynamicCache(config=config)
    cache.layers = [GrowingLayer() if type(layer) is DynamicLayer else layer for layer in cache.layers]
    return cache
