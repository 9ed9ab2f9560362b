"""`POST /ask`: text in, the model's reply out; JSON or Server-Sent Events.

Streaming events: `delta` frames `{"text": ...}` as text is generated; a
`reask` frame `{"message": ...}` if a reply had no pairs and the model is asked
again (the deltas after it are the new reply); then one `done` frame with the
whole result (the same JSON as a non-streaming reply), or an `error` frame
`{"error": {...}}` if generation fails after it began.
"""

from __future__ import annotations

import json
from typing import Literal

from flask import Blueprint, Response, jsonify, stream_with_context
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StrictStr, field_validator

from llms.errors import InvalidRequestError
from llms.options import MaxTokens, Temperature, TopP
from qa.pipeline import Extraction
from qa.store import TEXT_MAX
from qa.verify import verifier_for
from webapp.disconnect import cancel_if_client_leaves
from webapp.errors import mid_stream_error
from webapp.openapi import endpoint
from webapp.sse import SSE_HEADERS, sse
from webapp.state import state

bp = Blueprint("ask", __name__)

HISTORY_MAX = 50


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant"]
    content: StrictStr = Field(max_length=100_000)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", protected_namespaces=())

    question: StrictStr = Field(min_length=1)
    model: str | None = Field(None, max_length=100)
    prompt: str | None = Field(None, max_length=TEXT_MAX)  # a saved prompt must fit
    max_tokens: MaxTokens | None = Field(None, validation_alias=AliasChoices("max_tokens", "param1"))
    temperature: Temperature | None = Field(None, validation_alias=AliasChoices("temperature", "param2"))
    top_p: TopP | None = None
    history: list[Turn] = Field(default_factory=list, max_length=HISTORY_MAX)
    stream: bool = False

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("history", mode="before")
    @classmethod
    def _json_history(cls, value):
        """A form sends the turns as JSON text; an empty field or null means none."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return []
        return json.loads(value) if isinstance(value, str) else value


@bp.post("/ask")
@endpoint("Question-answer pairs from a text: the model's reply, parsed and grounded; JSON or Server-Sent Events",
          body=AskRequest, form=True, stream=True, tags=("ask",))
def ask(body: AskRequest):
    app_state = state()
    req = body
    limit = app_state.config.max_question_chars
    if len(req.question) > limit:
        raise InvalidRequestError(f"question: longer than {limit} characters; split the text.", param="question")
    model = app_state.registry.get(req.model or app_state.registry.ids()[0])
    config = app_state.config
    extraction = Extraction(model, req.question, req.prompt, [t.model_dump() for t in req.history],
                            {"max_tokens": req.max_tokens, "temperature": req.temperature, "top_p": req.top_p},
                            grounding_threshold=config.grounding_threshold, reask_on_empty=config.reask_on_empty,
                            verifier=verifier_for(config, app_state.registry))
    if not req.stream:
        with cancel_if_client_leaves(extraction.cancel):
            result = extraction.result()
        return jsonify(result)
    pieces = extraction.events()
    with cancel_if_client_leaves(extraction.cancel):  # it may wait in a queue: a client that leaves frees its place
        first = next(pieces, None)  # errors before the first token still get a proper status

    def frame(kind: str, text: str) -> str:
        return sse({"text": text}, "delta") if kind == "delta" else sse({"message": text}, kind)

    def events():
        try:
            if first is not None:
                yield frame(*first)
            for event in pieces:
                yield frame(*event)
            yield sse(extraction.result(), "done")
        except Exception as exc:  # after the headers went out, an error frame is all we can send
            yield sse(mid_stream_error(exc), "error")
        finally:
            extraction.cancel()
            pieces.close()

    return Response(stream_with_context(events()), mimetype="text/event-stream", headers=SSE_HEADERS)
