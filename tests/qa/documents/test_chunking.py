"""Chunking on the CMRC 2018 and SQuAD paragraphs: exact offsets, paragraphs and sentences kept whole, sizes, overlap, token measure."""

from __future__ import annotations

import re
from bisect import bisect_right

import pytest
from transformers import AutoTokenizer

from qa.documents import chunk_text
from qa.documents.segments import sentence_spans
from tests.qa.documents.files import corpus_paragraphs

SENTENCE_END = re.compile(r"[。！？；!?.][\"'”’」』）)》]*$")


@pytest.fixture(scope="module")
def cmrc() -> tuple[str, list[str]]:
    paragraphs = corpus_paragraphs("cmrc2018_dev.json")
    return "\n\n".join(paragraphs), paragraphs


@pytest.fixture(scope="module")
def squad() -> tuple[str, list[str]]:
    paragraphs = corpus_paragraphs("squad_dev_sample.json")
    return "\n\n".join(paragraphs), paragraphs


def assert_exact_and_gapless(doc, chunks, max_size):
    assert [c.index for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert chunk.text == doc[chunk.start:chunk.end] == chunk.text.strip() != ""
        assert chunk.size == len(chunk.text) <= max_size
    assert doc[:chunks[0].start].strip() == "" and doc[chunks[-1].end:].strip() == ""
    for prev, nxt in zip(chunks, chunks[1:]):
        assert prev.end <= nxt.start and doc[prev.end:nxt.start].strip() == ""


def assert_paragraphs_whole(doc, paragraphs, chunks, max_size):
    """A paragraph that fits a chunk is never cut: it lies inside one chunk."""
    starts = [c.start for c in chunks]
    at = 0
    for paragraph in paragraphs:
        start = doc.index(paragraph, at)
        at = start + len(paragraph)
        if len(paragraph) <= max_size:
            holder = chunks[bisect_right(starts, start) - 1]
            assert holder.start <= start and at <= holder.end, paragraph[:40]


def cut_inside_sentence(doc, chunk, max_size) -> bool:
    """A chunk that ends inside a paragraph ends at a sentence end or a line break, unless that sentence
    is longer than a chunk."""
    if chunk.end == len(doc) or doc[chunk.end:chunk.end + 1] == "\n" or SENTENCE_END.search(chunk.text):
        return False
    para_start = doc.rfind("\n\n", 0, chunk.end) + 2
    para_end = doc.find("\n\n", chunk.end)
    para_end = len(doc) if para_end < 0 else para_end
    return all(b - a <= max_size for a, b in sentence_spans(doc, para_start, para_end) if a < chunk.end <= b)


@pytest.mark.parametrize("max_size", [200, 500, 2000])
def test_cmrc_chunks(cmrc, max_size):
    doc, paragraphs = cmrc
    chunks = chunk_text(doc, max_size=max_size)
    assert_exact_and_gapless(doc, chunks, max_size)
    assert_paragraphs_whole(doc, paragraphs, chunks, max_size)
    assert not [c.index for c in chunks if cut_inside_sentence(doc, c, max_size)]
    if max_size == 2000:  # paragraphs are packed, not one per chunk
        assert len(chunks) < 0.6 * len(paragraphs)


@pytest.mark.parametrize("max_size", [150, 400, 1500])
def test_squad_chunks(squad, max_size):
    doc, paragraphs = squad
    chunks = chunk_text(doc, max_size=max_size)
    assert_exact_and_gapless(doc, chunks, max_size)
    assert_paragraphs_whole(doc, paragraphs, chunks, max_size)
    assert not [c.index for c in chunks if cut_inside_sentence(doc, c, max_size)]
    for chunk in chunks:  # never between "U.S." and what follows, nor inside "3.5"
        assert not chunk.text.endswith("U.S.") or doc[chunk.end:chunk.end + 2] == "\n\n"
        assert not (re.search(r"\d\.$", chunk.text) and doc[chunk.end:chunk.end + 1].isdigit())


@pytest.mark.parametrize("corpus,max_size,overlap", [("cmrc", 300, 100), ("squad", 400, 150)])
def test_overlap_repeats_a_sentence_tail(request, corpus, max_size, overlap):
    doc, _ = request.getfixturevalue(corpus)
    chunks = chunk_text(doc, max_size=max_size, overlap=overlap)
    plain = chunk_text(doc, max_size=max_size)
    assert len(chunks) >= len(plain)
    overlapped = at_sentence = 0
    for prev, nxt in zip(chunks, chunks[1:]):
        assert prev.start < nxt.start
        assert nxt.text == doc[nxt.start:nxt.end] and nxt.size == len(nxt.text) <= max_size
        assert doc[prev.end:nxt.start].strip() == "" or nxt.start < prev.end
        if nxt.start < prev.end:
            overlapped += 1
            shared = doc[nxt.start:prev.end]
            assert len(shared) <= overlap and prev.text.endswith(shared) and nxt.text.startswith(shared)
            before = doc[max(0, nxt.start - 8):nxt.start].rstrip()
            at_sentence += bool(SENTENCE_END.search(before) or doc[nxt.start - 1] == "\n")
    assert overlapped > len(chunks) // 3  # most chunks have a tail short enough to repeat
    assert at_sentence > 0.8 * overlapped  # and it starts at a sentence where one fits


def test_abbreviations_and_decimals_are_not_sentence_ends():
    text = ("The U.S. Army used e.g. trucks and Mr. Smith measured 3.14 units. Then it rained! "
            "Did it stop? Yes. 第一句。第二句！第三句？第四句；好吗?好的。")
    spans = sentence_spans(text, 0, len(text))
    assert [text[a:b] for a, b in spans] == [
        "The U.S. Army used e.g. trucks and Mr. Smith measured 3.14 units.", "Then it rained!", "Did it stop?",
        "Yes.", "第一句。", "第二句！", "第三句？", "第四句；", "好吗?", "好的。"]


def test_an_over_long_sentence_is_cut_between_words_and_characters():
    english = "word " * 100 + "end."
    chunks = chunk_text(english, max_size=42)
    assert all(c.text.replace(" ", "").replace("word", "").replace("end.", "") == "" for c in chunks)
    chinese = "这是一个没有标点的很长的句子" * 10
    chunks = chunk_text(chinese, max_size=25)
    assert "".join(c.text for c in chunks) == chinese and all(len(c.text) == 25 for c in chunks[:-1])


def test_a_half_full_chunk_takes_the_start_of_a_long_paragraph():
    text = "Heading\n\n" + "A sentence of some length here. " * 20
    chunks = chunk_text(text.strip(), max_size=100)
    assert chunks[0].text.startswith("Heading\n\nA sentence")


@pytest.fixture(scope="module")
def token_count(tiny_model_path):
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_path)
    return lambda s: len(tokenizer(s, add_special_tokens=False)["input_ids"])


@pytest.mark.parametrize("corpus,max_tokens", [("cmrc", 256), ("squad", 128)])
def test_token_measure_keeps_chunks_within_the_budget_in_linear_work(request, token_count, corpus, max_tokens):
    doc, _ = request.getfixturevalue(corpus)
    doc = doc[:60_000]
    measured = []

    def measure(s: str) -> int:
        measured.append(len(s))
        return token_count(s)

    chunks = chunk_text(doc, max_size=max_tokens, measure=measure)
    assert sum(measured) <= 3 * len(doc)  # each piece and each chunk measured about once, never growing strings
    for chunk in chunks:
        assert chunk.text == doc[chunk.start:chunk.end]
        assert token_count(chunk.text) == chunk.size <= max_tokens
    assert sum(len(c.text) for c in chunks) > 0.95 * len(doc.replace("\n\n", ""))
