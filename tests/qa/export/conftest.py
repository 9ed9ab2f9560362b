"""Pairs that exercise every export: Chinese and English, quotes, commas, line breaks, formula-like text, missing measures."""

from __future__ import annotations

import pytest

PAIRS = [
    {"question": "长江全长约多少公里？", "answer": "约6300公里。", "evidence": "全长约6300公里",
     "chunk": "长江全长约6300公里，是中国第一长河。", "document": "河流.txt", "chunk_start": 120, "chunk_end": 138,
     "model": "glm-4", "prompt": "qa-zh", "grounded": True, "support": 1, "score": 4.5},
    {"question": 'Who said "hi, there"?', "answer": "Ada,\nthen Bob", "evidence": "",
     "chunk": 'Ada said "hi, there".\nThen Bob did.', "document": "notes.md", "chunk_start": 0, "chunk_end": 34,
     "model": "gpt-test", "prompt": "qa-en", "grounded": False, "support": 0.25, "score": None},
    {"question": '=HYPERLINK("http://x")', "answer": "-5 °C", "evidence": "@SUM(A1)", "chunk": "@SUM(A1) -5 °C",
     "document": "", "model": "glm-4", "prompt": "qa-en", "grounded": None, "support": None, "score": None},
    {"question": "+1?", "answer": "ok", "system": "只用中文回答。"},  # no provenance at all
]


@pytest.fixture()
def pairs() -> list[dict]:
    return [dict(p) for p in PAIRS]
