"""GrowingLayer behaves as transformers' DynamicLayer, but appends in place."""

import torch
from transformers import AutoModelForCausalLM, DynamicCache
from transformers.cache_utils import DynamicLayer

from llms.kv_cache import GROWTH, GrowingLayer, growing_cache


def states(rows: int, length: int) -> torch.Tensor:
    return torch.randn(rows, 2, length, 4)


def same(layer: GrowingLayer, reference: DynamicLayer) -> bool:
    return (layer.get_seq_length() == reference.get_seq_length() and torch.equal(layer.keys, reference.keys)
            and torch.equal(layer.values, reference.values))


def test_follows_dynamic_layer_through_appends_selection_and_reassignment():
    torch.manual_seed(0)
    layer, reference = GrowingLayer(), DynamicLayer()
    for step in [states(3, 5)] + [states(3, 1) for _ in range(GROWTH + 3)]:  # past one growth
        keys, values = layer.update(step, -step)
        assert torch.equal(keys, reference.update(step, -step)[0]) and torch.equal(values, -reference.keys)
    assert same(layer, reference)
    index = torch.tensor([0, 2])
    layer.batch_select_indices(index)
    reference.batch_select_indices(index)
    assert same(layer, reference)
    # The engine's merge and trim assign keys, then compute values from the old ones.
    for target in (layer, reference):
        target.keys = torch.cat([target.keys, target.keys])[..., 2:, :]
        target.values = torch.cat([target.values, target.values])[..., 2:, :]
    assert same(layer, reference)
    step = states(4, 1)
    layer.update(step, step)
    reference.update(step, step)
    assert same(layer, reference)


def test_keys_assigned_first_leave_the_values_as_they_were():
    layer = GrowingLayer()
    layer.update(states(1, 3), states(1, 3))
    before = layer.values.clone()
    layer.keys = states(1, 7)
    assert torch.equal(layer.values, before)


def test_appends_write_into_the_same_buffer_until_it_is_full():
    layer = GrowingLayer()
    layer.update(states(2, 10), states(2, 10))
    buffer = layer.keys.data_ptr()
    for _ in range(GROWTH):
        layer.update(states(2, 1), states(2, 1))
        assert layer.keys.data_ptr() == buffer
    layer.update(states(2, 1), states(2, 1))
    assert layer.keys.data_ptr() != buffer and layer.get_seq_length() == 10 + GROWTH + 1


def test_generate_with_the_growing_cache_matches_the_dynamic_cache(tiny_model_path):
    model = AutoModelForCausalLM.from_pretrained(tiny_model_path, dtype=torch.float32).eval()
    ids = torch.randint(10, 2000, (2, 30), generator=torch.Generator().manual_seed(1))
    outputs = [model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=GROWTH + 20, do_sample=False,
                              past_key_values=cache, pad_token_id=0)
               for cache in (DynamicCache(config=model.config), growing_cache(model.config))]
    assert outputs[0].shape[1] > 30 + GROWTH
    assert torch.equal(outputs[0], outputs[1])
