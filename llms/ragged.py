"""One forward over several requests' new tokens packed in one row, each attending only to its own RowKV.

The engine's step puts every running request's new tokens (one for a decoding
request, a chunk of prompt for a prefilling one) side by side in a single
[1, tokens] input with their own positions. The Linear layers see all of them at
once; attention goes through an attention function registered with transformers
(`AttentionInterface`) which, when the forward carries a `ragged` argument,
writes each request's new keys and values into its RowKV and attends over that
request's positions alone: no padding, no mask over the whole batch. Without the
argument (a plain `model.generate`) it is the model's own attention.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from transformers import AttentionInterface
from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, AttentionMaskInterface
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS

from llms.kv_cache import RowKV

PREFIX = "qapair_ragged|"
_NO_MASK = torch.zeros(1, 1, 0, 0, dtype=torch.bool)  # a "4D mask" makes transformers skip building one


@dataclass
class Segment:
    """One request's part of a step: its cache and how many new tokens it adds."""

    kv: RowKV
    count: int


def enable(model) -> None:
    """Route the model's attention through `ragged_attention` (its own attention when not called ragged)."""
    current = model.config._attn_implementation or "sdpa"
    if current.startswith(PREFIX):
        return
    name = PREFIX + current
    fallback = ALL_ATTENTION_FUNCTIONS.get(current)
    if fallback is None:  # "eager" is each model's own function, found by transformers' default
        from transformers.integrations.sdpa_attention import sdpa_attention_forward as fallback
        current = "sdpa"

    def attention(module, query, key, value, attention_mask, ragged: list[Segment] | None = None, **kwargs):
        if ragged is None:
            return fallback(module, query, key, value, attention_mask, **kwargs)
        return ragged_attention(module, query, key, value, ragged, kwargs.get("scaling"))

    AttentionInterface.register(name, attention)
    AttentionMaskInterface.register(name, ALL_MASK_ATTENTION_FUNCTIONS[current])
    model.set_attn_implementation(name)


def forward(model, ids: torch.Tensor, positions: torch.Tensor, segments: list[Segment],
            keep: torch.Tensor) -> torch.Tensor:
    """Logits [len(keep), vocab] at the packed indices `keep`, for `ids` and `positions` of shape [1, tokens].

    The caches hold the new positions only once the caller commits them.
    """
    out = model(input_ids=ids, position_ids=positions, attention_mask=_NO_MASK.to(ids.device), use_cache=False,
                ragged=segments, logits_to_keep=keep)
    return out.logits[0]


def ragged_attention(module, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                     segments: list[Segment], scaling: float | None) -> tuple[torch.Tensor, None]:
    """query [1, heads, tokens, dim], key and value [1, kv heads, tokens, dim] -> output [1, tokens, heads, dim]."""
    heads, kv_heads, dim = query.shape[1], key.shape[1], query.shape[-1]
    groups = heads // kv_heads
    outputs, start = [], 0
    for segment in segments:
        end = start + segment.count
        keys, values = segment.kv.write(module.layer_idx, key[:, :, start:end], value[:, :, start:end])
        q = query[:, :, start:end]
        if segment.count == 1:  # decoding: each kv head's query heads as a group of rows, no mask
            out = F.scaled_dot_product_attention(q.reshape(1, kv_heads, groups, dim), keys, values, scale=scaling)
            out = out.reshape(1, heads, 1, dim)
        else:
            held = keys.shape[-2] - segment.count
            mask = None
            if held:  # a later chunk: its token i sees the held positions and the chunk up to i
                mask = torch.ones(segment.count, keys.shape[-2], dtype=torch.bool, device=q.device).tril(held)
            out = F.scaled_dot_product_attention(q, keys, values, attn_mask=mask, is_causal=not held,
                                                 scale=scaling, enable_gqa=groups > 1)
        outputs.append(out)
        start = end
    output = outputs[0] if len(outputs) == 1 else torch.cat(outputs, dim=2)
    return output.transpose(1, 2).contiguous(), None
