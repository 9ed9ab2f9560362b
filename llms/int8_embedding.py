"""An input embedding stored in int8 with one scale per token row, for CPU-quantized models.

Neither optimum-quanto nor torch's dynamic quantization quantizes embeddings, and
torch.ao's quantized Embedding is deprecated, returns float32 and wants 1-D
contiguous indices. A bf16 embedding is a fifth of a 4-bit 1B model's memory;
in int8 it is half that, and a lookup dequantizes only the rows it reads.
"""

from __future__ import annotations

import torch
from torch import nn


class Int8Embedding(nn.Module):
    """Drop-in for nn.Embedding at inference: int8 rows, symmetric per-row scales, output in `dtype`."""

    def __init__(self, weight: torch.Tensor, dtype: torch.dtype):
        super().__init__()
        rows = weight.detach().float()
        scale = rows.abs().amax(dim=1, keepdim=True).clamp(min=1e-12) / 127
        self.register_buffer("weight", torch.round(rows / scale).to(torch.int8))
        self.register_buffer("scale", scale)
        self.dtype = dtype
        self.num_embeddings, self.embedding_dim = weight.shape

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return (self.weight[input_ids].float() * self.scale[input_ids]).to(self.dtype)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}, int8 per-row, out={self.dtype}"
