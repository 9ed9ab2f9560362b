"""Question text as duplicate detection sees it: normalized, cut into character shingles, compared by exact Jaccard.

Normalized: NFKC, case folded, punctuation and symbols dropped, single spaces, none beside
a Chinese character. Shingles: every CJK character on its own, and the character 3-grams
of every other run (Latin words with their spaces, digits); bench/README.md ("Duplicate
questions") has the measurements behind that choice.
"""

from __future__ import annotations

import re
import unicodedata

from prompts.language import CJK_RANGES

LATIN_NGRAM = 3

_NON_WORD = re.compile(r"[\W_]+")
_SPACE_BY_CJK = re.compile(rf"(?<=[{CJK_RANGES}]) | (?=[{CJK_RANGES}])")
_RUNS = re.compile(rf"([{CJK_RANGES}]+)|([^{CJK_RANGES}]+)")


def normalize(text: str) -> str:
    """NFKC, case folded, punctuation and symbols dropped, single spaces, none beside a CJK character."""
    text = _NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()
    return _SPACE_BY_CJK.sub("", text)


def shingles_of_normalized(text: str) -> set[str]:
    """The shingles of an already normalized text."""
    out: set[str] = set()
    for cjk, other in _RUNS.findall(text):
        if cjk:
            out.update(cjk)
        elif run := other.strip():
            n = LATIN_NGRAM
            out.update((run[i:i + n] for i in range(len(run) - n + 1)) if len(run) > n else (run,))
    return out


def shingles(text: str) -> set[str]:
    """The shingles of a question: each CJK character, and the 3-grams of every other run of its normalized text."""
    return shingles_of_normalized(normalize(text))


def jaccard(a: str, b: str) -> float:
    """The exact similarity the index uses: Jaccard of the two questions' shingle sets."""
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb) if sa or sb else 1.0
