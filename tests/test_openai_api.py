"""`/v1` through the official `openai` SDK against the app in a real threaded HTTP server.

Two local models share the tiny checkpoint: "chatglm" batches up to 4 requests;
"narrow" takes one at a time and queues none, for the busy and disconnect cases; "queued" runs one and
holds one waiting, for a client that leaves while it waits.
Models load in float32 (see tests/llms/test_engine.py: bf16 rounding differs
between batch sizes), so batched greedy replies can be compared with lone ones.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading

import openai
import pytest

from qa.settings import Settings
from llms.errors import LLMError
from tests.browser_server import LiveServer
from tests.helpers import QUESTIONS, wait_until
from tests.webapp.sse import parse_events
from webapp import create_app

@pytest.fixture(scope="module")
def app(tiny_model_path, tmp_path_factory):
    local = {"backend": "local", "model_path": tiny_model_path, "dtype": "float32"}
    config = Settings.model_validate({
        "models": {"chatglm": {**local, "max_batch_size": 4, "max_queue": 4},
                   "narrow": {**local, "max_batch_size": 1, "max_queue": 0},
                   "queued": {**local, "max_batch_size": 1, "max_queue": 1},
                   "chatgpt": {"backend": "openai", "base_url": "http://127.0.0.1:9/v1", "api_key": "k"}},
        "max_tokens": 16,
        "prompts_db": str(tmp_path_factory.mktemp("v1") / "prompts.sqlite"),
    })
    return create_app({"TESTING": True, "QAPAIR_CONFIG": config})


@pytest.fixture(scope="module")
def server(app):
    with LiveServer(app) as live:
        yield live


@pytest.fixture()
def client(server):
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0, timeout=60)


def local_model(app, model_id):
    return app.extensions["qapair"].registry.get(model_id)


def ask(client, question, model="chatglm", **params):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": question}], **params)



def test_lists_the_local_models_only(client):
    assert [m.id for m in client.models.list().data] == ["chatglm", "narrow", "queued"]
    assert client.models.retrieve("narrow").owned_by == "qapair"


def test_completes_with_usage_and_finish_reason(client):
    reply = ask(client, QUESTIONS[0], max_tokens=8, temperature=0)
    choice = reply.choices[0]
    assert reply.object == "chat.completion" and reply.model == "chatglm"
    assert choice.message.role == "assistant" and isinstance(choice.message.content, str)
    assert choice.finish_reason in {"stop", "length"}
    assert 0 < reply.usage.completion_tokens <= 8 and reply.usage.prompt_tokens > 0
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens
    if choice.finish_reason == "length":
        assert reply.usage.completion_tokens == 8


def test_max_completion_tokens_is_honoured(client):
    reply = ask(client, QUESTIONS[0], max_completion_tokens=3, temperature=0)
    assert reply.usage.completion_tokens <= 3


def test_streams_the_same_reply_in_chunks(client):
    whole = ask(client, QUESTIONS[1], max_tokens=12, temperature=0)
    chunks = list(ask(client, QUESTIONS[1], max_tokens=12, temperature=0, stream=True,
                      stream_options={"include_usage": True}))
    assert {c.object for c in chunks} == {"chat.completion.chunk"}
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    assert chunks[-2].choices[0].finish_reason == whole.choices[0].finish_reason
    assert chunks[-1].choices == [] and chunks[-1].usage == whole.usage


def test_stop_string(client):
    whole = ask(client, QUESTIONS[3], max_tokens=30, temperature=0).choices[0].message.content
    assert len(whole) > 13
    stop = whole[10:13]
    reply = ask(client, QUESTIONS[3], max_tokens=30, temperature=0, stop=stop)
    assert reply.choices[0].message.content == whole[:whole.index(stop)]
    assert reply.choices[0].finish_reason == "stop"


def test_seed_repeats_a_sampled_reply(client):
    first = ask(client, QUESTIONS[2], max_tokens=12, temperature=1.0, top_p=0.9, seed=3)
    again = ask(client, QUESTIONS[2], max_tokens=12, temperature=1.0, top_p=0.9, seed=3)
    assert first.choices[0].message.content == again.choices[0].message.content


@pytest.mark.parametrize("params, param", [
    ({"n": 2}, "n"),
    ({"tools": [{"type": "function", "function": {"name": "f"}}]}, "tools"),
    ({"logprobs": True}, "logprobs"),
    ({"response_format": {"type": "json_object"}}, "response_format"),
    ({"frequency_penalty": 0.5}, "frequency_penalty"),
    ({"temperature": 3}, "temperature"),
    ({"max_tokens": 0}, "max_tokens"),
    ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
    ({"stream_options": {"include_usage": True}}, "stream_options"),
    ({"extra_body": {"frobnicate": 1}}, "frobnicate"),
    ({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]},
     "messages.0.content"),
])
def test_refuses_what_it_cannot_do_with_a_400(client, params, param):
    args = {"model": "chatglm", "messages": [{"role": "user", "content": "hi"}], **params}
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(**args)
    assert refused.value.status_code == 400
    assert refused.value.body["type"] == "invalid_request_error"
    assert refused.value.body["param"] == param
    assert refused.value.body["message"].startswith(f"{param}: ")


@pytest.mark.parametrize("model", ["no-such-model", "chatgpt"])
def test_a_model_not_served_here_is_a_404(client, model):
    with pytest.raises(openai.NotFoundError) as missing:
        ask(client, "hi", model=model)
    assert missing.value.body["type"] == "model_not_found"
    assert "chatglm, narrow" in missing.value.body["message"]


def test_context_overflow_is_a_400_naming_the_limit(client):
    with pytest.raises(openai.BadRequestError) as refused:
        ask(client, "hello " * 200, max_tokens=4000)
    assert refused.value.body["type"] == "context_length_exceeded"
    assert refused.value.body["param"] == "max_tokens"
    assert "4096" in refused.value.body["message"]


def test_concurrent_streams_each_get_their_own_greedy_reply(client):
    alone = [ask(client, q, max_tokens=40, temperature=0) for q in QUESTIONS]
    together: list = [None] * len(QUESTIONS)
    start = threading.Barrier(len(QUESTIONS))

    def stream(i):
        start.wait()
        chunks = list(ask(client, QUESTIONS[i], max_tokens=40, temperature=0, stream=True,
                          stream_options={"include_usage": True}))
        together[i] = ("".join(c.choices[0].delta.content or "" for c in chunks if c.choices), chunks[-1].usage)

    threads = [threading.Thread(target=stream, args=(i,)) for i in range(len(QUESTIONS))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for (text, usage), reply in zip(together, alone):
        assert text == reply.choices[0].message.content
        assert usage == reply.usage


def test_a_full_queue_answers_503_with_retry_after(client):
    with ask(client, QUESTIONS[0], model="narrow", max_tokens=3000, temperature=0, stream=True) as running:
        next(iter(running))
        with pytest.raises(openai.APIStatusError) as busy:
            ask(client, QUESTIONS[1], model="narrow", max_tokens=4)
    assert busy.value.status_code == 503
    assert busy.value.response.headers["Retry-After"] == "1"
    assert busy.value.body["type"] == "server_busy"


@pytest.fixture()
def narrow_responses(app, monkeypatch):
    """The "narrow" model, and a list that collects each Response it makes."""
    narrow = local_model(app, "narrow")
    responses = []
    respond = narrow.respond
    monkeypatch.setattr(narrow, "respond", lambda *a, **kw: responses.append(respond(*a, **kw)) or responses[-1])
    return narrow, responses


def test_a_client_that_disconnects_frees_its_slot(client, narrow_responses):
    narrow, responses = narrow_responses
    with ask(client, QUESTIONS[0], model="narrow", max_tokens=3000, temperature=0, stream=True) as stream:
        chunks = iter(stream)
        next(chunks), next(chunks)
    wait_until(lambda: narrow.engine.pending == 0)
    assert responses[0].cancelled and responses[0].finish_reason is None
    assert responses[0].usage.completion_tokens < 3000
    assert ask(client, QUESTIONS[1], model="narrow", max_tokens=4).choices[0].finish_reason


@pytest.mark.parametrize("path, body", [
    ("/v1/chat/completions", {"model": "narrow", "messages": [{"role": "user", "content": QUESTIONS[0]}]}),
    ("/ask", {"model": "narrow", "question": QUESTIONS[0]}),
])
def test_a_client_that_hangs_up_on_a_plain_reply_frees_its_slot(server, client, narrow_responses, path, body):
    narrow, responses = narrow_responses
    payload = json.dumps({**body, "max_tokens": 3000, "temperature": 0}).encode()
    with socket.create_connection((server.host, server.port), timeout=30) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {server.host}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)
        wait_until(lambda: responses and narrow.engine.pending == 1)
    wait_until(lambda: narrow.engine.pending == 0)
    assert len(responses) == 1 and responses[0].cancelled and responses[0].finish_reason is None
    assert responses[0].usage.completion_tokens < 3000
    assert ask(client, QUESTIONS[1], model="narrow", max_tokens=4).choices[0].finish_reason


@pytest.mark.parametrize("path, body", [
    ("/v1/chat/completions", {"model": "queued", "stream": True, "messages": [{"role": "user", "content": "hi"}]}),
    ("/ask", {"model": "queued", "stream": True, "question": "hi"}),
])
def test_a_streaming_client_that_leaves_while_queued_frees_its_place(app, server, client, path, body):
    queued = local_model(app, "queued")
    with ask(client, QUESTIONS[0], model="queued", max_tokens=3000, temperature=0, stream=True) as running:
        next(iter(running))  # the one row is busy
        payload = json.dumps({**body, "max_tokens": 8, "temperature": 0}).encode()
        with socket.create_connection((server.host, server.port), timeout=30) as sock:
            sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {server.host}\r\nContent-Type: application/json\r\n"
                         f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)
            wait_until(lambda: queued.engine.pending == 2)  # waiting for the row, no byte sent back yet
        wait_until(lambda: queued.engine.pending == 1)  # its place is free while the first still runs
        assert not running.response.is_closed
    wait_until(lambda: queued.engine.pending == 0)
    assert ask(client, QUESTIONS[1], model="queued", max_tokens=4).choices[0].finish_reason


def test_an_error_after_the_stream_began_is_an_error_frame_then_done(app, server, client, monkeypatch):
    chatglm = local_model(app, "chatglm")

    def failing(messages, options, response):
        yield "partial"
        raise LLMError("The model failed mid-reply.")

    monkeypatch.setattr(chatglm, "execute", failing)
    connection = http.client.HTTPConnection(server.host, server.port, timeout=30)
    connection.request("POST", "/v1/chat/completions", headers={"Content-Type": "application/json"},
                       body=json.dumps({"model": "chatglm", "stream": True,
                                        "messages": [{"role": "user", "content": "hi"}]}))
    reply = connection.getresponse()
    assert reply.status == 200
    events = [data for _, data in parse_events(reply.read().decode())]
    assert events[1]["choices"][0]["delta"] == {"content": "partial"}
    assert events[-2] == {"error": {"message": "The model failed mid-reply.", "type": "server_error", "param": None}}
    assert events[-1] == "[DONE]"
    with pytest.raises(openai.APIError, match="failed mid-reply"):
        list(ask(client, "hi", stream=True))
