"""POST /ask with the tiny local model and with the OpenAI backend over a real socket."""

import pytest

import prompts
from llms.errors import LLMError
from tests.webapp.sse import parse_events


def test_local_model_answers(client):
    r = client.post("/ask", json={"question": "What is the longest river?", "model": "chatglm",
                                  "max_tokens": 6, "temperature": 0})
    assert r.status_code == 200, r.json
    body = r.json
    assert body["model"] == "chatglm"
    assert body["answer"]
    tries = 2 if [n for n in body["notices"] if n["code"] == "reasked"] else 1
    assert 0 < body["usage"]["completion_tokens"] <= 6 * tries
    assert body["finish_reason"] in {"stop", "length"}


def test_openai_backend_gets_prompt_and_options_as_sent(client, openai_stub):
    openai_stub.replies.append("Question 1: Who?\nAnswer 1: Her.")
    r = client.post("/ask", json={"question": "Some text.", "model": "chatgpt", "prompt": "Make pairs.",
                                  "max_tokens": 123, "temperature": 0.45,
                                  "history": [{"role": "user", "content": "before"},
                                              {"role": "assistant", "content": "reply"}]})
    assert r.status_code == 200, r.json
    assert r.json["answer"] == "Question 1: Who?\nAnswer 1: Her."
    sent = openai_stub.requests[-1]
    assert sent["messages"] == [{"role": "system", "content": "Make pairs."},
                                {"role": "user", "content": "before"}, {"role": "assistant", "content": "reply"},
                                {"role": "user", "content": "Some text."}]
    assert (sent["max_tokens"], sent["temperature"]) == (123, 0.45)


def test_original_aliases_and_form_encoding(client, openai_stub):
    r = client.post("/ask", data={"question": "Some text.", "model": "1", "param1": "42", "param2": "0.9"})
    assert r.status_code == 200, r.json
    assert r.json["model"] == "chatgpt"
    assert (openai_stub.requests[-1]["max_tokens"], openai_stub.requests[-1]["temperature"]) == (42, 0.9)


@pytest.mark.parametrize("text,preset", [("长江是中国最长的河流，全长约6300公里。", "chatgpt_zh"),
                                         ("The Amazon is a river in South America.", "chatgpt_en")])
def test_empty_prompt_uses_the_preset_for_the_language(client, openai_stub, text, preset):
    r = client.post("/ask", json={"question": text, "model": "chatgpt", "prompt": ""})
    assert r.status_code == 200
    assert r.json["language"] == preset[-2:]
    assert openai_stub.requests[-1]["messages"][0] == {"role": "system", "content": prompts.load_preset(preset)}


def test_stream_sends_deltas_then_the_whole_result(client, openai_stub):
    openai_stub.replies.append("Question 1: What?\nAnswer 1: That.")
    r = client.post("/ask", json={"question": "x", "model": "chatgpt", "stream": True})
    assert r.status_code == 200
    assert r.mimetype == "text/event-stream"
    events = parse_events(r.get_data(as_text=True))
    deltas = [data["text"] for name, data in events if name == "delta"]
    assert len(deltas) == 5
    name, done = events[-1]
    assert name == "done"
    assert "".join(deltas) == done["answer"] == "Question 1: What?\nAnswer 1: That."
    assert done["finish_reason"] == "stop"


def test_stream_with_local_model(client):
    r = client.post("/ask", json={"question": "hi", "model": "chatglm", "stream": True, "max_tokens": 8,
                                  "temperature": 0})
    events = parse_events(r.get_data(as_text=True))
    assert events[-1][0] == "done"
    # Gibberish usually has no pairs and is re-asked once: the answer is then the second reply.
    names = [n for n, _ in events]
    last_try = events[names.index("reask") + 1:] if "reask" in names else events
    assert "".join(d["text"] for n, d in last_try if n == "delta") == events[-1][1]["answer"]


@pytest.mark.parametrize("body,status,param", [
    ({"question": ""}, 400, "question"),
    ({"question": "   "}, 400, "question"),
    ({}, 400, "question"),
    ({"question": 5}, 400, "question"),
    ({"question": "x", "max_tokens": 0}, 400, "max_tokens"),
    ({"question": "x", "max_tokens": 100000}, 400, "max_tokens"),
    ({"question": "x", "temperature": 2.1}, 400, "temperature"),
    ({"question": "x", "param2": "hot"}, 400, "param2"),
    ({"question": "x", "history": [{"role": "robot", "content": "x"}]}, 400, "history.0.role"),
    ({"question": "x", "model": "gpt-9"}, 404, "model"),
])
def test_bad_fields_get_json_errors(client, body, status, param):
    r = client.post("/ask", json=body)
    assert r.status_code == status
    error = r.json["error"]
    assert error["param"] == param
    assert error["message"] and error["type"]


def test_text_longer_than_the_limit(client):
    r = client.post("/ask", json={"question": "x" * 20001})
    assert r.status_code == 400
    assert "20000 characters" in r.json["error"]["message"]


def test_body_too_large_is_413_json(client):
    r = client.post("/ask", data="x" * (3 * 1024 * 1024), content_type="application/json")
    assert r.status_code == 413
    assert r.json["error"]["type"] == "request_too_large"


def test_not_a_json_object(client):
    r = client.post("/ask", data="[1, 2]", content_type="application/json")
    assert r.status_code == 400
    assert r.json["error"]["message"] == "The body must be a JSON object."


def test_upstream_auth_failure_is_502_without_the_key(client, openai_stub):
    openai_stub.error = (401, {"error": {"message": "Incorrect API key provided: test-key"}})
    for stream in (False, True):
        r = client.post("/ask", json={"question": "x", "model": "chatgpt", "stream": stream})
        assert r.status_code == 502
        assert r.json["error"]["type"] == "authentication_error"
        assert "test-key" not in r.get_data(as_text=True)


def test_upstream_context_overflow_is_400(client, openai_stub):
    openai_stub.error = (400, {"error": {"message": "maximum context length is 4096 tokens",
                                         "code": "context_length_exceeded"}})
    r = client.post("/ask", json={"question": "x", "model": "chatgpt"})
    assert r.status_code == 400
    assert r.json["error"]["type"] == "context_length_exceeded"


def test_local_context_overflow_is_400(client):
    r = client.post("/ask", json={"question": "x", "model": "chatglm", "max_tokens": 8000})
    assert r.status_code == 400
    assert "4096" in r.json["error"]["message"]


def test_unknown_route_and_method_are_json(client):
    assert client.get("/nope").json["error"]["type"] == "not_found"
    r = client.get("/ask")
    assert r.status_code == 405 and r.json["error"]["type"] == "method_not_allowed"


@pytest.mark.parametrize("failure, expected", [
    (LLMError("The model failed mid-reply."),
     {"message": "The model failed mid-reply.", "type": "server_error", "param": None}),
    (RuntimeError("secret internals at /srv/model"),
     {"message": "Generation failed; the server log has the details.", "type": "server_error", "param": None}),
])
def test_a_failure_after_the_stream_began_is_an_error_frame(app, client, monkeypatch, failure, expected):
    chatglm = app.extensions["qapair"].registry.get("chatglm")

    def failing(messages, options, response):
        yield "partial"
        raise failure

    monkeypatch.setattr(chatglm, "execute", failing)
    r = client.post("/ask", json={"question": "hi", "model": "chatglm", "stream": True})
    events = parse_events(r.get_data(as_text=True))
    assert r.status_code == 200 and events[0] == ("delta", {"text": "partial"})
    assert events[-1] == ("error", {"error": expected})


@pytest.mark.parametrize("history", [0, {}, "x", "[1]", '[{"role": "user"}]'])
def test_history_that_is_not_turns_is_refused(client, history):
    r = client.post("/ask", json={"question": "x", "history": history})
    assert r.status_code == 400 and r.json["error"]["param"].startswith("history")
    r = client.post("/ask", data={"question": "x", "history": history if isinstance(history, str) else "0"})
    assert r.status_code == 400 and r.json["error"]["param"].startswith("history")
