"""PackedLinear and pack_linear_layers: oneDNN-packed weights give F.linear's results, or nothing changes."""

import pytest
import torch
import torch.nn.functional as F
from transformers import AutoModelForCausalLM

from llms import packed_linear
from llms.packed_linear import PackedLinear, pack_linear_layers

DTYPES = [d for d in (torch.float32, torch.bfloat16) if packed_linear.supported(d)]
needs_packing = pytest.mark.skipif(not DTYPES, reason="this PyTorch build or CPU cannot pack linear weights")


@needs_packing
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias", [True, False])
def test_packed_layer_computes_what_the_linear_layer_does(dtype, bias):
    torch.manual_seed(0)
    linear = torch.nn.Linear(64, 48, bias=bias).to(dtype)
    packed = PackedLinear(linear)
    with torch.no_grad():
        for x in (torch.randn(5, 64), torch.randn(2, 7, 64), torch.randn(7, 2, 64).transpose(0, 1)):
            x = x.to(dtype)
            expected = F.linear(x.contiguous(), linear.weight, linear.bias)
            assert torch.allclose(packed(x).float(), expected.float(), rtol=1e-2, atol=1e-2)


@needs_packing
@pytest.mark.parametrize("dtype", DTYPES)
def test_packed_model_generates_the_same_tokens(tiny_model_path, dtype):
    def load():
        return AutoModelForCausalLM.from_pretrained(tiny_model_path, dtype=dtype).eval()

    plain, packed = load(), pack_linear_layers(load())
    assert not any(type(m) is torch.nn.Linear for m in packed.modules())
    assert sum(isinstance(m, PackedLinear) for m in packed.modules()) == sum(
        type(m) is torch.nn.Linear for m in plain.modules())
    ids = torch.randint(10, 2000, (2, 12), generator=torch.Generator().manual_seed(0))
    outputs = [model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=24, do_sample=False,
                              pad_token_id=0) for model in (plain, packed)]
    assert torch.equal(outputs[0], outputs[1])


def test_model_keeps_plain_layers_where_packing_is_unsupported(tiny_model_path, monkeypatch):
    monkeypatch.setattr(packed_linear, "supported", lambda dtype: False)
    model = pack_linear_layers(AutoModelForCausalLM.from_pretrained(tiny_model_path, dtype=torch.float32))
    assert not any(isinstance(m, PackedLinear) for m in model.modules())


@needs_packing
def test_model_keeps_plain_layers_when_a_packed_layer_gets_a_different_result(tiny_model_path, monkeypatch):
    # A CPU whose packed kernel is wrong cannot be produced here, so the packed op is made to answer wrongly.
    monkeypatch.setattr(PackedLinear, "forward", lambda self, x: torch.zeros(*x.shape[:-1], self.out_features))
    model = pack_linear_layers(AutoModelForCausalLM.from_pretrained(tiny_model_path, dtype=DTYPES[0]))
    assert not any(isinstance(m, PackedLinear) for m in model.modules())
