"""Where text may be cut: paragraph, sentence (Chinese and English), word and character boundaries, as offsets.

Every function takes the whole text and a `[start, end)` range and returns `(start, end)`
pairs into the same text, stripped of surrounding whitespace, so callers never copy or
re-index. The levels, strongest first:

- paragraph: a blank line (or a form feed) ends one;
- sentence: Chinese 。！？； (and full-width or half-width kin) with any closing quotes or
  brackets after them; English . ! ? followed by a space or the end, except after an
  abbreviation ("e.g.", "Mr.", "U.S.", an initial) or before a lowercase word; "3.14"
  never qualifies (no space after the point); a line break inside a paragraph also ends
  one (list items, verse, hard-wrapped text);
- word: whitespace, and between any two CJK characters (Chinese and Japanese have no
  spaces); punctuation stays with the character before it;
- character: only for a "word" longer than a chunk (a URL, a blob), never inside a
  combining sequence (a letter and its accents, an emoji and its modifiers).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from prompts.language import CJK_RANGES

# CJK ideographs (with extensions B+), kana: scripts written without spaces between words.
_CJK = CJK_RANGES + "\u3040-\u30ff\u31f0-\u31ff\U00020000-\U0003134f"
# Marks that belong to the character before them: never cut in front of one.
MARKS = ("\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u0610-\u061a\u064b-\u065f\u0900-\u0903\u093a-\u094f"
         "\u1ab0-\u1aff\u1dc0-\u1dff\u200c\u200d\u20d0-\u20ff\ufe00-\ufe0f\ufe20-\ufe2f"
         "\U0001f3fb-\U0001f3ff\U000e0000-\U000e01ef\udc00-\udfff")
_CLOSE = "\"'”’」』）)\\]】》〉"
_OPEN = "“‘「『（(\\[【《〈"
_PUNCT = "\u3000-\u303f\uff00-\uffef，、：；。！？"

_PARA_BREAK = re.compile(r"\n[^\S\n]*\n\s*|\f\s*")
_SENTENCE_END = re.compile(
    rf"[。！？；｡][{_CLOSE}]*(?![{MARKS}])"            # Chinese: always an end
    rf"|[!?][{_CLOSE}]*(?=[{_CJK}])"                  # ASCII ! ? straight before Chinese
    rf"|[.!?]+[{_CLOSE}]*(?=\s|$)"                     # English: before a space or the end
    r"|\n")
_WORD = re.compile(
    rf"[{_OPEN}]*[{_CJK}][{MARKS}]*[{_PUNCT}{_CLOSE}]*"   # one CJK character with its punctuation
    rf"|(?:\s[{MARKS}]|[^\s{_CJK}])+")                   # a run of anything else up to a space
_IS_MARK = re.compile(f"[{MARKS}]")
_LOWER_NEXT = re.compile(r"\s*[a-z]")
_INITIALS = re.compile(r"[A-Za-z]|(?:[A-Za-z]\.)+[A-Za-z]")
ABBREVIATIONS = frozenset("""
    mr mrs ms dr prof sr jr st mt vs no nos fig figs vol vols pp ed eds eq ch sec art ref approx dept
    est inc ltd co corp jan feb mar apr jun jul aug sep sept oct nov dec gen gov sen rep rev col lt sgt
    capt cf al
""".split())


def strip_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    """`[start, end)` without leading and trailing whitespace; None when nothing is left."""
    piece = text[start:end]
    kept = piece.strip()
    if not kept:
        return None
    lead = len(piece) - len(piece.lstrip())
    return start + lead, start + lead + len(kept)


def paragraph_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """The paragraphs of `text[start:end]`: runs between blank lines or form feeds."""
    end = len(text) if end is None else end
    return _stripped(text, start, end, ((brk.start(), brk.end()) for brk in _PARA_BREAK.finditer(text, start, end)))


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The sentences (and lines) of one paragraph `text[start:end]`."""
    cuts = ((stop.start() if stop.group() == "\n" else stop.end(), stop.end())
            for stop in _SENTENCE_END.finditer(text, start, end)
            if stop.group() == "\n" or "." not in stop.group() or _ends_sentence(text, stop.start(), stop.end(), end))
    return _stripped(text, start, end, cuts)


def _stripped(text: str, start: int, end: int, cuts) -> list[tuple[int, int]]:
    """The non-blank spans of `text[start:end]` between cuts: each (cut, resume) ends one span and starts the next."""
    spans, at = [], start
    for cut, resume in cuts:
        span = strip_span(text, at, cut)
        if span:
            spans.append(span)
        at = resume
    span = strip_span(text, at, end)
    if span:
        spans.append(span)
    return spans


def _ends_sentence(text: str, dot: int, after: int, end: int) -> bool:
    """A full stop ends a sentence unless an abbreviation or initial precedes it or a lowercase word follows."""
    if _LOWER_NEXT.match(text, after, end):
        return False
    lookback = max(0, dot - 24)  # abbreviations are short; a bounded look keeps long lines linear
    word_start = max(text.rfind(" ", lookback, dot), text.rfind("\n", lookback, dot), lookback - 1) + 1
    word = text[word_start:dot].lstrip(_OPEN)
    return not (_INITIALS.fullmatch(word) or word.lower() in ABBREVIATIONS)


def word_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The words of `text[start:end]`: space-separated runs, and single CJK characters."""
    return [m.span() for m in _WORD.finditer(text, start, end)]


def char_spans(text: str, start: int, end: int, max_size: int,
               measure: Callable[[str], int] | None = None) -> list[tuple[int, int]]:
    """Cut `text[start:end]` (one over-long word) into pieces of at most `max_size`, never in
    front of a combining mark or a low surrogate; a piece may exceed `max_size` only when one
    character with its marks does."""
    spans, at = [], start
    while at < end:
        cut = min(end, at + max(1, max_size))
        if measure is not None:
            while cut - at > 1 and measure(text[at:cut]) > max_size:
                cut = at + (cut - at) // 2
        while at < cut < end and _IS_MARK.match(text, cut):
            cut -= 1
        if cut == at:  # one character and its marks, longer than max_size: keep it whole
            cut += 1
            while cut < end and _IS_MARK.match(text, cut):
                cut += 1
        spans.append((at, cut))
        at = cut
    return spans


def is_mark(char: str) -> bool:
    """True for a character that belongs to the one before it (an accent, a variation selector)."""
    return bool(_IS_MARK.match(char))
