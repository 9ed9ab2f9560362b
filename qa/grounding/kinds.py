"""What kind of answer a question asks for, read from its wording alone, and whether the answer is of that kind."""

from __future__ import annotations

import re

from prompts.language import IS_CJK
from qa.grounding.text import STOPWORDS

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
# A quantity or date and nothing else: "1978", "81座", "1847年－1850年间", "seven", "45 percent", "early 2012".
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_ONLY_NUMBER = re.compile(rf"(?:(?:\d+|{_NUMBER_WORDS}|percent|[{_CJK_DIGITS}年月日号时分秒点个座条位次名岁间%－~至到]) ?)+"
                          rf"|(?:(?:early|late|mid|in|on|the|about|around|{_MONTHS}|seconds?|minutes?|hours?|days?|"
                          rf"weeks?|months?|years?) )*(?:\d+|{_NUMBER_WORDS})(?: (?:\d+|{_NUMBER_WORDS}|{_MONTHS}|"
                          rf"seconds?|minutes?|hours?|days?|weeks?|months?|years?|percent))*")
# When, asked plainly (a "when" clause ahead of another question word asks that one); its answer names a time.
_ASKS_TIME = re.compile(r"^when\b(?!.*\b(?:who|whom|what|which|where|how)\b)|\b(?:what|which) (?:year|date|day|month|"
                        r"decade|century|era|period|season)\b|\bhow long\b|什么时候|何时|什么时间|哪个时期|什么年代|多久|多长时间")
_HAS_TIME = re.compile(r"[\d零〇一二两三四五六七八九十百千万半数几首今昔初末期代朝世纪年月日周天时春夏秋冬晨早午晚夜前后间季节当现]|"
                       r"\b(?:century|centuries|ago|during|after|before|since|until|till|in|on|at|by|when|while|once|"
                       rf"{_MONTHS}|"
                       r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|spring|summer|autumn|fall|winter|"
                       r"today|yesterday|tomorrow|now|then|era|age|period|reign|dynasty|early|late|mid|decade|decades|"
                       r"years?|months?|weeks?|days?|night|morning|evening|afternoon|hours?|minutes?|seconds?|times?|"
                       r"recently|later|earlier|first|last|next|previous|following|season|end|beginning|start|war)\b")


# A question that names no measure (how many, length, year, level, number, rank …) asks for a name or a
# description, not a bare quantity: "哪家公司" answered "1903年", "what team" answered "2015".
_MEASURED_ZH = re.compile(r"多|几|数|量|第|年|时|期|代|龄|岁|长|高|重|深|宽|厚|大小|尺寸|距离|面积|温度|海拔|规模|比例|"
                          r"比分|成绩|战绩|得分|排名|价|费|额|成本|率|度|级|号|层|楼|届|集|话|版|型|名次|世纪|范围|分布|"
                          r"区间|水平|程度")
_UNITS_ZH = "平方公里|平方千米|平方米|平方英里|立方米|公里|千米|英里|公尺|公分|光年|海里|英尺|公顷|公斤|千克|摄氏度"
_QUANTITY_ZH = re.compile(  # "1903年", "548公里", "28亿元", "4998平方米", "三个", "十八张"; not "2003年系列", "一片落叶"
    rf"(?:约|大约|近|超过|共|达)?(?:\d[\d{_CJK_DIGITS}年月日号时分秒点至到]*"
    rf"(?:{_UNITS_ZH}|[a-z]{{1,3}}\d?|(?<![年月日号])[\u4e00-\u9fff]{{1,2}})?"
    rf"|[{_CJK_DIGITS}]+[个座条位次名年月日号天种项届部张只头人所家本支件处层岁倍元米秒]?)(?:多|余|左右)?")
_ASKS_NAME_EN = re.compile(r"^(?:who|whom|whose|where)\b|\b(?:what|which) (?:\w+ )?(?:team|city|town|country|state|"
                           r"network|station|company|player|position|stadium|site|league|school|university|college|"
                           r"group|band|person|man|woman|organization|agency|entity|language|river|building|song|"
                           r"album|film|movie|show|channel|brand|game|sport|event|award|trophy|conference|division|"
                           r"title|role|party|nation|region|area|county|province|island|street|venue|location|"
                           r"place)s?\b")
_QUANTITY_EN = re.compile(rf"(?:(?:about|over|nearly|approximately|around|more than|less than|the|a|an|only|just) )?"
                          rf"(?:\d+(?:st|nd|rd|th)?|{_NUMBER_WORDS}|first|second|third|fourth|fifth|sixth|seventh|"
                          rf"eighth|ninth|tenth)(?: (?:\d+|million|billion|thousand|hundred|percent|seconds?|minutes?|"
                          rf"hours?|days?|weeks?|months?|years?|yards?|points?|times?|games?|(?:solo )?tackles?|passes|"
                          rf"people|feet|miles?|km))*")
# A colour asked for ("什么颜色", "what color") and none given.
_ASKS_COLOUR = re.compile(r"颜色|\bwhat colou?rs?\b")
_HAS_COLOUR = re.compile(r"[色红黄蓝绿白黑紫灰褐棕橙粉金银青赤彩斑纹]|\b(?:red|orange|yellow|green|blue|purple|"
                         r"violet|white|black|gr[ae]y|brown|pink|gold|golden|silver|colou?rs?|navy|teal|maroon|"
                         r"crimson|scarlet|beige|tan|cyan|magenta|dark|light|pale|bright)\b")


def mismatch(question_normal: str, answer_normal: str) -> str | None:
    """The kind of answer the (normalized) question asks for when the (normalized) answer is not of it, else None:
    "number" when it asks how many / which year and the answer has no number;
    "time" when it asks when / how long and the answer names no time;
    "name" when it asks who / where (or, in English, which team, city, position …) and the answer is
    only a quantity or date; "description" when it asks for no quantity at all (no 多少/几/长/年/率 …)
    and a Chinese answer is a bare quantity; "colour" when it asks for a colour and the answer names none."""
    if _ASKS_NUMBER.search(question_normal):
        return None if _HAS_NUMBER.search(answer_normal) else "number"
    if _ASKS_TIME.search(question_normal) and not _HAS_TIME.search(answer_normal):
        return "time"
    if _ASKS_PERSON_OR_PLACE.search(question_normal) and _ONLY_NUMBER.fullmatch(answer_normal):
        return "name"
    if _ASKS_NAME_EN.search(question_normal) and _QUANTITY_EN.fullmatch(answer_normal):
        return "name"
    if _QUANTITY_ZH.fullmatch(answer_normal.replace(" ", "")) \
            and not _MEASURED_ZH.search(question_normal) and IS_CJK.search(question_normal):
        return "description"
    if _ASKS_COLOUR.search(question_normal) and not _HAS_COLOUR.search(answer_normal):
        return "colour"
    return None


_CHOICE = re.compile(r"\b(?:or|between|either|versus|vs)\b")


def repeats_question(question_normal: str, answer_normal: str) -> bool:
    """Whether an English answer only repeats words of its question ("Who sang the national anthem?" →
    "the national anthem"), when the question offers no choice ("A or B", "between") and asks no number.
    (Not Chinese: a short name there is often part of a longer one the question holds, "长江电力".)"""
    if IS_CJK.search(question_normal) or IS_CJK.search(answer_normal) or _CHOICE.search(question_normal) \
            or _ASKS_NUMBER.search(question_normal):
        return False
    words = [word for word in answer_normal.split() if word not in STOPWORDS]
    asked = set(question_normal.split())
    return bool(words) and all(word in asked for word in words)


def wrong_answer(question_normal: str, answer_normal: str) -> tuple[str, dict] | None:
    """(reason code, its values) when the answer cannot be what the question asks for, else None."""
    kind = mismatch(question_normal, answer_normal)
    if kind:
        return "wrong_kind", {"kind": kind}
    return ("repeats_question", {}) if repeats_question(question_normal, answer_normal) else None
