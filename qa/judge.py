"""The optional quality score: a chosen model rates a pair against its chunk (1-5), and the rating is read robustly.

The judge is asked for relevance (does the question ask about the chunk), accuracy (is
the answer right according to the chunk) and clarity (can the pair be read on its own),
each on the stated scale SCALE = 1..5, and for an overall score with a one-sentence
reason, as one JSON object. Models do not always comply, so `parse_rating` also reads
"Score: 4/5", "Overall rating: 4 out of 5", "8/10" (rescaled), "评分：4分", "四分",
and words ("good", "excellent", "较差"). A reply it cannot read, or a number off the
scale, is *unrated*: the pair keeps score None with the reason saying why, and the
caller counts it. Nothing is dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from llms.base import RemoteLLMs
from llms.errors import LLMError
from prompts.language import detect_language

SCALE = (1, 5)
REASON_MAX = 500
CHUNK_MAX = 6000  # characters of the chunk shown to the judge
CRITERIA = ("relevance", "accuracy", "clarity")

PROMPTS = {
    "en": ("You rate question-answer pairs written from a passage. Rate the pair on a scale of 1 (very poor) "
           "to 5 (excellent) for: relevance (the question asks about the passage), accuracy (the answer is "
           "correct according to the passage alone), clarity (question and answer are clear on their own). "
           "Then give an overall score from 1 to 5 and a one-sentence reason. Reply with only this JSON object:\n"
           '{"relevance": 1-5, "accuracy": 1-5, "clarity": 1-5, "score": 1-5, "reason": "..."}'),
    "zh": ("你负责给根据一段文字写出的问答对打分。按 1（很差）到 5（优秀）给出：相关性（问题是否针对这段文字）、"
           "准确性（仅根据这段文字，答案是否正确）、清晰度（问题和答案是否清楚、能独立理解）。"
           "然后给出 1 到 5 的总分和一句话理由。只回复下面这个 JSON 对象：\n"
           '{"relevance": 1-5, "accuracy": 1-5, "clarity": 1-5, "score": 1-5, "reason": "……"}'),
}
_USER = {
    "en": "Passage:\n{chunk}\n\nQuestion: {question}\nAnswer: {answer}",
    "zh": "文字：\n{chunk}\n\n问题：{question}\n答案：{answer}",
}


@dataclass(frozen=True)
class Rating:
    """A judge's rating: `score` on SCALE, or None when the reply could not be read (unrated)."""
    score: float | None
    reason: str
    parts: dict[str, float] = field(default_factory=dict)  # relevance, accuracy, clarity when given

    @property
    def rated(self) -> bool:
        return self.score is not None


# -- reading a reply ------------------------------------------------------------------------

_NUMBER = r"(\d+(?:\.\d+)?)"
_LABELS = r"(?:overall(?:\s+score|\s+rating)?|final\s+score|score|rating|grade|总分|总体评分|综合评分|评分|得分|分数|打分)"
_LABELLED = re.compile(rf"{_LABELS}[\"']?\s*[:：=是为]?\s*\**\s*{_NUMBER}\s*(?:分)?\s*(?:(?:/|out of|of)\s*(\d+))?",
                       re.IGNORECASE)
_FRACTION = re.compile(rf"(?<![\d.]){_NUMBER}\s*(?:/|out of)\s*(\d+)(?!\d|\.\d)", re.IGNORECASE)
_CJK_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_CJK_SCORE = re.compile(r"([一二两三四五])\s*分")
_WORDS = [  # longest first, so "very poor" is not read as "poor"
    ("very poor", 1), ("terrible", 1), ("unacceptable", 1), ("very good", 5), ("excellent", 5), ("perfect", 5),
    ("poor", 2), ("bad", 2), ("fair", 3), ("average", 3), ("acceptable", 3), ("mediocre", 3), ("good", 4),
    ("很差", 1), ("极差", 1), ("非常差", 1), ("优秀", 5), ("很好", 5), ("非常好", 5), ("较差", 2), ("差", 2),
    ("一般", 3), ("中等", 3), ("及格", 3), ("良好", 4), ("好", 4),
]
_WORD = re.compile("|".join(rf"\b{re.escape(w)}\b" if w.isascii() else re.escape(w) for w, _ in _WORDS),
                   re.IGNORECASE)
_WORD_SCORES = {w: s for w, s in _WORDS}
_SCORE_KEYS = ("score", "overall", "overall_score", "rating", "total", "总分", "评分", "得分")
_REASON_KEYS = ("reason", "explanation", "rationale", "comment", "理由", "原因")


def parse_rating(reply: str) -> Rating:
    """The rating in a judge's reply; Rating(None, why) when there is none on SCALE."""
    text = (reply or "").strip()
    if not text:
        return Rating(None, "unrated: the judge's reply was empty")
    found = _from_json(text)
    if found is not None:
        return found
    for reader in (_from_label, _from_fraction, _from_cjk, _from_word):
        score = reader(text)
        if score is not None:
            if not _on_scale(score):
                return Rating(None, f"unrated: score {score:g} is outside {SCALE[0]}-{SCALE[1]}: {_clip(text)}")
            return Rating(round(score, 2), _clip(_strip_score(text)) or _clip(text))
    return Rating(None, f"unrated: no rating found in the judge's reply: {_clip(text)}")


def _from_json(text: str) -> Rating | None:
    for match in re.finditer(r"\{.*\}", text, re.DOTALL):
        try:
            data = json.loads(match.group(0))
        except json.JSONDecodeError:
            # a greedy match may span two objects or trailing prose; try the shortest object too
            inner = re.search(r"\{[^{}]*\}", match.group(0))
            try:
                data = json.loads(inner.group(0)) if inner else None
            except json.JSONDecodeError:
                data = None
        if not isinstance(data, dict):
            continue
        lowered = {str(k).strip().lower(): v for k, v in data.items()}
        parts = {k: v for k in CRITERIA if (v := _number(lowered.get(k))) is not None}
        reason = next((str(lowered[k]) for k in _REASON_KEYS if isinstance(lowered.get(k), str)), "")
        score = next((v for k in _SCORE_KEYS if (v := _number(lowered.get(k))) is not None), None)
        if score is None and len(parts) == len(CRITERIA):
            score = sum(parts.values()) / len(parts)
        if score is None:
            return Rating(None, f"unrated: the judge's JSON has no score: {_clip(text)}")
        if not _on_scale(score) or not all(_on_scale(v) for v in parts.values()):
            return Rating(None, f"unrated: a rating is outside {SCALE[0]}-{SCALE[1]}: {_clip(text)}")
        return Rating(round(score, 2), _clip(reason), parts)
    return None


def _number(value) -> float | None:
    """A number, or a text such as "4", "4/5", "8 out of 10" (rescaled to SCALE); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        fraction = _from_fraction(value)
        if fraction is not None:
            return fraction
        plain = re.fullmatch(rf"\s*{_NUMBER}\s*分?\s*", value)
        if plain:
            return float(plain.group(1))
    return None


def _rescale(value: float, out_of: str | None) -> float | None:
    """`value` out of `out_of`, on SCALE (out of 5 or none: as it is; out of 10 or 100: rescaled)."""
    if not out_of:
        return value
    top = float(out_of)
    if top <= 0:
        return None
    return value if top == SCALE[1] else value * SCALE[1] / top


def _from_label(text: str) -> float | None:
    matches = list(_LABELLED.finditer(text))
    if not matches:
        return None
    # the last labelled number is the overall one in "Relevance: 5 ... Score: 4"
    overall = [m for m in matches if re.match(r"overall|final|总", m.group(0), re.IGNORECASE)]
    chosen = (overall or matches)[-1]
    return _rescale(float(chosen.group(1)), chosen.group(2))


def _from_fraction(text: str) -> float | None:
    match = _FRACTION.search(text)
    return _rescale(float(match.group(1)), match.group(2)) if match else None


def _from_cjk(text: str) -> float | None:
    match = _CJK_SCORE.search(text)
    return float(_CJK_DIGITS[match.group(1)]) if match else None


def _from_word(text: str) -> float | None:
    match = _WORD.search(text)
    return float(_WORD_SCORES[match.group(0).lower()]) if match else None


def _on_scale(value: float) -> bool:
    return SCALE[0] <= value <= SCALE[1]


def _strip_score(text: str) -> str:
    return _LABELLED.sub("", text).strip(" \n.:-：。")


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= REASON_MAX else text[:REASON_MAX - 1] + "…"


# -- asking the judge -----------------------------------------------------------------------

def judge_messages(question: str, answer: str, chunk: str, language: str | None = None) -> list[dict]:
    """The system and user messages that ask for a rating of one pair against its chunk."""
    language = language if language in PROMPTS else detect_language(chunk or question)
    user = _USER[language].format(chunk=(chunk or "")[:CHUNK_MAX], question=question, answer=answer)
    return [{"role": "system", "content": PROMPTS[language]}, {"role": "user", "content": user}]


def judge_pair(model: RemoteLLMs, question: str, answer: str, chunk: str, *, max_tokens: int = 256) -> Rating:
    """Ask `model` to rate one pair; a model error is an unrated pair whose reason says so."""
    try:
        reply = model.request_llm(judge_messages(question, answer, chunk), max_tokens=max_tokens, temperature=0.0)
    except LLMError as exc:
        return Rating(None, _clip(f"unrated: the judge failed: {exc.message}"))
    return parse_rating(reply)


@dataclass
class JudgeReport:
    """What a judge run did: how many pairs it rated and how many it could not."""
    rated: int = 0
    unrated: int = 0
    failures: list[tuple[object, str]] = field(default_factory=list)  # (pair id, reason), the first 100

    def to_dict(self) -> dict:
        return {"rated": self.rated, "unrated": self.unrated,
                "failures": [{"id": key, "reason": reason} for key, reason in self.failures]}


def judge_all(model: RemoteLLMs, pairs: Iterable[dict], save: Callable[[object, Rating], None], *,
              should_stop: Callable[[], bool] = lambda: False, max_tokens: int = 256) -> JudgeReport:
    """Rate every pair ({"id", "question", "answer", "chunk"}) and hand each rating to `save(id, rating)` as
    it comes, so a long run keeps what it did if stopped; returns the counts."""
    report = JudgeReport()
    for pair in pairs:
        if should_stop():
            break
        rating = judge_pair(model, pair["question"], pair["answer"], pair.get("chunk") or "", max_tokens=max_tokens)
        save(pair.get("id"), rating)
        if rating.rated:
            report.rated += 1
        else:
            report.unrated += 1
            if len(report.failures) < 100:
                report.failures.append((pair.get("id"), rating.reason))
    return report
