"""The OpenAI-compatible `/v1` API over the local models, for the official SDK and any OpenAI client.

`GET /v1/models` lists the config's local models; `POST /v1/chat/completions`
answers plain or streaming (`chat.completion.chunk` deltas, then `data: [DONE]`).
Replies go through the model layer (`respond`), the path /ask and the CLI take,
so concurrent requests share the engine's batch. A parameter the server cannot
honour (n > 1, tools, logprobs, a JSON response format, penalties) is refused
with a 400 naming it; an error after a stream began is sent as an error frame
followed by `[DONE]`.
"""

from __future__ import annotations

import time
import uuid
from typing import Annotated, Any, Literal

from flask import Blueprint, Response, jsonify, stream_with_context
from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator
from pydantic_core import PydanticCustomError

from llms.base import RemoteLLMs
from llms.errors import InvalidRequestError, UnknownModelError
from webapp.disconnect import cancel_if_client_leaves
from webapp.errors import mid_stream_error
from webapp.openapi import endpoint
from webapp.sse import SSE_HEADERS, sse
from webapp.state import state

bp = Blueprint("openai_api", __name__, url_prefix="/v1")

STARTED = int(time.time())  # the `created` time of every listed model
MAX_MESSAGES = 256  # turns in one request; the body's size is bounded too (2 MiB)
MAX_CONTENT_PARTS = 64

# Request fields that ask for something this server does not do; a falsy value asks for nothing.
UNSUPPORTED = {
    "tools": "tool calling", "tool_choice": "tool calling", "parallel_tool_calls": "tool calling",
    "functions": "function calling", "function_call": "function calling",
    "logprobs": "log probabilities", "top_logprobs": "log probabilities", "logit_bias": "logit_bias",
    "audio": "audio output", "modalities": "output modalities", "prediction": "predicted outputs",
    "web_search_options": "web search", "reasoning_effort": "reasoning effort",
}


def _unsupported(what: str) -> PydanticCustomError:
    return PydanticCustomError("unsupported", "this server does not support {what}", {"what": what})


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["system", "developer", "user", "assistant"]
    content: StrictStr | Annotated[list[dict], Field(max_length=MAX_CONTENT_PARTS)]
    name: str | None = Field(None, max_length=64)

    @field_validator("content")
    @classmethod
    def _text_only(cls, value: str | list[dict]) -> str:
        if isinstance(value, str):
            return value
        if not all(part.get("type") == "text" and isinstance(part.get("text"), str) for part in value):
            raise _unsupported("content other than text parts")
        return "".join(part["text"] for part in value)

    def to_message(self) -> dict[str, str]:
        return {"role": "system" if self.role == "developer" else self.role, "content": self.content}


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    """The fields this server reads; their bounds are the model layer's (GenerationOptions)."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model: StrictStr
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: str | list[str] | None = None
    seed: int | None = None
    n: int | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    response_format: dict | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    user: str | None = Field(None, max_length=256)  # the caller's end-user tag: accepted, not used
    # Fields that ask for what this server does not do: accepted only empty, so the 400 names them.
    tools: Any = None
    tool_choice: Any = None
    parallel_tool_calls: Any = None
    functions: Any = None
    function_call: Any = None
    logprobs: Any = None
    top_logprobs: Any = None
    logit_bias: Any = None
    audio: Any = None
    modalities: Any = None
    prediction: Any = None
    web_search_options: Any = None
    reasoning_effort: Any = None

    @field_validator(*UNSUPPORTED)
    @classmethod
    def _not_supported(cls, value, info):
        if value:
            raise _unsupported(UNSUPPORTED[info.field_name])
        return None

    @field_validator("stream_options")
    @classmethod
    def _options_need_stream(cls, value, info):
        if value and not info.data.get("stream"):
            raise PydanticCustomError("stream_options", "only allowed when stream is true")
        return value

    @field_validator("n")
    @classmethod
    def _one_choice(cls, value: int | None) -> int | None:
        if value not in (None, 1):
            raise _unsupported("n other than 1 (one choice per request)")
        return value

    @field_validator("response_format")
    @classmethod
    def _text_format(cls, value: dict | None) -> dict | None:
        if value and value.get("type") != "text":
            raise _unsupported(f"response_format {value.get('type')!r}")
        return value

    @field_validator("presence_penalty", "frequency_penalty")
    @classmethod
    def _no_penalty(cls, value: float | None) -> float | None:
        if value:
            raise _unsupported("presence or frequency penalties")
        return value

    def options(self) -> dict:
        """Generation options for `respond`; None leaves the model's default."""
        return {"max_tokens": self.max_completion_tokens or self.max_tokens, "temperature": self.temperature,
                "top_p": self.top_p, "stop": [self.stop] if isinstance(self.stop, str) else self.stop,
                "seed": self.seed}


def local_models() -> list[RemoteLLMs]:
    return [model for model in state().registry if model.settings.backend == "local"]


def local_model(model_id: str) -> RemoteLLMs:
    """The local model with this id (or alias); any other id is a 404 listing the local ones."""
    local = local_models()
    try:
        model = state().registry.get(model_id)
    except UnknownModelError:
        model = None
    if model not in local:
        raise UnknownModelError(model_id, [m.model_id for m in local])
    return model


def model_card(model: RemoteLLMs) -> dict:
    return {"id": model.model_id, "object": "model", "created": STARTED, "owned_by": "qapair"}


@bp.get("/models")
@endpoint("The local models, as OpenAI lists models", tags=("v1",))
def list_models():
    return jsonify({"object": "list", "data": [model_card(model) for model in local_models()]})


@bp.get("/models/<path:model_id>")
@endpoint("One local model", tags=("v1",))
def get_model(model_id: str):
    return jsonify(model_card(local_model(model_id)))


@bp.post("/chat/completions")
@endpoint("A chat completion from a local model, plain or streamed", body=ChatCompletionRequest, stream=True,
          tags=("v1",))
def chat_completions(body: ChatCompletionRequest):
    req = body
    model = local_model(req.model)
    response = model.respond([m.to_message() for m in req.messages], **req.options())
    head = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time()), "model": model.model_id}
    if not req.stream:
        with cancel_if_client_leaves(response.cancel):
            text = response.text()
        return jsonify({**head, "object": "chat.completion", "system_fingerprint": None,
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                     "logprobs": None, "finish_reason": response.finish_reason}],
                        "usage": response.usage.to_dict()})

    include_usage = bool(req.stream_options and req.stream_options.include_usage)
    chunk_head = {**head, "object": "chat.completion.chunk", "system_fingerprint": None}
    if include_usage:
        chunk_head["usage"] = None

    def chunk(delta: dict, finish_reason: str | None = None) -> str:
        return sse({**chunk_head, "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                               "finish_reason": finish_reason}]})

    pieces = iter(response)
    with cancel_if_client_leaves(response.cancel):  # it may wait in a queue: a client that leaves frees its place
        first = next(pieces, None)  # errors before the first token still get their HTTP status

    def events():
        try:
            yield chunk({"role": "assistant", "content": ""})
            if first is not None:
                yield chunk({"content": first})
            for piece in pieces:
                yield chunk({"content": piece})
            yield chunk({}, response.finish_reason)
            if include_usage:
                yield sse({**chunk_head, "choices": [], "usage": response.usage.to_dict()})
        except Exception as exc:  # after the headers went out, an error frame is all we can send
            yield sse(mid_stream_error(exc))
        finally:
            if response.finish_reason is None:  # the client went away, or generation failed
                response.cancel()
            pieces.close()
        yield sse("[DONE]")

    return Response(stream_with_context(events()), mimetype="text/event-stream", headers=SSE_HEADERS)
