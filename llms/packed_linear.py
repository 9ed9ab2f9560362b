"""Linear layers with their weights packed once for oneDNN, for unquantized models on CPU.

A plain bf16 `nn.Linear` on CPU hands oneDNN a row-major weight that it
re-lays-out on every call, so decoding reads each weight about three times.
Packing it once, with the same PyTorch ops that `torch.compile`'s CPU freezing
uses (`mkldnn._reorder_linear_weight`, `mkldnn._linear_pointwise`), made the
bench model's generate 1.3x (8 rows) to 1.4x (one row) faster here, with the
same tokens (bench/README.md, "Serving"). Where this PyTorch build or CPU lacks
the ops, or a packed layer does not reproduce `F.linear` on a probe input, the
model keeps its plain layers.
"""

from __future__ import annotations

import logging

import torch
import torch.nn.functional as F
from torch import nn

log = logging.getLogger(__name__)


class PackedLinear(nn.Module):
    """Inference-only stand-in for nn.Linear holding a oneDNN-packed weight."""

    def __init__(self, linear: nn.Linear):
        super().__init__()
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.register_buffer("weight", torch.ops.mkldnn._reorder_linear_weight(linear.weight.detach(), None))
        self.register_buffer("bias", None if linear.bias is None else linear.bias.detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.ops.mkldnn._linear_pointwise(x.contiguous(), self.weight, self.bias, "none", [], "")

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, packed for oneDNN"


def supported(dtype: torch.dtype) -> bool:
    """Whether this PyTorch build and CPU can pack linear weights of `dtype`."""
    if not torch.backends.mkldnn.is_available() or not hasattr(torch.ops.mkldnn, "_linear_pointwise"):
        return False
    return dtype == torch.float32 or (dtype == torch.bfloat16 and torch.ops.mkldnn._is_mkldnn_bf16_supported())


def pack_linear_layers(model: nn.Module) -> nn.Module:
    """Replace the model's nn.Linear layers by PackedLinear where that works and gives the same results."""
    linears = [(name, module) for name, module in model.named_modules() if type(module) is nn.Linear]
    if not linears or not supported(linears[0][1].weight.dtype):
        return model
    name, first = linears[0]
    try:
        probe = torch.randn(3, first.in_features, dtype=first.weight.dtype, generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            packed, plain = PackedLinear(first)(probe), F.linear(probe, first.weight, first.bias)
        same = torch.allclose(packed.float(), plain.float(), rtol=0.02, atol=0.02 * plain.abs().max().item())
    except RuntimeError as exc:
        log.info("linear layers stay unpacked: %s", exc)
        return model
    if not same:
        log.info("linear layers stay unpacked: packed %s differs from F.linear", name)
        return model
    for name, linear in linears:
        parent, _, attribute = name.rpartition(".")
        setattr(model.get_submodule(parent), attribute, PackedLinear(linear))
    return model
