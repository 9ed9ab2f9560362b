"""Tell Chinese text from English by its share of CJK characters: picks a preset prompt, and the CJK ranges serve grounding."""

from __future__ import annotations

import re

CJK_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs, for a regex character class
IS_CJK = re.compile(f"[{CJK_RANGES}]")


def detect_language(text: str) -> str:
    """"zh" when CJK characters make up a fair share of the letters, else "en"."""
    cjk = len(IS_CJK.findall(text))
    latin_words = len(re.findall(r"[A-Za-z]+", text))
    # One CJK character carries about as much as one English word.
    return "zh" if cjk and cjk >= 0.5 * latin_words else "en"
