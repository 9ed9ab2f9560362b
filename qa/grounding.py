"""Check each answer against the source text: is it there, quoted or lightly rephrased?

Both texts are normalized (NFKC, case folded, punctuation dropped, "6,400" read as
"6400") and the answer is cut into units: a word for Latin script and digits, a
pair of neighbouring characters for Chinese, which has no spaces. Filler words
("the", "answer", "根据", "答案") and units the answer merely repeats from its
question are not counted, so "The Broncos represented the AFC" needs only
"Broncos" from the source. `support` is the weighted share of the other units
found together in one window of the source about twice the answer's length; an
answer found whole in the source has support 1.

Facts must match exactly. Numbers (also in words: "eight" is 8), runs of numbers
("1921年5月4日"), capitalized names and Chinese numerals with their neighbour ("三项")
are critical: one missing from that window makes the answer ungrounded whatever the
threshold, and cuts its support. A number must also stand by the same word as in
the source ("2016 season", "23年") when the source has that word at all. Chinese
has no capitals, so two or more Chinese characters in a row that match nothing (a
swapped name or place) halve the support, once per such run. Yes/no answers have
nothing to check and are not grounded.

`evidence` is the verbatim span of the source that holds the units found, or ""
when nothing matched.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from prompts.language import CJK_RANGES, IS_CJK

DEFAULT_THRESHOLD = 0.6  # support an answer needs to count as grounded (bench/README.md, "Threshold")
_RUN = re.compile(rf"[{CJK_RANGES}]+|(?:(?![{CJK_RANGES}])[^\W_])+")
_CHINESE_NUMERALS = frozenset("零〇一二两三四五六七八九十百千万亿")
_STOPWORDS = frozenset("""
    a an the of in on at to for from by with and or as is are was were be been being it its this that these
    those there their they them he she his her we our you your i which who whom what when where why how do does did
    has have had not no yes than then so but if about into over also any some all s answer text passage according
    """.split())
_NUMBER_WORDS = {word: str(value) for value, word in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_NUMBER_WORDS.update({word: str(10 * tens)
                      for tens, word in enumerate("thirty forty fifty sixty seventy eighty ninety".split(), 3)})
_NUMBER_PHRASE = re.compile(r"(?<!\d)\d+(?:[ 年月日时点:]\d+)+[年月日号分秒]?(?!\d)")
_FILLERS = re.compile("答案|原文|文中|文本|根据|主要|包括|因为|所以|由于|可以|已经|就是|他们|它们|以及|还有|通过|"
                      "进行|之一")
_STOP_CHARS = frozenset("的了是在和与及为于由被把也都就而并或之着其该")


@dataclass(frozen=True)
class _Unit:
    text: str
    start: int  # where it lies in the normalized answer
    end: int
    weight: float
    critical: bool
    follower: str = ""  # for a number with the word after it ("2016 season"): that word


def ground(pairs: list[dict], source: str, threshold: float = DEFAULT_THRESHOLD) -> list[dict]:
    """Each pair with `grounded` (bool), `support` (0..1) and `evidence` (a span of `source`) added."""
    index = _SourceIndex(source)
    return [{**pair, **index.check(str(pair.get("answer", "")), str(pair.get("question", "")), threshold)}
            for pair in pairs]


def _normalize(text: str) -> tuple[str, list[int]]:
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


def _numbers_with_words(normal: str):
    """(key, start, end, word) for each number and the word right after it: "23年", "2016 season"."""
    runs = list(_RUN.finditer(normal))
    for found, after in zip(runs, runs[1:]):
        number = found.group()
        if not (number.isdigit() or number in _NUMBER_WORDS):
            continue
        word = after.group()[:1] if IS_CJK.match(after.group()) else after.group()
        gap = normal[found.end():after.start()]
        if (gap == "" and IS_CJK.match(word)) or (gap == " " and word not in _STOPWORDS and not word.isdigit()
                                                     and word not in _NUMBER_WORDS and not IS_CJK.match(word)):
            yield f"{_NUMBER_WORDS.get(number, number)}{gap}{word}", found.start(), after.start() + len(word), word


def _units(normal: str, original: str) -> list[_Unit]:
    """The answer's units to look for (in `normal` with its fillers blanked): content words, Chinese
    character pairs, numbers and names."""
    names = {word.casefold() for word in re.findall(r"\b[A-Z][\w'-]*", original)} - _STOPWORDS
    units = [_Unit(found.group(), found.start(), found.end(), 1.0, True)
             for found in _NUMBER_PHRASE.finditer(normal)]
    for found in _RUN.finditer(normal):
        run, start = found.group(), found.start()
        if IS_CJK.match(run):
            for i in range(max(len(run) - 1, 1)):
                pair = run[i:i + 2]
                weight = 0.5 if set(pair) & _STOP_CHARS else 1.0
                units.append(_Unit(pair, start + i, start + i + len(pair), weight,
                                   bool(set(pair) & _CHINESE_NUMERALS)))
        elif run not in _STOPWORDS:
            critical = run in names or run in _NUMBER_WORDS or any(char.isdigit() for char in run)
            units.append(_Unit(_NUMBER_WORDS.get(run, run), start, start + len(run), 2.0 if critical else 1.0,
                               critical))
    units += [_Unit(key, start, end, 1.0, True, word) for key, start, end, word in _numbers_with_words(normal)]
    return units


def _unit_keys(normal: str) -> dict[str, list[int]]:
    """Where every possible unit occurs in a normalized text."""
    places: dict[str, list[int]] = {}
    for found in _RUN.finditer(normal):
        run, start = found.group(), found.start()
        if IS_CJK.match(run):
            for i in range(len(run)):
                places.setdefault(run[i], []).append(start + i)
                if i + 1 < len(run):
                    places.setdefault(run[i:i + 2], []).append(start + i)
        else:
            places.setdefault(_NUMBER_WORDS.get(run, run), []).append(start)
    for key, start, _, _ in _numbers_with_words(normal):
        places.setdefault(key, []).append(start)
    return places


def _word_char(char: str) -> bool:
    return char.isalnum() and not IS_CJK.match(char)


class _SourceIndex:
    """The source normalized once, with where each unit occurs, for checking many answers."""

    def __init__(self, source: str):
        self.source = source
        self.normal, self.origin = _normalize(source)
        self.places = _unit_keys(self.normal)

    def check(self, answer: str, question: str, threshold: float) -> dict:
        normal, _ = _normalize(answer)
        exact = self._find_whole(normal)
        if exact is not None:
            return self._verdict(1.0, True, exact, exact + len(normal))
        asked_normal = _normalize(question)[0]
        asked_keys = set(_unit_keys(asked_normal))
        # A number must stand by the word it stands by in the source, if the source has that word at all.
        content = _FILLERS.sub(lambda found: " " * len(found.group()), normal)  # same length as `normal`
        units = [unit for unit in _units(content, answer) if not unit.follower or unit.follower in self.places]
        asked_keys |= {unit.text for unit in units
                       if _NUMBER_PHRASE.fullmatch(unit.text) and unit.text in asked_normal}
        own = [unit for unit in units if unit.text not in asked_keys]
        if not any(unit.weight >= 1 for unit in own):
            own = units
        if not own:
            return self._verdict(0.0, False, 0, 0)
        window = max(2 * len(normal), 24)
        found, start, end = self._best_window(own, window)
        covered = {at for unit in units if unit in found or unit.text in asked_keys
                   for at in range(unit.start, unit.end)}
        covered |= {at for at, char in enumerate(normal) if char in _STOP_CHARS}
        # A character pair bridging matched text (a question word, then a word of the source) is matched too.
        found |= {unit for unit in own if IS_CJK.match(unit.text)
                  and all(at in covered for at in range(unit.start, unit.end))}
        support = sum(unit.weight for unit in own if unit in found) / sum(unit.weight for unit in own)
        critical = [unit for unit in own if unit.critical]
        missing = [unit for unit in critical if unit not in found]
        if missing:
            support *= (1 - len(missing) / len(critical)) ** 2
        support *= 0.5 ** self._unmatched_runs(content, covered)
        start, end = self._widen(asked_keys, start, end, window)
        return self._verdict(support, support >= threshold and not missing, start, end)

    def _find_whole(self, normal: str) -> int | None:
        """Where the whole normalized answer occurs in the source, not inside a longer word."""
        if not normal:
            return None
        at = self.normal.find(normal)
        while at >= 0:
            before = self.normal[at - 1] if at else " "
            after = self.normal[at + len(normal)] if at + len(normal) < len(self.normal) else " "
            if not (_word_char(before) and _word_char(normal[0])) \
                    and not (_word_char(after) and _word_char(normal[-1])):
                return at
            at = self.normal.find(normal, at + 1)
        return None

    @staticmethod
    def _unmatched_runs(content: str, covered: set[int]) -> int:
        """Runs of two or more Chinese characters (fillers blanked in `content`) that matched nothing."""
        runs = re.finditer(rf"[{CJK_RANGES}]{{2,}}", "".join(
            " " if at in covered or char in _STOP_CHARS else char for at, char in enumerate(content)))
        return sum(1 for _ in runs)

    def _best_window(self, units: list[_Unit], window: int) -> tuple[set[_Unit], int, int]:
        """The units found together in the best window of the source, and the span they cover."""
        hits = sorted((place, i) for i, unit in enumerate(units) for place in self._places(unit.text))
        if not hits:
            return set(), 0, 0
        best = (0.0, 0, 0)
        counts: Counter[int] = Counter()
        weight, left = 0.0, 0
        for right, (place, i) in enumerate(hits):
            if counts[i] == 0:
                weight += units[i].weight
            counts[i] += 1
            while place - hits[left][0] > window:
                counts[hits[left][1]] -= 1
                if counts[hits[left][1]] == 0:
                    weight -= units[hits[left][1]].weight
                left += 1
            if weight > best[0]:
                best = (weight, left, right)
        inside = hits[best[1]:best[2] + 1]
        last_place, last_unit = inside[-1]
        return {units[i] for _, i in inside}, inside[0][0], last_place + len(units[last_unit].text)

    def _places(self, key: str) -> list[int]:
        """Where a unit occurs; a run of numbers ("1921年5月4日") is looked up as it comes."""
        if key not in self.places and _NUMBER_PHRASE.fullmatch(key):
            ends_in_digit = r"(?!\d)" if key[-1].isdigit() else ""
            pattern = re.compile(r"(?<!\d)" + re.escape(key) + ends_in_digit)
            self.places[key] = [found.start() for found in pattern.finditer(self.normal)]
        return self.places.get(key, [])

    def _widen(self, asked_keys: set[str], start: int, end: int, window: int) -> tuple[int, int]:
        """The evidence span stretched over question words the answer repeats close by."""
        if end <= start:
            return start, end
        for key in (key for key in asked_keys if len(key) > 1):
            for place in self.places.get(key, ()):
                if end - window <= place and place + len(key) <= start + window:
                    start, end = min(start, place), max(end, place + len(key))
        return start, end

    def _verdict(self, support: float, grounded: bool, start: int, end: int) -> dict:
        evidence = ""
        if end > start:
            first, last = self.origin[start], self.origin[end - 1] + 1
            while first > 0 and _word_char(self.source[first - 1]) and _word_char(self.source[first]):
                first -= 1
            while last < len(self.source) and _word_char(self.source[last]) and _word_char(self.source[last - 1]):
                last += 1
            evidence = self.source[first:last]
        return {"grounded": grounded, "support": round(support, 3), "evidence": evidence}
