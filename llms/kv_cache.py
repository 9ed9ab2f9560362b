"""A transformers DynamicCache whose layers grow in blocks instead of by one torch.cat per token.

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


def _appended(stored: tuple[torch.Tensor | None, int], new: torch.Tensor) -> tuple[torch.Tensor, int]:
    """`new` written after the filled positions, in a buffer grown by GROWTH positions when it is full."""
    room, length = stored
    end = length + new.shape[-2]
    if room is None or end > room.shape[-2]:
        grown = new.new_empty((*new.shape[:-2], end + GROWTH, new.shape[-1]))
        if room is not None:
            grown[..., :length, :] = room[..., :length, :]
        room = grown
    room[..., length:end, :] = new
    return room, end


def growing_cache(config) -> DynamicCache:
    """A DynamicCache for `config` whose full-attention layers are GrowingLayers."""
    cache = DynamicCache(config=config)
    cache.layers = [GrowingLayer() if type(layer) is DynamicLayer else layer for layer in cache.layers]
    return cache
