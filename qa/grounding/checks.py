"""The grounding checks beyond overlap: answers too short to verify, negations, question words, stems."""

from __future__ import annotations

import re

from prompts.language import CJK_RANGES
from qa.grounding.text import STOPWORDS

# Yes/no answers: nothing in them can be found in a text.
_YES_NO_EN = re.compile(r"(?:yes|no|true|false|correct|incorrect|right|wrong)(?: (?:it|he|she|they|that|this)?"
                        r" ?(?:is|was|are|were|did|does|do|has|had|have|can|could|will|would)?(?: ?n? ?t| not)?)?")
_YES_NO_ZH = re.compile(r"(?:是的?|不是|否|对的?|不对|没有|有的?|正确|错误?|不|是这样|不是这样|会|不会|能|不能|可以|不可以)"
                        r"(?:的|了|啊|呀)?")
_LEADING_YES_NO = re.compile(r"^(?:yes|no|是的|不是|对|不对)[,，、.。!！]+\s*(?=\S)", re.I)

# Negation: English words ("n't" normalizes to "n t"), Chinese characters outside the words they only spell.
_NEGATION_EN = re.compile(r"\b(?:not|never|no(?! \d)|nor|none|neither|cannot|nobody|nothing|nowhere|without)\b"
                          r"|\b[a-z]+n t\b")
_NEGATION_ZH = re.compile(r"(?<![除南北西东])(?:不|没|未|非|无)"
                          r"(?!常|洲|来|论|过|断|仅|但|久|少|数|同|管|禁|锡|丹|线|限|机|产|穷|比|名)")

# Question words carry no place: they are left out when asking where a question is about.
_QUESTION_CHARS = frozenset("什么哪谁吗呢怎几啥")
_QUESTION_PAIRS = frozenset({"多少", "如何", "为何", "何时", "何地", "是否", "为什", "哪里", "请问", "以下", "文中"})
QUESTION_STOPWORDS = STOPWORDS | frozenset("""
    many much name named kind type did does according passage text following called year
    """.split())


def strip_yes_no(answer: str) -> str:
    """The answer less a leading "Yes," / "No," / "是的，" that comes before its content."""
    return _LEADING_YES_NO.sub("", answer.strip(), count=1)


def is_yes_no(normal: str) -> bool:
    """Whether a normalized answer is a bare yes/no ("yes", "no it isn t", "是的", "不对")."""
    return bool(_YES_NO_EN.fullmatch(normal) or _YES_NO_ZH.fullmatch(normal.replace(" ", "")))


def negations(normal: str, start: int = 0, end: int | None = None) -> list[tuple[int, str]]:
    """(where, marker) for each negation in normal[start:end]; a Chinese marker keeps its next character."""
    end = len(normal) if end is None else end
    found = [(m.start(), "not") for m in _NEGATION_EN.finditer(normal, start, end)]
    found += [(m.start(), normal[m.start():m.start() + 2]) for m in _NEGATION_ZH.finditer(normal, start, end)]
    return sorted(found)


_MEASURED = re.compile(r"(?<=[哪几多])(?:少)?([一二两三四五六七八九十个条种位年次名些座部项届天只层张本支所件处家][\u4e00-\u9fff])")


def measured_after_question_word(normal: str) -> set[str]:
    """Character pairs that only measure what is asked ("哪一年" gives "一年", "几条线" gives "条线")."""
    return {found.group(1) for found in _MEASURED.finditer(normal)}


def question_key(key: str) -> bool:
    """Whether a unit of the question says what it is about (not "what", "哪", "多少", "the")."""
    if key in QUESTION_STOPWORDS or not key.strip():
        return False
    if len(key) <= 2 and any(char in _QUESTION_CHARS for char in key):
        return False
    return key not in _QUESTION_PAIRS and not (len(key) == 1 and not key.isdigit() and key.isascii())


_SUFFIXES = ("ings", "ing", "edly", "ed", "es", "s", "ly", "er", "est", "ment", "ion", "al")


def stem(word: str) -> str:
    """A crude English stem, enough to match "recorded" with "recording" or "won" with "wins" never."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[:-len(suffix)]
            break
    return word[:5]


CJK_RUN = re.compile(rf"[{CJK_RANGES}]{{2,}}")
