"""One extraction: text in, streamed reply and a result out; shared by /ask and the CLI.

Picks the system prompt (the caller's, else the model's preset for the text's
language), runs the model, and builds the result: the answer text, usage and
finish reason, and the language detected.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import prompts
from llms.base import Message, RemoteLLMs, Response
from qa.language import detect_language


@dataclass
class Extraction:
    model: RemoteLLMs
    question: str
    prompt: str | None = None
    history: list[Message] = field(default_factory=list)
    options: dict = field(default_factory=dict)

    def __post_init__(self):
        self.language = getattr(getattr(self.model, "settings", None), "language", None) \
            or detect_language(self.question)
        self.system_prompt = self.prompt or prompts.load_preset(
            prompts.default_preset(self.model.preset_family, self.language))
        messages = self.model.create_prompt(self.question, self.system_prompt, self.history)
        self.response: Response = self.model.respond(messages, **self.options)

    def stream(self) -> Iterator[str]:
        """The reply's text pieces as generated."""
        yield from self.response

    def cancel(self) -> None:
        self.response.cancel()

    def result(self) -> dict:
        """The whole result; reads the rest of the reply first if needed."""
        answer = self.response.text()
        return {
            "answer": answer,
            "model": self.model.model_id,
            "language": self.language,
            "usage": self.response.usage.to_dict(),
            "finish_reason": self.response.finish_reason,
        }
