"""`RemoteLLMs`: the contract every backend fulfils, and everything they share.

A backend implements one method, `execute(messages, options, response)`, that
yields text pieces as they are generated and records `finish_reason` and token
counts on the `Response`. The base builds prompts, keeps the dialogue history,
validates options and offers the blocking, streaming and interactive calls.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field

from llms.options import GenerationOptions

Message = dict[str, str]


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_dict(self) -> dict:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "total_tokens": self.total_tokens}


@dataclass
class Response:
    """One reply: iterate it to stream text pieces; `text()` waits for the whole reply."""

    model: "RemoteLLMs"
    messages: list[Message]
    options: GenerationOptions
    #: False: the backend may fetch the reply in one piece (no token events to parse); it still iterates once
    stream: bool = True
    finish_reason: str | None = None
    usage: Usage = field(default_factory=Usage)
    _chunks: list[str] = field(default_factory=list)
    _done: bool = False
    _cancel: threading.Event = field(default_factory=threading.Event)

    def __iter__(self) -> Iterator[str]:
        if self._done:
            yield from self._chunks
            return
        for piece in self.model.execute(self.messages, self.options, self):
            if piece:
                self._chunks.append(piece)
                yield piece
        self._done = True

    def text(self) -> str:
        for _ in self:
            pass
        return "".join(self._chunks)

    def cancel(self) -> None:
        """Ask the backend to stop generating (a client went away)."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()


class RemoteLLMs(ABC):
    """Base of every chat model: prompts, history, options and streaming."""

    #: Which family of preset system prompts fits this backend ("chatgpt" or "chatglm").
    preset_family = "chatgpt"

    def __init__(self, model_id: str, display_name: str | None = None,
                 defaults: GenerationOptions | None = None):
        self.model_id = model_id
        self.display_name = display_name or model_id
        self.defaults = defaults or GenerationOptions()
        self.history: list[Message] = []

    # -- what a backend implements -------------------------------------------------
    @abstractmethod
    def execute(self, messages: list[Message], options: GenerationOptions,
                response: Response) -> Iterator[str]:
        """Yield the reply's text pieces; set response.finish_reason and response.usage."""

    def availability(self) -> tuple[bool, str | None]:
        """(usable now, reason if not); cheap: never loads a model or calls the network."""
        return True, None

    def note(self) -> str | None:
        """Something a user should know before the first request (a download, a load in progress)."""
        return None

    def in_flight(self) -> int:
        """Requests this model is answering or holding in its queue now (0 when it has none or keeps no count)."""
        return 0

    # -- prompts ---------------------------------------------------------------------
    def create_prompt(self, query: str, prompt: str | None = None,
                      context: list[Message] | None = None) -> list[Message]:
        """The message list for one turn: system prompt, earlier turns, the user's text."""
        messages: list[Message] = []
        if prompt:
            messages.append({"role": "system", "content": prompt})
        for turn in context or []:
            messages.append({"role": turn["role"], "content": turn["content"]})
        messages.append({"role": "user", "content": query})
        return messages

    def options(self, **values) -> GenerationOptions:
        """This model's defaults overridden by the given values, validated."""
        merged = self.defaults.model_dump()
        merged.update({k: v for k, v in values.items() if v is not None})
        return GenerationOptions.build(**merged)

    # -- calls -----------------------------------------------------------------------
    def respond(self, messages: list[Message], *, stream: bool = True, **options) -> Response:
        """A lazy reply: nothing runs until it is iterated or its text() is read. `stream=False` lets a
        remote backend ask for the whole reply at once (background jobs, which show no tokens)."""
        return Response(self, messages, self.options(**options), stream=stream)

    def request_llm(self, messages: list[Message], **options) -> str:
        """The whole reply text."""
        return self.respond(messages, **options).text()

    def stream_llm(self, messages: list[Message], **options) -> Iterator[str]:
        """The reply's text pieces as they are generated."""
        yield from self.respond(messages, **options)

    def interactive_dialogue(self, query: str, prompt: str | None = None,
                             max_tokens: int | None = None,
                             temperature: float | None = None) -> Iterator[str]:
        """One turn of a dialogue: streams the reply, then adds the turn to the history."""
        messages = self.create_prompt(query, prompt, self.history)
        response = self.respond(messages, max_tokens=max_tokens, temperature=temperature)
        yield from response
        self.history += [{"role": "user", "content": query}, {"role": "assistant", "content": response.text()}]

    def clear_history(self) -> None:
        self.history = []

