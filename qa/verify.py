"""The optional model check of grounding: a configured chat model judges whether the evidence entails an answer.

Off by default (`Settings.verify_model` unset). When on, `qa.grounding.ground` asks it
only about the pairs its rules are unsure of (support near the threshold, short
answers, evidence away from the question's words). The model gets the question,
the answer and the text around the evidence, and is asked for one JSON object,
{"verdict": "supported" | "contradicted" | "not_in_text" | "cannot_tell", "reason": "..."}.
Its reply is read leniently: a JSON object anywhere in it (fenced, after a reasoning
block, with smart quotes), else a verdict word on its own ("SUPPORTED", "不支持").
A reply with no verdict, or a model that fails, leaves the rules' verdict in place.
"""

from __future__ import annotations

import json
import logging
import re

from llms.base import RemoteLLMs
from llms.errors import UnknownModelError
from qa.parse import strip_reasoning

log = logging.getLogger(__name__)

PROMPT = """You check whether a text supports an answer to a question.

Text:
<<<
{context}
>>>

Question: {question}
Answer: {answer}

Does the text, and only the text, say what the answer says, as an answer to this question?
Reply with one JSON object and nothing else:
{{"verdict": "supported" | "contradicted" | "not_in_text" | "cannot_tell", "reason": "<one short sentence>"}}"""

#: The model's verdict -> the grounding verdict.
VERDICTS = {"supported": "grounded", "contradicted": "unsupported", "not_in_text": "unsupported",
            "cannot_tell": "unverifiable"}
_WORDS = [  # a verdict given as a word, most specific first
    (re.compile(r"not[ _-]?in[ _-]?(?:the[ _-]?)?text|unsupported|not supported|不支持|原文(?:中)?没有|无依据", re.I),
     "not_in_text"),
    (re.compile(r"contradict|相矛盾|矛盾|相反", re.I), "contradicted"),
    (re.compile(r"cannot[ _-]?tell|can't tell|unverifiable|unknown|无法判断|无法确定", re.I), "cannot_tell"),
    (re.compile(r"\bsupported\b|\bentail|支持|属实", re.I), "supported"),
]
_OBJECT = re.compile(r"\{[^{}]*\}", re.S)
MAX_CONTEXT = 2400  # characters of text around the evidence sent to the model
MAX_REASON = 300


class ModelVerifier:
    """Calls `model` with the entailment prompt; usable as `qa.grounding.ground(..., verifier=...)`."""

    def __init__(self, model: RemoteLLMs, max_tokens: int = 160):
        self.model, self.max_tokens = model, max_tokens

    def __call__(self, question: str, answer: str, context: str) -> tuple[str, str] | None:
        prompt = PROMPT.format(context=context[:MAX_CONTEXT], question=question[:1000], answer=answer[:1000])
        try:
            reply = self.model.request_llm([{"role": "user", "content": prompt}],
                                           max_tokens=self.max_tokens, temperature=0.0)
        except Exception as error:  # noqa: BLE001 - a failing checker must not fail the extraction
            log.warning("model check failed: %s", error)
            return None
        return parse_verdict(reply)


def parse_verdict(reply: str) -> tuple[str, str] | None:
    """(grounding verdict, reason) from the model's reply, or None when it holds no verdict."""
    text = strip_reasoning(reply or "").strip()
    for found in reversed(_OBJECT.findall(text)):  # the last object is the model's final word
        data = _loads(found)
        if isinstance(data, dict):
            keys = {str(key).strip().casefold(): value for key, value in data.items()}
            verdict = _verdict_word(str(keys.get("verdict", keys.get("label", ""))))
            if verdict:
                reason = str(keys.get("reason", keys.get("explanation", ""))).strip()
                return VERDICTS[verdict], _reason(reason, verdict)
    verdict = _verdict_word(text[:400])
    return (VERDICTS[verdict], _reason(text, verdict)) if verdict else None


def _loads(found: str):
    for candidate in (found, found.replace("“", '"').replace("”", '"').replace("'", '"')):
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    return None


def _verdict_word(text: str) -> str | None:
    value = text.strip().strip('"').casefold().replace(" ", "_")
    if value in VERDICTS:
        return value
    for pattern, verdict in _WORDS:
        if pattern.search(text):
            return verdict
    return None


def _reason(reason: str, verdict: str) -> str:
    reason = " ".join(reason.split())[:MAX_REASON]
    return f"model check: {reason}" if reason else f"model check: {verdict.replace('_', ' ')}"


def verifier_for(settings, registry) -> ModelVerifier | None:
    """The verifier the settings ask for (`verify_model`), or None when the check is off or the model unknown."""
    model_id = getattr(settings, "verify_model", None)
    if not model_id:
        return None
    try:
        return ModelVerifier(registry.get(model_id))
    except UnknownModelError:
        log.warning("verify_model %r is not a configured model; the model check is off", model_id)
        return None
