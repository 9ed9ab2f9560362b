"""Text as grounding compares it: normalization with offsets, answer units, and where each unit occurs.

Both texts are normalized (NFKC, case folded, punctuation dropped, "6,400" read as
"6400") and cut into units: a word for Latin script and digits, a pair of
neighbouring characters for Chinese, which has no spaces. Numbers (also in words:
"eight" is 8), runs of numbers ("1921年5月4日"), capitalized names and Chinese
numerals with their neighbour ("三项") are critical facts.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from prompts.language import CJK_RANGES, IS_CJK

RUN = re.compile(rf"[{CJK_RANGES}]+|(?:(?![{CJK_RANGES}])[^\W_])+")
CHINESE_NUMERALS = frozenset("零〇一二两三四五六七八九十百千万亿")
STOPWORDS = frozenset("""
    a an the of in on at to for from by with and or as is are was were be been being it its this that these
    those there their they them he she his her we our you your i which who whom what when where why how do does did
    has have had not no yes than then so but if about into over also any some all s answer text passage according
    """.split())
NUMBER_WORDS = {word: str(value) for value, word in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
NUMBER_WORDS.update({word: str(10 * tens)
                      for tens, word in enumerate("thirty forty fifty sixty seventy eighty ninety".split(), 3)})
NUMBER_PHRASE = re.compile(r"(?<!\d)\d+(?:[ 年月日时点:]\d+)+[年月日号分秒]?(?!\d)")
FILLERS = re.compile("答案|原文|文中|文本|根据|主要|包括|因为|所以|由于|可以|已经|就是|他们|它们|以及|还有|通过|"
                      "进行|之一")
STOP_CHARS = frozenset("的了是在和与及为于由被把也都就而并或之着其该")


@dataclass(frozen=True)
class Unit:
    text: str
    start: int  # where it lies in the normalized answer
    end: int
    weight: float
    critical: bool
    follower: str = ""  # for a number with the word after it ("2016 season"): that word


def normalize(text: str) -> tuple[str, list[int]]:
    """The text as compared, and for each of its characters the offset it came from."""
    chars: list[str] = []
    origin: list[int] = []
    for at, char in enumerate(text):
        if char == "," and at and text[at - 1].isdigit() and re.match(r"\d{3}(?!\d)", text[at + 1:at + 5]):
            continue
        for piece in unicodedata.normalize("NFKC", char).casefold():
            piece = piece if piece.isalnum() else " "
            if piece == " " and (not chars or chars[-1] == " "):
                continue
            chars.append(piece)
            origin.append(at)
    # Spaces next to Chinese characters carry no meaning: "北 京" reads as "北京".
    keep = [i for i, char in enumerate(chars) if char != " " or not (
        (i and IS_CJK.match(chars[i - 1])) or (i + 1 < len(chars) and IS_CJK.match(chars[i + 1])))]
    while keep and chars[keep[-1]] == " ":
        keep.pop()
    return "".join(chars[i] for i in keep), [origin[i] for i in keep]


def numbers_with_words(normal: str):
    """(key, start, end, word) for each number and the word right after it: "23年", "2016 season"."""
    runs = list(RUN.finditer(normal))
    for found, after in zip(runs, runs[1:]):
        number = found.group()
        if not (number.isdigit() or number in NUMBER_WORDS):
            continue
        word = after.group()[:1] if IS_CJK.match(after.group()) else after.group()
        gap = normal[found.end():after.start()]
        if (gap == "" and IS_CJK.match(word)) or (gap == " " and word not in STOPWORDS and not word.isdigit()
                                                     and word not in NUMBER_WORDS and not IS_CJK.match(word)):
            yield f"{NUMBER_WORDS.get(number, number)}{gap}{word}", found.start(), after.start() + len(word), word


def answer_units(normal: str, original: str) -> list[Unit]:
    """The answer's units to look for (in `normal` with its fillers blanked): content words, Chinese
    character pairs, numbers and names."""
    names = {word.casefold() for word in re.findall(r"\b[A-Z][\w'-]*", original)} - STOPWORDS
    units = [Unit(found.group(), found.start(), found.end(), 1.0, True)
             for found in NUMBER_PHRASE.finditer(normal)]
    for found in RUN.finditer(normal):
        run, start = found.group(), found.start()
        if IS_CJK.match(run):
            for i in range(max(len(run) - 1, 1)):
                pair = run[i:i + 2]
                weight = 0.5 if set(pair) & STOP_CHARS else 1.0
                units.append(Unit(pair, start + i, start + i + len(pair), weight,
                                   bool(set(pair) & CHINESE_NUMERALS)))
        elif run not in STOPWORDS:
            critical = run in names or run in NUMBER_WORDS or any(char.isdigit() for char in run)
            units.append(Unit(NUMBER_WORDS.get(run, run), start, start + len(run), 2.0 if critical else 1.0,
                               critical))
    units += [Unit(key, start, end, 1.0, True, word) for key, start, end, word in numbers_with_words(normal)]
    return units


def unit_keys(normal: str) -> dict[str, list[int]]:
    """Where every possible unit occurs in a normalized text."""
    places: dict[str, list[int]] = {}
    for found in RUN.finditer(normal):
        run, start = found.group(), found.start()
        if IS_CJK.match(run):
            for i in range(len(run)):
                places.setdefault(run[i], []).append(start + i)
                if i + 1 < len(run):
                    places.setdefault(run[i:i + 2], []).append(start + i)
        else:
            places.setdefault(NUMBER_WORDS.get(run, run), []).append(start)
    for key, start, _, _ in numbers_with_words(normal):
        places.setdefault(key, []).append(start)
    return places


def word_char(char: str) -> bool:
    return char.isalnum() and not IS_CJK.match(char)


