"""ChatGPTLLM through the real openai SDK against a real local OpenAI-protocol server."""

import pytest

from llms import errors
from llms.chatgpt import ChatGPTLLM
from llms.config import OpenAIModelConfig


@pytest.fixture()
def model(registry):
    return registry.get("chatgpt")


def test_prompt_and_options_arrive_as_sent(model, openai_stub):
    openai_stub.replies.append("Question 1: Who? Answer 1: Him.")
    messages = model.create_prompt("the text", "the system prompt")
    response = model.respond(messages, max_tokens=77, temperature=0.35, top_p=0.9)
    assert response.text() == "Question 1: Who? Answer 1: Him."
    sent = openai_stub.requests[-1]
    assert sent["messages"] == [{"role": "system", "content": "the system prompt"},
                                {"role": "user", "content": "the text"}]
    assert (sent["max_tokens"], sent["temperature"], sent["top_p"], sent["model"]) == (77, 0.35, 0.9, "gpt-test")
    assert openai_stub.headers[-1]["authorization"] == "Bearer test-key"
    assert response.finish_reason == "stop"
    assert response.usage.completion_tokens == 6


def test_stream_pieces_join_to_the_reply(model, openai_stub):
    openai_stub.replies.append("one two three four")
    pieces = list(model.stream_llm([{"role": "user", "content": "x"}]))
    assert len(pieces) == 4
    assert "".join(pieces) == "one two three four"


def test_cut_off_reply_reports_length(model, openai_stub):
    openai_stub.replies.append("a b c d e f")
    response = model.respond([{"role": "user", "content": "x"}], max_tokens=3)
    assert response.text() == "a b c "
    assert response.finish_reason == "length"


def test_env_fallback_for_base_url_and_key(openai_stub, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", openai_stub.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "env-key")
    model = ChatGPTLLM("env", OpenAIModelConfig(backend="openai", max_retries=0))
    assert model.request_llm([{"role": "user", "content": "x"}]) == openai_stub.default_reply
    assert openai_stub.headers[-1]["authorization"] == "Bearer env-key"


def test_no_key_for_openai_is_reported_unavailable(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    available, reason = ChatGPTLLM("chatgpt", OpenAIModelConfig(backend="openai")).availability()
    assert not available
    assert "OPENAI_API_KEY" in reason


@pytest.mark.parametrize("status,body,error_type", [
    (401, {"error": {"message": "Incorrect API key provided: test-key", "type": "invalid_request_error"}},
     errors.BackendAuthError),
    (429, {"error": {"message": "Rate limit reached", "type": "requests"}}, errors.BackendRateLimitError),
    (400, {"error": {"message": "This model's maximum context length is 4096 tokens", "type":
                     "invalid_request_error", "code": "context_length_exceeded"}}, errors.ContextLengthError),
    (400, {"error": {"message": "temperature is odd", "type": "invalid_request_error"}},
     errors.BackendBadRequestError),
    (404, {"error": {"message": "The model gpt-test does not exist", "type": "invalid_request_error"}},
     errors.BackendBadRequestError),
    (500, {"error": {"message": "boom", "type": "server_error"}}, errors.BackendError),
])
def test_http_errors_become_project_types(model, openai_stub, status, body, error_type):
    openai_stub.error = (status, body)
    with pytest.raises(error_type) as err:
        model.request_llm([{"role": "user", "content": "x"}])
    assert "test-key" not in err.value.message
    assert openai_stub.base_url in err.value.message


def test_timeout_says_what_to_raise(openai_stub):
    openai_stub.delay = 1.0
    model = ChatGPTLLM("slow", OpenAIModelConfig(backend="openai", base_url=openai_stub.base_url,
                                                 api_key="k", timeout=0.2, max_retries=0))
    with pytest.raises(errors.BackendTimeoutError, match="models.slow.timeout"):
        model.request_llm([{"role": "user", "content": "x"}])


def test_unreachable_endpoint_is_a_connection_error():
    model = ChatGPTLLM("down", OpenAIModelConfig(backend="openai", base_url="http://127.0.0.1:9/v1",
                                                 api_key="k", max_retries=0))
    with pytest.raises(errors.BackendConnectionError, match="models.down.base_url"):
        model.request_llm([{"role": "user", "content": "x"}])
