"""RowKV: one request's keys and values, written in place into buffers that grow in blocks."""

import torch

from llms.kv_cache import ROW_GROWTH, RowKV, kv_bytes_per_token


def states(length: int) -> torch.Tensor:
    return torch.randn(1, 2, length, 4)


def test_writes_append_after_the_committed_positions_and_match_concatenation():
    torch.manual_seed(0)
    kv, keys_seen, values_seen = RowKV(layers=2), [], []
    for length in [5] + [1] * (ROW_GROWTH + 3):  # past one growth
        new = states(length)
        keys_seen.append(new)
        values_seen.append(-new)
        for layer in range(2):
            keys, values = kv.write(layer, new, -new)
            assert torch.equal(keys, torch.cat(keys_seen, dim=-2)) and torch.equal(values, torch.cat(values_seen, dim=-2))
        kv.commit(length)
    assert kv.length == 5 + ROW_GROWTH + 3


def test_an_uncommitted_write_is_overwritten_by_the_next():
    """A step that failed after writing leaves nothing behind: the next write takes its positions."""
    kv = RowKV(layers=1)
    first = states(3)
    kv.write(0, first, first)
    kv.commit(3)
    kv.write(0, states(2), states(2))  # the step fails: no commit
    retry = states(1)
    keys, _ = kv.write(0, retry, retry)
    assert torch.equal(keys, torch.cat([first, retry], dim=-2))


def test_writes_stay_in_one_buffer_until_it_is_full_and_bytes_follow_the_tokens():
    kv = RowKV(layers=1)
    kv.write(0, states(10), states(10))
    kv.commit(10)
    buffer = kv.keys[0].data_ptr()
    for _ in range(ROW_GROWTH):
        kv.write(0, states(1), states(1))
        kv.commit(1)
        assert kv.keys[0].data_ptr() == buffer
    kv.write(0, states(1), states(1))
    assert kv.keys[0].data_ptr() != buffer
    held = 2 * (10 + ROW_GROWTH + 1) * 2 * 4 * 4  # keys and values, 2 heads x 4 dims of float32
    assert held <= kv.nbytes() <= held + 2 * ROW_GROWTH * 2 * 4 * 4


def test_bytes_per_token_counts_keys_and_values_of_every_layer():
    class Config:
        num_hidden_layers, hidden_size, num_attention_heads, num_key_value_heads, head_dim = 3, 64, 8, 2, None
    assert kv_bytes_per_token(Config, 2) == 2 * 3 * 2 * 8 * 2
