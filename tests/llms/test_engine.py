"""GenerationEngine on the tiny random GLM-4: batching, sampling, stops, usage, cancellation, the queue limit.

The model is loaded in float32: in bf16 a one-row and an n-row matmul round
differently, and a random model's logits are close enough for that to change
greedy picks, so only float32 lets batched output be compared with unbatched.
"""

from __future__ import annotations

import threading

import pytest
import torch

from llms.base import Response
from llms.chatglm import ChatGLMLLM
from llms.config import LocalModelConfig
from llms.engine import GenerationEngine, _Request
from llms.errors import ServerBusyError
from llms.options import GenerationOptions
from tests.helpers import QUESTIONS, in_threads, wait_until
from tests.llms.engine_helpers import loaded, prompt  # noqa: F401  (loaded: a fixture)


@pytest.fixture()
def engine(loaded):  # noqa: F811
    return GenerationEngine(loaded, max_batch_size=4, max_queue=4)


def run(engine, prompt_ids, **options) -> tuple[str, Response]:
    opts = GenerationOptions(**options)
    response = Response(None, [], opts)
    return "".join(engine.generate(prompt_ids, opts, response)), response



def test_greedy_matches_transformers_generate(engine, loaded):
    ids = prompt(loaded, QUESTIONS[0])
    text, response = run(engine, ids, max_tokens=20, temperature=0)
    with torch.inference_mode():
        out = loaded.model.generate(torch.tensor([ids]), max_new_tokens=20, do_sample=False,
                                    pad_token_id=loaded.tokenizer.pad_token_id)[0, len(ids):]
    assert text == loaded.tokenizer.decode(out, skip_special_tokens=True)
    assert response.usage.completion_tokens == len(out)


def test_concurrent_requests_are_batched_and_each_gets_its_own_greedy_reply(engine, loaded):
    prompts = [prompt(loaded, q) for q in QUESTIONS]
    alone = [run(engine, p, max_tokens=24, temperature=0) for p in prompts]
    together: list = [None] * len(prompts)
    start = threading.Barrier(len(prompts))

    def client(i):
        start.wait()
        together[i] = run(engine, prompts[i], max_tokens=24, temperature=0)

    in_threads(client, len(prompts))
    for (text, response), (alone_text, alone_response) in zip(together, alone):
        assert text == alone_text
        assert response.finish_reason == alone_response.finish_reason
        assert response.usage == alone_response.usage
    assert engine.pending == 0


def test_seed_repeats_a_sampled_reply(engine, loaded):
    ids = prompt(loaded, QUESTIONS[1])
    first = run(engine, ids, max_tokens=16, temperature=1.0, seed=7)[0]
    assert run(engine, ids, max_tokens=16, temperature=1.0, seed=7)[0] == first
    assert run(engine, ids, max_tokens=16, temperature=1.0, seed=8)[0] != first


def test_tiny_top_p_keeps_only_the_most_likely_token(engine, loaded):
    ids = prompt(loaded, QUESTIONS[2])
    greedy = run(engine, ids, max_tokens=16, temperature=0)[0]
    assert run(engine, ids, max_tokens=16, temperature=1.5, top_p=1e-6, seed=1)[0] == greedy


def test_length_finish_and_usage(engine, loaded):
    ids = prompt(loaded, QUESTIONS[0])
    text, response = run(engine, ids, max_tokens=5, temperature=0)
    assert response.finish_reason == "length"
    assert response.usage.prompt_tokens == len(ids)
    assert response.usage.completion_tokens == 5


def test_eos_finishes_with_stop(loaded, monkeypatch):
    monkeypatch.setattr(loaded.model.generation_config, "eos_token_id", list(range(len(loaded.tokenizer))))
    text, response = run(GenerationEngine(loaded), prompt(loaded, QUESTIONS[0]), max_tokens=5, temperature=0)
    assert (text, response.finish_reason, response.usage.completion_tokens) == ("", "stop", 1)


def test_stop_string_ends_the_reply_before_it(engine, loaded):
    ids = prompt(loaded, QUESTIONS[3])
    whole = run(engine, ids, max_tokens=30, temperature=0)[0]
    assert len(whole) > 13
    stop = whole[10:13]
    opts = GenerationOptions(max_tokens=30, temperature=0, stop=["never appears", stop])
    response = Response(None, [], opts)
    pieces = list(engine.generate(ids, opts, response))
    assert "".join(pieces) == whole[:whole.index(stop)]
    assert response.finish_reason == "stop"
    assert response.usage.completion_tokens < 30


def test_stream_pieces_never_split_a_character(loaded):
    """A character spread over byte-level tokens is sent whole, once its last byte arrives."""
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    symbol = bytes_to_unicode()
    ids = loaded.tokenizer.convert_tokens_to_ids([symbol[b] for b in "北京".encode()])
    opts = GenerationOptions(max_tokens=10)
    request = _Request([1], opts, Response(None, [], opts), loaded.tokenizer)
    sent = []
    for token in ids:
        request.accept(token, eos=set())
        sent.append(None if request.pieces.empty() else request.pieces.get())
    assert sent == [None, None, "北", None, None, "京"]


def test_closing_a_stream_frees_its_row_at_once(loaded):
    engine = GenerationEngine(loaded, max_batch_size=1, max_queue=0)
    ids = prompt(loaded, QUESTIONS[0])
    opts = GenerationOptions(max_tokens=3000, temperature=0)
    first = Response(None, [], opts)
    stream = engine.generate(ids, opts, first)
    next(stream)
    with pytest.raises(ServerBusyError):
        next(engine.generate(ids, opts, Response(None, [], opts)))
    stream.close()
    assert first.cancelled and first.finish_reason is None
    assert first.usage.completion_tokens < 3000
    text, second = run(engine, ids, max_tokens=4, temperature=0)
    assert second.finish_reason == "length"


def test_cancelling_the_response_ends_its_stream(engine, loaded):
    opts = GenerationOptions(max_tokens=3000, temperature=0)
    response = Response(None, [], opts)
    stream = engine.generate(prompt(loaded, QUESTIONS[1]), opts, response)
    next(stream)
    response.cancel()  # what the web layer does when the client goes away
    list(stream)
    assert response.finish_reason is None
    assert response.usage.completion_tokens < 3000
    assert engine.pending == 0


def test_a_full_queue_raises_server_busy(loaded):
    engine = GenerationEngine(loaded, max_batch_size=1, max_queue=1)
    ids = prompt(loaded, QUESTIONS[0])
    opts = GenerationOptions(max_tokens=3000, temperature=0)
    running = engine.generate(ids, opts, Response(None, [], opts))
    next(running)
    waiting_text: list[str] = []
    waiter = threading.Thread(target=lambda: waiting_text.append(run(engine, ids, max_tokens=3, temperature=0)[0]))
    waiter.start()
    wait_until(lambda: engine.pending == 2)
    with pytest.raises(ServerBusyError) as busy:
        next(engine.generate(ids, opts, Response(None, [], opts)))
    assert busy.value.status == 503 and busy.value.retry_after
    running.close()
    waiter.join()
    assert waiting_text and engine.pending == 0


@pytest.mark.parametrize("quantize", [8, 4])
def test_quantized_models_batch_concurrent_requests(tiny_model_path, quantize):
    model = ChatGLMLLM("chatglm", LocalModelConfig(backend="local", model_path=tiny_model_path, quantize=quantize,
                                                   device="cpu"))
    replies: list = [None] * 3

    def client(i):
        response = model.respond(model.create_prompt(QUESTIONS[i]), max_tokens=12, temperature=0)
        replies[i] = (response.text(), response)

    in_threads(client, 3)
    for text, response in replies:
        assert response.finish_reason in {"stop", "length"}
        assert 0 < response.usage.completion_tokens <= 12
