"""One source text, indexed once, that checks many answers: overlap, facts, claims, negation, the question."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, field

from prompts.language import IS_CJK
from qa.grounding import checks, kinds
from qa.grounding.text import (
    FILLERS, NUMBER_PHRASE, RUN, STOP_CHARS, Unit, answer_units, normalize, unit_keys, word_char,
)

ABOUT_RATIO = 0.5  # the question's words near the evidence, as a share of the most they gather anywhere
ABOUT_RATIO_CJK = 0.35  # (Chinese: character pairs of one word share its places, so the shares run closer)
MARGIN_CJK, MARGIN_LATIN = 4, 12  # normalized characters either side of the evidence's sentences still "next to it"
_SENTENCE_END = re.compile(r"[。！？；!?;\n]+|\.(?=\s)")
MAX_PLACES = 64  # occurrences of a whole answer (or best windows) compared by the question's words
IDF_POWER = 1.0  # a question word found k times in the source weighs 1/k**IDF_POWER
TOPIC_WEIGHT = 0.2
OTHER_LEAD, OTHER_MIN, OTHER_HOME = 3.0, 2.0, 1.0  # another question of the batch, far more about the evidence
SENTENCES_BEFORE = 1  # sentences ahead of the evidence's that count as next to it
MIN_GAP_CJK = 2.0  # (Chinese counts character pairs: one word of the question is about two)
MIN_GAP = 1.8  # the question's words elsewhere must outweigh those near the evidence by this much to flag it


@dataclass
class Finding:
    """What the rules found for one answer; offsets are in the normalized source."""
    verdict: str  # "grounded", "unsupported" or "unverifiable"
    support: float
    start: int = 0
    end: int = 0
    reasons: list[tuple[str, dict]] = field(default_factory=list)  # (code, values for its message)
    unsure: bool = False  # the rules could go either way: a model check may decide
    weakly_about: bool = False  # the question's words gather more elsewhere, though not by the full lead
    near: float = 0.0  # the weight of the question's words around the evidence



class SourceIndex:
    """The source normalized once, with where each unit occurs, for checking many answers."""

    def __init__(self, source: str):
        self.source = source
        self.normal, self.origin = normalize(source)
        self.places = unit_keys(self.normal)
        cjk = len(IS_CJK.findall(self.normal[:2000]))
        self.margin = MARGIN_CJK if cjk * 2 > len(self.normal[:2000]) else MARGIN_LATIN
        self._stems: dict[str, list[int]] | None = None
        self._asked: dict[str, dict[str, float]] = {}  # question -> its units, until `places` gains a key
        # Where sentences start in the normalized text: after 。！？；!?; and newlines, and ". " in Latin text.
        self.breaks = sorted({0} | {bisect_left(self.origin, found.end()) for found in _SENTENCE_END.finditer(source)})
        self.first_sentence_end = self.breaks[1] if len(self.breaks) > 1 else len(self.normal)

    # -- the check ------------------------------------------------------------------------

    def check(self, answer: str, question: str, threshold: float) -> Finding:
        text = checks.strip_yes_no(answer)
        normal, answer_origin = normalize(text)
        if not normal:
            return Finding("unsupported", 0.0, reasons=[("empty", {})])
        if checks.is_yes_no(normal):
            return Finding("unverifiable", 0.0, reasons=[("yes_no", {"answer": answer.strip()})], unsure=True)
        compact = normal.replace(" ", "")
        if len(compact) == 1 and not compact.isdigit():
            return Finding("unverifiable", 0.0, reasons=[("too_short", {"answer": answer.strip()})], unsure=True)
        asked = self._question_units(question)
        asked_normal = normalize(question)[0]
        short = len(compact) <= 2 or (" " not in normal and not IS_CJK.search(normal))
        whole = self._find_whole(normal)
        if whole:
            at = max(whole, key=lambda place: self._near(asked, place, place + len(normal)))
            finding = Finding("grounded", 1.0, at, at + len(normal))
        else:
            finding = self._overlap(text, normal, answer_origin, asked_normal, threshold, asked)
        if finding.verdict == "grounded":
            wrong = kinds.wrong_answer(asked_normal, normal)
            if wrong:
                finding.verdict, finding.unsure = "unsupported", True
                finding.reasons.append(wrong)
            else:
                self._about(asked, finding, short, answer.strip())
        return finding

    def _overlap(self, text: str, normal: str, answer_origin: list[int], asked_normal: str, threshold: float,
                 asked: dict[str, float]) -> Finding:
        """Support from the answer's units found together in one window of the source, then its claims."""
        asked_keys = set(unit_keys(asked_normal))
        # A number must stand by the word it stands by in the source, if the source has that word at all.
        content = FILLERS.sub(lambda found: " " * len(found.group()), normal)  # same length as `normal`
        units = [unit for unit in answer_units(content, text) if not unit.follower or unit.follower in self.places]
        asked_keys |= {unit.text for unit in units
                       if NUMBER_PHRASE.fullmatch(unit.text) and unit.text in asked_normal}
        own = [unit for unit in units if unit.text not in asked_keys]
        if not any(unit.weight >= 1 for unit in own):
            own = units
        if not own:
            return Finding("unsupported", 0.0, reasons=[("not_found", {})])
        window = max(2 * len(normal), 24)
        copied = {at for i in range(len(normal) - 1) if normal[i:i + 2] in asked_keys and IS_CJK.match(normal[i])
                  for at in (i, i + 1)}  # the answer's characters in pairs of the question's wording
        found, start, end, matched = self._best_window(own, window, asked, copied)
        covered = {at for unit in units if unit in found or unit.text in asked_keys
                   for at in range(unit.start, unit.end)}
        covered |= {at for at, char in enumerate(normal) if char in STOP_CHARS}
        # A character pair bridging matched text (a question word, then a word of the source) is matched too.
        found |= {unit for unit in own if IS_CJK.match(unit.text)
                  and all(at in covered for at in range(unit.start, unit.end))}
        support = sum(unit.weight for unit in own if unit in found) / sum(unit.weight for unit in own)
        critical = [unit for unit in own if unit.critical]
        missing = [unit for unit in critical if unit not in found]
        if missing:
            support *= (1 - len(missing) / len(critical)) ** 2
        runs = self._unmatched_runs(content, covered)
        support *= 0.5 ** len(runs)
        start, end = self._widen(asked_keys, start, end, window)
        in_found = {at for unit in found for at in range(unit.start, unit.end)}
        negation = self._negation(normal, answer_origin, text, covered, in_found, matched,
                                  {marker for _, marker in checks.negations(asked_normal)})
        reasons: list[tuple[str, dict]] = []
        shown: list[Unit] = []  # the longest of overlapping units: "1960年", not also "1960"
        for unit in sorted(missing, key=lambda unit: (unit.start, unit.start - unit.end)):
            if not any(unit.start < other.end and other.start < unit.end for other in shown):
                shown.append(unit)
        for unit in shown[:3]:
            where = "missing_fact" if not self._places(unit.text) else "misplaced_fact"
            reasons.append((where, {"text": _span(text, answer_origin, unit.start, unit.end)}))
        if not found:
            return Finding("unsupported", round(support, 3), reasons=reasons or [("not_found", {})])
        claims = [(s, e) for s, e in runs if not all(self._near_key(content[s:e][i:i + 2], start, end)
                                                     for i in range(e - s - 1))]
        claims += self._claim_words(own, found, asked_keys, start, end)
        for s, e in sorted(claims)[:3]:
            reasons.append(("added_claim", {"text": _span(text, answer_origin, s, e)}))
        reasons += negation
        if reasons:
            return Finding("unsupported", round(support, 3), start, end, reasons)
        if support < threshold:
            return Finding("unsupported", round(support, 3), start, end,
                           [("low_support", {"percent": round(100 * support)})], unsure=support >= threshold - 0.2)
        return Finding("grounded", round(support, 3), start, end, unsure=support < threshold + 0.15)

    # -- claims and negation -----------------------------------------------------------------

    def _near_key(self, key: str, start: int, end: int) -> bool:
        """Whether the key occurs in the sentences of the evidence."""
        low, high = self._sentence_span(start, end)
        places = self.places.get(key, ())
        at = bisect_left(places, low)
        return at < len(places) and places[at] <= high

    def _claim_words(self, own: list[Unit], found: set[Unit], asked_keys: set[str], start: int,
                     end: int) -> list[tuple[int, int]]:
        """Latin words of the answer that are in neither the evidence, its neighbourhood nor the question."""
        claims = []
        for unit in own:
            if unit in found or unit.critical or IS_CJK.match(unit.text) or unit.text in asked_keys:
                continue
            if self._near_key(unit.text, start, end) or self._near_stem(unit.text, start, end):
                continue
            claims.append((unit.start, unit.end))
        return claims

    def _near_stem(self, word: str, start: int, end: int) -> bool:
        if self._stems is None:
            self._stems = {}
            for found in RUN.finditer(self.normal):
                if not IS_CJK.match(found.group()):
                    self._stems.setdefault(checks.stem(found.group()), []).append(found.start())
        low, high = self._sentence_span(start, end)
        places = self._stems.get(checks.stem(word), ())
        at = bisect_left(places, low)
        return at < len(places) and places[at] <= high

    def _negation(self, normal: str, answer_origin: list[int], text: str, covered: set[int], found: set[int],
                  matched: set[int], asked: set[str]) -> list[tuple[str, dict]]:
        """A negation of a matched word that the answer adds, or that the source has and the answer drops.

        `covered`/`found`: answer positions matched (with stop characters) / inside found units;
        `matched`: the source positions of the found units; `asked`: the question's own negations,
        which an answer may repeat.
        """
        if not matched:
            return []
        low, high = min(matched), max(matched) + 1

        def negating(at: int, marker: str, places: set[int], breaks: list[int] = ()) -> bool:
            """A matched word right after the marker, in its sentence ("不详。广东" negates nothing)."""
            after = bisect_right(breaks, at)
            next_break = breaks[after] if after < len(breaks) else len(self.normal) + 1
            return any(at + len(marker) + gap in places and at + len(marker) + gap < next_break
                       for gap in range(2 if marker != "not" else 12))

        every_said = checks.negations(normal)
        said = [(at, m) for at, m in every_said if negating(at, m, covered) and m not in asked]
        region = checks.negations(self.normal, max(0, low - 12), high)
        has = [(at, m) for at, m in region if negating(at, m, matched, self.breaks) and m not in asked]
        # A Chinese marker inside character pairs found in the source is in the source: it adds nothing.
        added = [(at, m) for at, m in said if m != "not" and not (
            {at, at + 1} <= found and (at == 0 or at - 1 in found))]  # "郎非是": both pairs found
        dropped = [(at, m) for at, m in has if m != "not" and at not in matched
                   and m not in {marker for _, marker in every_said}]
        english_said, english_has = [x for x in said if x[1] == "not"], [x for x in has if x[1] == "not"]
        if len(english_said) > len(english_has):
            added.append(english_said[len(english_has)])
        elif len(english_has) > len(english_said):
            dropped.append(english_has[len(english_said)])
        if added:
            at, marker = added[0]
            return [("negation_added", {"text": _span(text, answer_origin, at, at + len(marker))})]
        if dropped:
            at, marker = dropped[0]
            first, last = self.origin[at], self.origin[min(at + len(marker), len(self.origin)) - 1] + 1
            return [("negation_removed", {"text": self.source[first:last]})]
        return []

    # -- the question ------------------------------------------------------------------------

    def _question_units(self, question: str) -> dict[str, float]:
        """The question's content units that occur in the source, with their weights (worked out once a question)."""
        if question in self._asked:
            return self._asked[question]
        normal = normalize(question)[0]
        units = {}
        measured = checks.measured_after_question_word(normal)
        for key in unit_keys(normal):
            if (IS_CJK.match(key) and len(key) == 1) or not checks.question_key(key) or key not in self.places \
                    or key in measured:
                continue
            weight = 0.5 if set(key) & STOP_CHARS else 1.0
            if self.places[key][0] < self.first_sentence_end:
                weight *= TOPIC_WEIGHT  # the text's subject, named in its first sentence, points nowhere in particular
            units[key] = weight / len(self.places[key]) ** IDF_POWER  # nor does a word found everywhere
        self._asked[question] = units
        return units

    def _weight_within(self, asked: dict[str, float], low: int, high: int) -> float:
        """The weight of the question's units that lie within normalized [low, high)."""
        total = 0.0
        for key, weight in asked.items():
            places = self.places[key]
            at = bisect_left(places, low)
            if at < len(places) and places[at] + len(key) <= high:
                total += weight
        return total

    def _sentence_span(self, start: int, end: int, before: int = 0) -> tuple[int, int]:
        """The sentences holding normalized [start, end) (and `before` sentences ahead), widened by the margin."""
        first = self.breaks[max(bisect_right(self.breaks, start) - 1 - before, 0)]
        last_at = bisect_left(self.breaks, max(end, start + 1))
        last = self.breaks[last_at] if last_at < len(self.breaks) else len(self.normal)
        return first - self.margin, last + self.margin

    def _near(self, asked: dict[str, float], start: int, end: int) -> float:
        """The weight of the question's units in the sentences around [start, end)."""
        return self._weight_within(asked, *self._sentence_span(start, end, SENTENCES_BEFORE)) if asked else 0.0

    def _most_near(self, asked: dict[str, float]) -> float:
        """The most weight of the question's units any one sentence (with its margin) gathers."""
        bounds = self.breaks + [len(self.normal)]
        return max((self._weight_within(asked, bounds[i] - self.margin, bounds[i + 1] + self.margin)
                    for i in range(len(self.breaks))), default=0.0)

    def about_other(self, finding: Finding, questions: list[str]) -> bool:
        """Whether another question of the same batch is clearly what the evidence is about."""
        for question in questions:
            asked = self._question_units(question)
            other = self._near(asked, finding.start, finding.end)
            if other >= max(OTHER_LEAD * finding.near, OTHER_MIN) and other >= OTHER_HOME * self._most_near(asked):
                return True  # the evidence is where that question points, and it points nowhere better
        return False

    def _about(self, asked: dict[str, float], finding: Finding, short: bool, answer: str) -> None:
        """Demote a grounded finding whose evidence is not where the question's words are."""
        most = self._most_near(asked) if asked else 0.0
        near = self._near(asked, finding.start, finding.end) if asked else 0.0
        gap, ratio = (MIN_GAP, ABOUT_RATIO) if self.margin == MARGIN_LATIN else (MIN_GAP_CJK, ABOUT_RATIO_CJK)
        if (most <= 0 or near >= ratio * most or most - near < gap) and (near > 0 or not short):
            finding.unsure = finding.unsure or near < most
            finding.weakly_about = most > 0 and near < ratio * most and not short
            finding.near = near
            return
        if short:
            finding.verdict, finding.unsure = "unverifiable", True
            finding.reasons.append(("not_anchored", {"answer": answer}))
        elif most > 0:
            finding.verdict, finding.unsure = "unsupported", near >= 0.4 * most
            finding.reasons.append(("other_question", {}))

    # -- where the answer is -------------------------------------------------------------------

    def _find_whole(self, normal: str) -> list[int]:
        """Where the whole normalized answer occurs in the source, not inside a longer word (first few)."""
        places = []
        at = self.normal.find(normal)
        while at >= 0 and len(places) < MAX_PLACES:
            before = self.normal[at - 1] if at else " "
            after = self.normal[at + len(normal)] if at + len(normal) < len(self.normal) else " "
            if not (word_char(before) and word_char(normal[0])) and not (word_char(after) and word_char(normal[-1])):
                places.append(at)
            at = self.normal.find(normal, at + 1)
        return places

    @staticmethod
    def _unmatched_runs(content: str, covered: set[int]) -> list[tuple[int, int]]:
        """Runs of two or more Chinese characters (fillers blanked in `content`) that matched nothing."""
        blanked = "".join(" " if at in covered or char in STOP_CHARS else char for at, char in enumerate(content))
        return [(found.start(), found.end()) for found in checks.CJK_RUN.finditer(blanked)]

    def _best_window(self, units: list[Unit], window: int, asked: dict[str, float],
                     copied: set[int]) -> tuple[set[Unit], int, int, set[int]]:
        """The units found together in the best window of the source (ties: nearest the question's words),
        its span, and the source positions those units cover."""
        hits = sorted((place, i) for i, unit in enumerate(units) for place in self._places(unit.text))
        if not hits:
            return set(), 0, 0, set()
        # Windows compete without the pairs of a stop character that join the question's wording to the answer:
        # "是美" of "阿马里洛是美国的城市" must not pull the evidence to another "是美国" (ties: nearest the question).
        scores = [0.0 if unit.weight < 1 and 0 < sum(at in copied for at in range(unit.start, unit.end)) < 2
                  else unit.weight for unit in units]
        scores = scores if any(scores) else [unit.weight for unit in units]
        best_score, spans = 0.0, []
        counts: Counter[int] = Counter()
        weight, score, left = 0.0, 0.0, 0
        for right, (place, i) in enumerate(hits):
            if counts[i] == 0:
                weight, score = weight + units[i].weight, score + scores[i]
            counts[i] += 1
            while place - hits[left][0] > window:
                counts[hits[left][1]] -= 1
                if counts[hits[left][1]] == 0:
                    weight, score = weight - units[hits[left][1]].weight, score - scores[hits[left][1]]
                left += 1
            if score > best_score + 1e-9:
                best_score, spans = score, [(left, right, weight)]
            elif abs(score - best_score) <= 1e-9 and len(spans) < MAX_PLACES:
                spans.append((left, right, weight))

        def bounds(span):
            inside = hits[span[0]:span[1] + 1]
            return inside[0][0], inside[-1][0] + len(units[inside[-1][1]].text)
        left, right, _ = max(spans, key=lambda span: (self._near(asked, *bounds(span)) if asked else 0.0, span[2]))
        start, end = bounds((left, right))
        matched = {at for place, i in hits[left:right + 1] for at in range(place, place + len(units[i].text))}
        return {units[i] for _, i in hits[left:right + 1]}, start, end, matched

    def _places(self, key: str) -> list[int]:
        """Where a unit occurs; a run of numbers ("1921年5月4日") is looked up as it comes."""
        if key not in self.places and NUMBER_PHRASE.fullmatch(key):
            ends_in_digit = r"(?!\d)" if key[-1].isdigit() else ""
            pattern = re.compile(r"(?<!\d)" + re.escape(key) + ends_in_digit)
            self.places[key] = [found.start() for found in pattern.finditer(self.normal)]
            self._asked.clear()  # a question's units may hold this key too
        return self.places.get(key, [])

    def _widen(self, asked_keys: set[str], start: int, end: int, window: int) -> tuple[int, int]:
        """The evidence span stretched over question words the answer repeats close by."""
        if end <= start:
            return start, end
        for key in sorted(key for key in asked_keys if len(key) > 1):  # sorted: the span must not hang on hashing
            for place in self.places.get(key, ()):
                if end - window <= place and place + len(key) <= start + window:
                    start, end = min(start, place), max(end, place + len(key))
        return start, end

    def evidence(self, start: int, end: int) -> tuple[str, int, int]:
        """The verbatim source span for normalized [start, end), widened to whole words; "" when empty."""
        if end <= start:
            return "", 0, 0
        first, last = self.origin[start], self.origin[end - 1] + 1
        while first > 0 and word_char(self.source[first - 1]) and word_char(self.source[first]):
            first -= 1
        while last < len(self.source) and word_char(self.source[last]) and word_char(self.source[last - 1]):
            last += 1
        return self.source[first:last], first, last


def _span(text: str, origin: list[int], start: int, end: int) -> str:
    """The original text behind normalized answer positions [start, end)."""
    if end <= start or start >= len(origin):
        return ""
    return text[origin[start]:origin[min(end, len(origin)) - 1] + 1].strip()
