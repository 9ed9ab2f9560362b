"""Tell Chinese text from English by its share of CJK characters."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def detect_language(text: str) -> str:
    """"zh" when CJK characters make up a fair share of the letters, else "en"."""
    cjk = len(_CJK.findall(text))
    latin_words = len(re.findall(r"[A-Za-z]+", text))
    # One CJK character carries about as much as one English word.
    return "zh" if cjk and cjk >= 0.5 * latin_words else "en"
