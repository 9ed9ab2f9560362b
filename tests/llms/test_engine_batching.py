"""GenerationEngine's batching on the tiny GLM-4 in float32: requests joining mid-decode get the tokens they get
alone, prompts are prefilled in chunks between decode steps, KV follows the tokens held, admission by KV budget,
a failed prefill fails only its request, a cancelled queued request leaves at once."""

from __future__ import annotations

import threading

import pytest
import torch

from llms.base import Response
from llms.engine import MIN_CHUNK, STALL, GenerationEngine, default_kv_budget
from llms.errors import ContextLengthError
from llms.kv_cache import ROW_GROWTH, kv_bytes_per_token
from llms.options import GenerationOptions
from tests.helpers import QUESTIONS, wait_until
from tests.llms.engine_helpers import loaded, prompt  # noqa: F401  (loaded: a fixture)


class Stream:
    """A request consumed piece by piece, so a test can start others while it is mid-reply."""

    def __init__(self, engine, prompt_ids, **options):
        self.options = GenerationOptions(temperature=0, **options)
        self.response = Response(None, [], self.options)
        self.iterator = engine.generate(prompt_ids, self.options, self.response)
        self.pieces: list[str] = []

    def take(self, count: int) -> "Stream":
        for _ in range(count):
            self.pieces.append(next(self.iterator))
        return self

    def rest(self) -> tuple[str, int, str | None]:
        self.pieces.extend(self.iterator)
        return "".join(self.pieces), self.response.usage.completion_tokens, self.response.finish_reason


def alone(loaded, prompt_ids, **options) -> tuple[str, int, str | None]:
    return Stream(GenerationEngine(loaded, max_batch_size=1, prefill_chunk=16), prompt_ids, **options).rest()


def recording(engine) -> list[list[tuple[object, int, bool]]]:
    """Record every step's parts as (request, tokens, prefilling) while the engine runs."""
    steps: list = []
    original = engine._step

    def step(parts):
        steps.append([(request, len(tokens), request.prefilling) for request, tokens in parts])
        original(parts)

    engine._step = step
    return steps


def test_requests_joining_at_different_steps_get_their_lone_greedy_tokens(loaded):
    prompts = [prompt(loaded, QUESTIONS[0]), prompt(loaded, QUESTIONS[1], repeat=12),
               prompt(loaded, QUESTIONS[2], repeat=3), prompt(loaded, QUESTIONS[3], repeat=30)]
    lengths = [40, 12, 30, 20]
    expected = [alone(loaded, p, max_tokens=n) for p, n in zip(prompts, lengths)]
    engine = GenerationEngine(loaded, max_batch_size=4, prefill_chunk=16)
    steps = recording(engine)
    first = Stream(engine, prompts[0], max_tokens=lengths[0]).take(3)  # mid-decode when the next joins
    second = Stream(engine, prompts[1], max_tokens=lengths[1]).take(1)
    first.take(2)
    third = Stream(engine, prompts[2], max_tokens=lengths[2])
    fourth = Stream(engine, prompts[3], max_tokens=lengths[3]).take(1)  # a long prompt, prefilled in chunks
    results = [first.rest(), second.rest(), third.rest(), fourth.rest()]
    assert results == expected
    assert len(prompts[3]) > 4 * 16
    assert any(len(step) >= 3 for step in steps)  # rows did run together
    assert engine.pending == 0 and engine.kv_bytes() == 0


def test_a_long_prompt_is_prefilled_in_chunks_between_the_running_rows_tokens(loaded):
    engine = GenerationEngine(loaded, max_batch_size=4, prefill_chunk=16)
    steps = recording(engine)
    short = Stream(engine, prompt(loaded, QUESTIONS[0]), max_tokens=200).take(2)
    long_ids = prompt(loaded, QUESTIONS[3], repeat=30)
    long = Stream(engine, long_ids, max_tokens=4).take(1)
    short_request = steps[0][0][0]
    long_steps = [step for step in steps if any(r is not short_request and prefilling for r, _, prefilling in step)]
    assert len(long_steps) >= len(long_ids) // 16  # one chunk a step
    for step in long_steps:
        assert sum(count for _, count, prefilling in step if prefilling) <= 16
        assert (short_request, 1, False) in step  # its decoding went on during the long prefill
    long.rest()
    short.iterator.close()
    assert engine.pending == 0


def test_prompt_room_per_step_follows_the_measured_pace_and_the_prompts_waiting(loaded):
    engine = GenerationEngine(loaded, max_batch_size=8, prefill_chunk=512)
    assert engine._prefill_room(decoding=0, prefilling=3) == 512  # nobody waits on a token: whole chunks
    assert engine._prefill_room(decoding=2, prefilling=1) == MIN_CHUNK  # pace not measured yet
    engine._decode_s, engine._token_s = 0.030, 0.001  # a decode step 30 ms, a prompt token 1 ms
    one = engine._prefill_room(decoding=7, prefilling=1)
    assert one == int(STALL * 30)  # one prompt beside running streams: about STALL decode steps' time
    assert engine._prefill_room(decoding=1, prefilling=3) == 3 * one  # a batch filling up: a share for each
    assert engine._prefill_room(decoding=1, prefilling=100) == 512  # never past the chunk
    engine._token_s = 1.0
    assert engine._prefill_room(decoding=1, prefilling=1) == MIN_CHUNK  # never below the floor


def test_kv_memory_follows_the_tokens_each_request_holds(loaded):
    engine = GenerationEngine(loaded, max_batch_size=4, prefill_chunk=64)
    per_token = kv_bytes_per_token(loaded.model.config, 4)
    short = Stream(engine, prompt(loaded, QUESTIONS[0]), max_tokens=300).take(2)
    long = Stream(engine, prompt(loaded, QUESTIONS[3], repeat=40), max_tokens=300).take(2)
    rows = list(engine._running)
    held = sum(row.kv.length for row in rows)
    assert max(row.kv.length for row in rows) > 5 * min(row.kv.length for row in rows)
    for row in rows:  # no row is sized by the longest prompt
        assert row.kv.nbytes() <= (row.kv.length + ROW_GROWTH + 2) * per_token
    assert engine.kv_bytes() <= 1.5 * held * per_token
    short.iterator.close()
    long.iterator.close()
    assert engine.kv_bytes() == 0


def test_admission_waits_for_room_in_the_kv_budget(loaded):
    ids = prompt(loaded, QUESTIONS[0])
    budget = len(ids) + 100 + len(ids) + 50  # room for the first request and one of 50, not one of 100
    engine = GenerationEngine(loaded, max_batch_size=4, kv_budget_tokens=budget)
    first = Stream(engine, ids, max_tokens=100).take(1)
    small = Stream(engine, ids, max_tokens=50).take(1)  # fits beside it
    big = Stream(engine, ids, max_tokens=100)
    waiter = threading.Thread(target=big.rest)
    waiter.start()
    wait_until(lambda: engine.pending == 3)
    assert len(engine._running) == 2  # the big one waits, though rows are free
    first.rest()
    waiter.join(timeout=60)
    assert big.response.finish_reason == "length"
    small.rest()
    with pytest.raises(ContextLengthError, match="kv_budget_tokens"):
        Stream(engine, ids, max_tokens=budget).take(1)


def test_a_failed_prefill_fails_only_its_own_request(loaded):
    good_ids = prompt(loaded, QUESTIONS[2])
    expected = alone(loaded, good_ids, max_tokens=30)
    engine = GenerationEngine(loaded, max_batch_size=4)
    steps = recording(engine)
    good = Stream(engine, good_ids, max_tokens=30).take(2)
    bad = Stream(engine, [1, 2, len(loaded.tokenizer) + 10_000], max_tokens=5)  # a token id past the vocabulary
    with pytest.raises(IndexError):
        bad.take(1)
    assert any(len(step) == 2 for step in steps)  # it failed in a step shared with the good request
    assert good.rest() == expected
    assert engine.pending == 0


def test_a_cancelled_queued_request_frees_its_place_while_the_batch_runs(loaded):
    engine = GenerationEngine(loaded, max_batch_size=1, max_queue=1)
    running = Stream(engine, prompt(loaded, QUESTIONS[0]), max_tokens=3000).take(1)
    queued = Stream(engine, prompt(loaded, QUESTIONS[1]), max_tokens=5)
    waiter = threading.Thread(target=queued.rest)
    waiter.start()
    wait_until(lambda: engine.pending == 2)
    queued.response.cancel()  # what the web layer does when a queued client hangs up
    wait_until(lambda: engine.pending == 1, timeout=5)
    waiter.join(timeout=5)
    assert queued.response.finish_reason is None and queued.pieces == []
    assert running.response.finish_reason is None  # still generating
    running.iterator.close()
    assert engine.pending == 0


def test_stop_strings_are_found_across_pieces_and_never_sent(loaded):
    ids = prompt(loaded, QUESTIONS[3])
    whole = alone(loaded, ids, max_tokens=40)[0]
    stop = whole[20:26]
    engine = GenerationEngine(loaded)
    text, _, reason = Stream(engine, ids, max_tokens=40, stop=[stop, "x" * 200]).rest()
    assert (text, reason) == (whole[:whole.index(stop)], "stop")


def test_the_default_kv_budget_holds_a_context_and_at_most_one_per_row(loaded):
    budget = default_kv_budget(loaded, max_batch_size=4)
    assert loaded.context_length <= budget <= 4 * loaded.context_length
    assert GenerationEngine(loaded, max_batch_size=4).kv_budget == budget
