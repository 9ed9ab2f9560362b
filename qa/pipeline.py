"""One extraction: text in; streamed reply, parsed and grounded pairs out. Shared by /ask and scripts.

Picks the system prompt (the caller's, else the model's preset for the text's
language), runs the model, parses the reply into pairs and checks each answer
against the text. A reply with no pairs is re-asked once with a format reminder
(if enabled) unless it was cut off at max_tokens; a reply cut off at max_tokens,
or with no pairs, is said plainly in `notices`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import prompts
from llms.base import Message, RemoteLLMs, Response
from qa.grounding import DEFAULT_THRESHOLD, Verifier, ground
from prompts.language import detect_language
from qa.parse import ParseResult, parse_reply

FORMAT_REMINDERS = {
    "en": ("I could not find any question-answer pairs in that reply. Write them again using exactly this "
           "format and nothing else:\nQuestion 1: ...\nAnswer 1: ...\nQuestion 2: ...\nAnswer 2: ..."),
    "zh": "上面的回复中没有找到问答对。请严格按照下面的格式重新输出问答对，不要输出其他内容：\n问题一：……\n答案一：……\n问题二：……\n答案二：……",
}
NOTICES = {
    "truncated": {"en": "The reply was cut off at max_tokens: the last pair may be incomplete. Raise max_tokens.",
                  "zh": "回复在达到 max_tokens 时被截断，最后一个问答对可能不完整。请调大 max_tokens。"},
    "no_pairs": {"en": "No question-answer pairs were found in this reply.",
                 "zh": "这条回复中没有找到问答对。"},
    "reasked": {"en": "The first reply had no pairs, so the model was asked again with a format reminder.",
                "zh": "第一次回复中没有问答对，已提醒模型按格式重新回答。"},
}


@dataclass
class Extraction:
    model: RemoteLLMs
    question: str
    prompt: str | None = None
    history: list[Message] = field(default_factory=list)
    options: dict = field(default_factory=dict)
    grounding_threshold: float = DEFAULT_THRESHOLD
    reask_on_empty: bool = True
    stream: bool = True  # False: the reply comes whole (jobs show no tokens, and parsing events costs CPU)
    verifier: Verifier | None = None  # the optional model check of grounding (qa.verify)

    def __post_init__(self):
        self.language = getattr(getattr(self.model, "settings", None), "language", None) \
            or detect_language(self.question)
        self.system_prompt = self.prompt or prompts.load_preset(
            prompts.default_preset(self.model.preset_family, self.language))
        self.messages = self.model.create_prompt(self.question, self.system_prompt, self.history)
        self.responses: list[Response] = [self.model.respond(self.messages, stream=self.stream, **self.options)]
        self.parsed: ParseResult | None = None  # the last reply's pairs, once it is complete

    @property
    def response(self) -> Response:
        return self.responses[-1]

    def events(self) -> Iterator[tuple[str, str]]:
        """("delta", text) as the reply is generated; ("reask", notice) before a second try."""
        for piece in self.response:
            yield "delta", piece
        parsed = parse_reply(self.response.text())
        # A reply cut at max_tokens is said plainly (a notice), never re-asked: the same budget would cut it again.
        if self.reask_on_empty and not parsed.pairs and not self.response.cancelled \
                and self.response.finish_reason != "length":
            reminder = {"role": "user", "content": FORMAT_REMINDERS[self.language]}
            retry = self.messages + [{"role": "assistant", "content": self.response.text()}, reminder]
            self.responses.append(self.model.respond(retry, stream=self.stream, **self.options))
            yield "reask", NOTICES["reasked"][self.language]
            for piece in self.response:
                yield "delta", piece
            parsed = parse_reply(self.response.text())
        self.parsed = parsed

    def cancel(self) -> None:
        self.response.cancel()

    def result(self) -> dict:
        """The whole result; runs the extraction first unless `events()` already did."""
        if self.parsed is None:
            for _ in self.events():
                pass
        answer = self.response.text()
        pairs = ground(self.parsed.pairs, self.question, self.grounding_threshold, language=self.language,
                       verifier=self.verifier)
        codes = (["reasked"] if len(self.responses) > 1 else []) \
            + (["truncated"] if self.response.finish_reason == "length" else []) \
            + ([] if pairs else ["no_pairs"])
        usage = {key: sum(r.usage.to_dict()[key] for r in self.responses)
                 for key in ("prompt_tokens", "completion_tokens", "total_tokens")}
        return {
            "answer": answer,
            "pairs": pairs,
            "notices": [{"code": code, "message": NOTICES[code][self.language]} for code in codes],
            "model": self.model.model_id,
            "language": self.language,
            "usage": usage,
            "finish_reason": self.response.finish_reason,
        }
