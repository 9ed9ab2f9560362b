"""One Linear for a GLM-4 attention layer's q, k and v projections, for CPU decoding.

At batch 1 each projection is a matrix-vector product whose fixed cost per call
counts: k and v of the bench model are 1024x256 each, and replacing them by
nothing saved 0.8 ms of a 19 ms decode step where their bytes take 0.46 ms
(bench/README.md, "The engine on every machine"). One Linear with the three
weights stacked reads the same bytes in one call. The attention's forward is
transformers' own with the three projections taken from that one output, and
(outside autograd) the rotary embedding applied to q and k together in place,
with the interleaved cos/sin made once a step instead of twice a layer: the same
bits as transformers' apply_rotary_pos_emb in about a third of its ops. Together
the two took a batch-1 decode step of the bench model from 19.6 to 18.5 ms.
"""

from __future__ import annotations

import logging
from types import MethodType

import torch
from torch import nn

log = logging.getLogger(__name__)

FUSABLE = {"Glm4Attention"}  # whose forward `_forward` reproduces (others keep theirs)


def fuse_qkv(model: nn.Module) -> int:
    """Give each fusable attention one `qkv_proj` Linear and a forward that uses it; returns how many."""
    fused = 0
    for module in model.modules():
        if type(module).__name__ not in FUSABLE or not all(
                type(getattr(module, name, None)) is nn.Linear for name in ("q_proj", "k_proj", "v_proj")):
            continue
        module_globals = type(module).forward.__globals__
        if "apply_rotary_pos_emb" not in module_globals or "eager_attention_forward" not in module_globals:
            continue
        q, k, v = module.q_proj, module.k_proj, module.v_proj
        if len({p.bias is None for p in (q, k, v)}) != 1:
            continue
        qkv = nn.Linear(q.in_features, q.out_features + k.out_features + v.out_features, bias=q.bias is not None,
                        device=q.weight.device, dtype=q.weight.dtype)
        with torch.no_grad():
            qkv.weight.copy_(torch.cat([q.weight, k.weight, v.weight]))
            if q.bias is not None:
                qkv.bias.copy_(torch.cat([q.bias, k.bias, v.bias]))
        module.qkv_proj, module.qkv_sizes = qkv, (q.out_features, k.out_features, v.out_features)
        del module.q_proj, module.k_proj, module.v_proj
        module.forward = MethodType(_forward, module)
        fused += 1
    return fused


def _forward(self, hidden_states: torch.Tensor, position_embeddings=None, attention_mask=None,
             past_key_values=None, **kwargs):
    """transformers' Glm4Attention.forward (5.x), with q, k and v from one Linear."""
    module_globals = type(self).forward.__globals__
    input_shape = hidden_states.shape[:-1]
    hidden_shape = (*input_shape, -1, self.head_dim)
    qkv = self.qkv_proj(hidden_states)
    query, key, value = qkv.split(self.qkv_sizes, dim=-1)
    cos, sin = position_embeddings
    rotate_in_place = not torch.is_grad_enabled() and cos.dim() == 3 and cos.shape[-1] <= self.head_dim
    if rotate_in_place:  # q and k heads side by side in qkv: one rotation for both, written where they are
        _rotate(qkv[..., :self.qkv_sizes[0] + self.qkv_sizes[1]].view(*input_shape, -1, self.head_dim), cos, sin)
    query_states = query.view(hidden_shape).transpose(1, 2)
    key_states = key.view(hidden_shape).transpose(1, 2)
    value_states = value.view(hidden_shape).transpose(1, 2)
    if not rotate_in_place:
        query_states, key_states = module_globals["apply_rotary_pos_emb"](query_states, key_states, cos, sin)
    if past_key_values is not None:
        key_states, value_states = past_key_values.update(key_states, value_states, self.layer_idx)
    attention_interface = module_globals["ALL_ATTENTION_FUNCTIONS"].get_interface(
        self.config._attn_implementation, module_globals["eager_attention_forward"])
    attn_output, attn_weights = attention_interface(
        self, query_states, key_states, value_states, attention_mask,
        dropout=0.0 if not self.training else self.attention_dropout, scaling=self.scaling, **kwargs)
    attn_output = attn_output.reshape(*input_shape, -1).contiguous()
    return self.o_proj(attn_output), attn_weights


_interleaved: tuple = (None, None, None, None)  # the last step's cos and sin, and their GLM-4 interleaved forms


def _rotate(heads: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> None:
    """GLM-4's rotary embedding (transformers' glm4 apply_rotary_pos_emb: interleaved pairs, first cos.shape[-1]
    dims of each head) applied in place to `heads` [batch, tokens, heads, head dim], with the same ops on the
    same dtypes, so the same bits; cos and sin [batch, tokens, rotary dims] are the same objects for every layer
    of a step, so their interleaved forms are made once a step."""
    global _interleaved
    last = _interleaved
    if last[0] is cos and last[1] is sin:
        cos_i, sin_i = last[2], last[3]
    else:
        half = cos.shape[-1] // 2
        cos_i = cos.unsqueeze(2)[..., :half].repeat_interleave(2, dim=-1)
        sin_i = sin.unsqueeze(2)[..., :half].repeat_interleave(2, dim=-1)
        _interleaved = (cos, sin, cos_i, sin_i)
    rot = heads[..., :cos_i.shape[-1]]
    half_turn = torch.stack((-rot[..., 1::2], rot[..., 0::2]), dim=-1).flatten(-2)
    rot.copy_(rot * cos_i + half_turn * sin_i)
