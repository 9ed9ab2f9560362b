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


# What kind of answer a question asks for, when its wording says so plainly.
_ASKS_NUMBER = re.compile(r"\bhow (?:many|much|old|far|tall|high)\b|\bwhat (?:year|percentage|percent)\b"
                          r"|\bwhich year\b|\bin what year\b|多少|(?<!哪)几[个年次位种项层条部名天只届册卷页场岁月号%]|哪一?年|哪一?天"
                          r"|百分之几|何年")
_ASKS_PERSON_OR_PLACE = re.compile(r"^(?:who|whom|where)\b|谁|哪里|哪儿|何地|何人|哪位|什么人|什么地方"
                                   r"|在哪(?!一?[年天月日段次期届个])|哪个(?:国家|城市|地方|人)")
_NUMBER_WORDS = ("zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
                 "hundred|thousand|million|billion")
_CJK_DIGITS = "零〇一二两三四五六七八九十百千万亿"
_HAS_NUMBER = re.compile(rf"\d|\b(?:{_NUMBER_WORDS}|dozen|dozens|several|half|once|twice|first|second|third|fourth|"
                         rf"fifth|single|both|none|no)\b|[{_CJK_DIGITS}半数几双首]")
# A quantity and nothing else: "1978", "81座", "1847年－1850年间", "seven", "45 percent".
_ONLY_NUMBER = re.compile(rf"(?:(?:\d+|{_NUMBER_WORDS}|percent|[{_CJK_DIGITS}年月日号时分秒点个座条位次名岁间%－~至到]) ?)+")
# When, asked plainly (a "when" clause ahead of another question word asks that one); its answer names a time.
_ASKS_TIME = re.compile(r"^when\b(?!.*\b(?:who|whom|what|which|where|how)\b)|\b(?:what|which) (?:year|date|day|month|"
                        r"decade|century|era|period|season)\b|\bhow long\b|什么时候|何时|什么时间|哪个时期|什么年代|多久|多长时间")
_HAS_TIME = re.compile(r"[\d零〇一二两三四五六七八九十百千万半数几首今昔初末期代朝世纪年月日周天时春夏秋冬晨早午晚夜前后间季节当现]|"
                       r"\b(?:century|centuries|ago|during|after|before|since|until|till|in|on|at|by|when|while|once|"
                       r"january|february|march|april|may|june|july|august|september|october|november|december|"
                       r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|spring|summer|autumn|fall|winter|"
                       r"today|yesterday|tomorrow|now|then|era|age|period|reign|dynasty|early|late|mid|decade|decades|"
                       r"years?|months?|weeks?|days?|night|morning|evening|afternoon|hours?|minutes?|seconds?|times?|"
                       r"recently|later|earlier|first|last|next|previous|following|season|end|beginning|start|war)\b")


def answer_type_mismatch(question_normal: str, answer_normal: str) -> str | None:
    """"number" when the question asks how many / which year and the answer has no number;
    "time" when it asks when / how long and the answer names no time;
    "name" when it asks who / where and the answer is only a quantity or date; else None."""
    if _ASKS_NUMBER.search(question_normal) and not _HAS_NUMBER.search(answer_normal):
        return "number"
    if _ASKS_TIME.search(question_normal) and not _HAS_TIME.search(answer_normal):
        return "time"
    if _ASKS_PERSON_OR_PLACE.search(question_normal) and _ONLY_NUMBER.fullmatch(answer_normal) \
            and not _ASKS_NUMBER.search(question_normal):
        return "name"
    return None


CJK_RUN = re.compile(rf"[{CJK_RANGES}]{{2,}}")
