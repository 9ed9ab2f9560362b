"""Chunking invariants under hypothesis: exact offsets, full coverage, the size bound, no cut inside a word or a combining sequence."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.documents import chunk_text
from qa.documents.segments import is_mark

# CJK characters and CJK punctuation: a cut next to one is between words
CJK = re.compile("[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
TOKENS = [
    "the", "report", "e.g.", "U.S.", "3.14", "Mr.", "naïve", "cafe\u0301", "👍🏽", "👩\u200d💻", "state-of-the-art",
    "长", "江", "是", "中", "国", "。", "，", "！", "？", "；", "“", "”", ".", "!", "?", "a" * 30, "x" * 70,
]
SEPARATORS = [" ", " ", " ", "", "\n", "\n\n", "  \n \n", "\t"]


@st.composite
def documents(draw):
    """Text made of words, CJK characters, punctuation, clusters and separators of every strength."""
    parts = draw(st.lists(st.tuples(st.sampled_from(TOKENS), st.sampled_from(SEPARATORS)), min_size=1, max_size=120))
    return "".join(token + sep for token, sep in parts)


def is_word_char(c: str) -> bool:
    return not c.isspace() and not CJK.match(c)


def word_around(text: str, i: int) -> str:
    """The run of non-space, non-CJK characters that spans position i (a cut between i-1 and i)."""
    a = i
    while a > 0 and is_word_char(text[a - 1]):
        a -= 1
    b = i
    while b < len(text) and is_word_char(text[b]):
        b += 1
    return text[a:b]


def check_cut(text: str, i: int, max_size: int) -> None:
    if 0 < i < len(text):
        assert not is_mark(text[i]), f"cut before a combining mark at {i}: {text[i - 3:i + 3]!r}"
        if is_word_char(text[i - 1]) and is_word_char(text[i]):
            assert len(word_around(text, i)) > max_size, f"cut inside a word at {i}: {text[i - 5:i + 5]!r}"


def check_common(text: str, chunks, max_size: int) -> None:
    for chunk in chunks:
        assert chunk.text == text[chunk.start:chunk.end] == chunk.text.strip() != ""
        assert chunk.size == len(chunk.text)
        if chunk.size > max_size:  # only one character with its marks may exceed
            assert all(is_mark(c) for c in chunk.text[1:]), chunk.text
        check_cut(text, chunk.start, max_size)
        check_cut(text, chunk.end, max_size)
    covered = [False] * len(text)
    for chunk in chunks:
        covered[chunk.start:chunk.end] = [True] * (chunk.end - chunk.start)
    assert all(covered[i] or c.isspace() for i, c in enumerate(text))
    assert [c.index for c in chunks] == list(range(len(chunks)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), st.integers(min_value=1, max_value=120))
def test_chunks_tile_the_text(text, max_size):
    chunks = chunk_text(text, max_size=max_size)
    check_common(text, chunks, max_size)
    for prev, nxt in zip(chunks, chunks[1:]):
        assert prev.end <= nxt.start and text[prev.end:nxt.start].strip() == ""


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), st.integers(min_value=2, max_value=120), st.data())
def test_overlapping_chunks_cover_the_text_and_move_on(text, max_size, data):
    overlap = data.draw(st.integers(min_value=0, max_value=max_size - 1))
    chunks = chunk_text(text, max_size=max_size, overlap=overlap)
    check_common(text, chunks, max_size)
    for prev, nxt in zip(chunks, chunks[1:]):
        assert prev.start < nxt.start and prev.end < nxt.end
        assert max(0, prev.end - nxt.start) <= overlap


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=400), st.integers(min_value=1, max_value=80))
def test_any_unicode_keeps_offsets_and_coverage(text, max_size):
    chunks = chunk_text(text, max_size=max_size)
    for chunk in chunks:
        assert chunk.text == text[chunk.start:chunk.end] == chunk.text.strip() != ""
        assert chunk.size <= max_size or len(chunk.text.strip()) == 1 or all(is_mark(c) for c in chunk.text[1:])
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    assert all(i in covered or c.isspace() for i, c in enumerate(text))
