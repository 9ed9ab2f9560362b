"""fuse_qkv: a GLM-4 attention with one q/k/v Linear computes and generates what the three Linears did."""

import pytest
import torch
from transformers import AutoModelForCausalLM

from llms.fused_qkv import fuse_qkv


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_fused_model_generates_the_same_tokens(tiny_model_path, dtype):
    def load():
        return AutoModelForCausalLM.from_pretrained(tiny_model_path, dtype=dtype).eval()

    plain, fused = load(), load()
    layers = plain.config.num_hidden_layers
    assert fuse_qkv(fused) == layers
    assert sum(hasattr(m, "qkv_proj") and not hasattr(m, "q_proj") for m in fused.modules()) == layers
    ids = torch.randint(10, 2000, (2, 12), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        logits = [model(ids).logits.float() for model in (plain, fused)]
        outputs = [model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=24, do_sample=False,
                                  pad_token_id=0) for model in (plain, fused)]
    assert torch.allclose(logits[0], logits[1], rtol=1e-2, atol=1e-2 * logits[0].abs().max().item())
    assert torch.equal(outputs[0], outputs[1])


def test_other_attention_kinds_keep_their_layers():
    class Attention(torch.nn.Module):  # not a known attention class: left as it is
        def __init__(self):
            super().__init__()
            self.q_proj, self.k_proj, self.v_proj = (torch.nn.Linear(8, 8) for _ in range(3))

    model = torch.nn.Sequential(Attention())
    assert fuse_qkv(model) == 0
    assert hasattr(model[0], "q_proj") and not hasattr(model[0], "qkv_proj")


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_rotation_in_place_gives_transformers_bits(dtype):
    from transformers.models.glm4.modeling_glm4 import apply_rotary_pos_emb

    from llms.fused_qkv import _rotate

    generator = torch.Generator().manual_seed(0)
    q, k = (torch.randn(2, 5, heads, 64, generator=generator).to(dtype) for heads in (8, 2))
    angles = torch.randn(2, 5, 16, generator=generator)
    cos, sin = (torch.cat([f(angles)] * 2, dim=-1).to(dtype) for f in (torch.cos, torch.sin))
    expected = apply_rotary_pos_emb(q.transpose(1, 2), k.transpose(1, 2), cos, sin)
    heads = torch.cat([q, k], dim=2)
    with torch.no_grad():
        _rotate(heads, cos, sin)
        assert torch.equal(heads[:, :, :8].transpose(1, 2), expected[0])
        assert torch.equal(heads[:, :, 8:].transpose(1, 2), expected[1])
        _rotate(q, cos, sin)  # the interleaved cos and sin kept from the call before
        assert torch.equal(q.transpose(1, 2), expected[0])
