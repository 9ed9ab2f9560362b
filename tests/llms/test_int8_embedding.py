"""Int8Embedding: int8 rows with per-row scales that read back close to the original vectors."""

import torch

from llms.int8_embedding import Int8Embedding


def test_lookups_match_the_original_rows_within_half_a_step():
    torch.manual_seed(0)
    original = torch.nn.Embedding(100, 16)
    original.weight.data[3] *= 50  # one row far larger than the rest keeps its own scale
    quantized = Int8Embedding(original.weight, torch.float32)
    ids = torch.tensor([[3, 0, 99], [5, 5, 42]])
    expected = original(ids).detach()
    got = quantized(ids)
    assert got.shape == expected.shape and got.dtype == torch.float32
    steps = (original.weight.abs().amax(dim=1) / 127)[ids].unsqueeze(-1)
    assert torch.all((got - expected).abs() <= steps / 2 + 1e-6)


def test_stores_a_byte_per_value_and_returns_the_model_dtype():
    weight = torch.randn(1000, 64, dtype=torch.bfloat16)
    quantized = Int8Embedding(weight, torch.bfloat16)
    stored = sum(t.numel() * t.element_size() for t in quantized.state_dict().values())
    assert quantized.weight.dtype == torch.int8
    assert stored < 0.6 * weight.numel() * weight.element_size()
    assert quantized(torch.tensor([1, 2])).dtype == torch.bfloat16
