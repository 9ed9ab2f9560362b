"""qa.dedup: exact and near-duplicate questions in Chinese and English, batch and incremental, saved and loaded."""

from __future__ import annotations

import json
import random
import zlib
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash

from qa.dedup import (DEFAULT_THRESHOLD, DuplicateIndex, Match, find_duplicates, jaccard, lsh_params, normalize,
                      shingles)

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def pairs(found) -> set[tuple]:
    return {(a, b) for a, b, _, _ in found}


def test_normalize_folds_width_case_punctuation_and_spaces_beside_chinese():
    assert normalize("ＷＨＯ  won, Super-Bowl 50？") == "who won super bowl 50"
    assert normalize("长江 全长 多少公里？") == "长江全长多少公里"
    assert normalize("NBA 是什么？") == "nba是什么"
    assert normalize("?!…") == ""


def test_shingles_are_chinese_characters_and_latin_trigrams():
    assert shingles("长江多长？") == {"长", "江", "多"}
    assert shingles("Who won?") == {"who", "ho ", "o w", " wo", "won"}
    assert shingles("NBA是什么") == {"nba", "是", "什", "么"}
    assert shingles("Hi") == {"hi"}


def test_signatures_are_datasketch_minhash_values():
    index = DuplicateIndex()
    questions = ["Who won Super Bowl 50?", "长江全长多少公里？", "2016年NBA总决赛在哪里举行？"]
    index.add(enumerate(questions))
    for question in questions:
        expected = MinHash(num_perm=index.num_perm, seed=1, hashfunc=lambda s: zlib.crc32(s.encode()))
        expected.update_batch(sorted(shingles(question)))
        assert (index.signatures([index._prepare(question)[1]])[0] == expected.hashvalues).all()


def test_lsh_banding_catches_pairs_at_the_threshold():
    for threshold in (0.5, 0.6, 0.7, 0.8, 0.9):
        bands, rows = lsh_params(threshold, 64)
        assert bands * rows <= 64
        assert 1 - (1 - threshold ** rows) ** bands >= 0.98
    with pytest.raises(ValueError):
        DuplicateIndex(threshold=0.3)


def test_exact_and_near_duplicates_in_chinese_and_english():
    items = [
        (1, "长江全长多少公里？"),
        (2, "长江全长多少公里?"),  # exact after normalization
        (3, "长江的全长是多少公里"),  # added particles
        (4, "黄河发源于哪里？"),
        (5, "Who won Super Bowl 50?"),
        (6, "who won  SUPER BOWL 50"),  # exact
        (7, "Who won Super Bowl fifty?"),  # near
        (8, "Where was Super Bowl 50 held?"),  # same topic, another question
    ]
    found = find_duplicates(items)
    assert pairs(found) == {(2, 1), (3, 1), (6, 5), (7, 5)}
    by_id = found.by_id()
    assert by_id[2] == [Match(1, 1.0, True)]
    assert by_id[3][0].id == 1 and not by_id[3][0].exact
    assert by_id[3][0].similarity == pytest.approx(jaccard("长江的全长是多少公里", "长江全长多少公里？"))
    assert found.groups() == [[1, 2, 3], [5, 6, 7]]
    assert found.neighbours()[1] == [2, 3]


def test_empty_inputs_and_questions_without_words():
    assert len(find_duplicates([])) == 0 and find_duplicates([]).groups() == []
    index = DuplicateIndex()
    assert index.query("长江？") == []
    assert len(index.add([])) == 0
    assert len(index.add([(1, "?!"), (2, "！？")])) == 0  # nothing left after normalization: never a duplicate
    assert len(index.add([(3, "长江"), (4, "长江。")])) == 1
    assert len(index.add([(5, "长江!")])) == 1  # a chunk of nothing but a copy
    assert index.query("??") == [] and len(index) == 5


def test_the_threshold_decides():
    items = [("a", "长江全长多少公里？"), ("b", "长江的全长是多少公里")]
    similarity = jaccard(items[0][1], items[1][1])
    assert 0.7 <= similarity < 0.9
    assert len(find_duplicates(items, threshold=0.7)) == 1
    assert len(find_duplicates(items, threshold=0.9)) == 0


def test_a_repeated_text_is_matched_to_its_first_copy_only():
    found = find_duplicates((i, "这段文字的主要内容是什么？") for i in range(500))
    assert pairs(found) == {(i, 0) for i in range(1, 500)}
    assert found.groups() == [list(range(500))]


def test_incremental_adds_find_the_same_pairs_as_one_pass():
    rng = random.Random(0)
    questions = corpus_sample(600, rng)
    items = list(enumerate(questions))
    whole = pairs(find_duplicates(items))
    index = DuplicateIndex()
    found = set()
    for start in range(0, len(items), 97):
        new = pairs(index.add(items[start:start + 97]))
        assert all(a >= start for a, _ in new)  # only the new questions' duplicates come back
        found |= new
    assert found == whole
    assert len(index) == len(items)


def test_remove_and_replace():
    index = DuplicateIndex()
    index.add([(1, "长江全长多少公里？"), (2, "长江全长多少公里"), (3, "Who won Super Bowl 50?")])
    index.remove([1])
    assert index.query("长江全长多少公里。") == [Match(2, 1.0, True)]  # the copy stands for the text now
    index.remove([2, 99])
    assert index.query("长江全长多少公里") == []
    index.add([(10, "黄河在哪里？"), (11, "黄河在哪里"), (12, "黄河在哪里!")])
    index.remove([10, 11])  # two stand-ins in one call: the last copy stands
    assert index.query("黄河在哪里。") == [Match(12, 1.0, True)]
    assert index.query("黄河在哪里呢") == [Match(12, jaccard("黄河在哪里呢", "黄河在哪里"), False)]
    index.remove([12])
    assert pairs(index.add([(3, "Who lost Super Bowl 50?"), (4, "Who won Super Bowl 50?")])) == set()
    assert index.query("Who lost the Super Bowl 50?")[0].id == 3
    assert 1 not in index and 3 in index and len(index) == 2


def test_save_and_load_keep_answers(tmp_path):
    rng = random.Random(1)
    questions = corpus_sample(400, rng)
    index = DuplicateIndex(threshold=0.75)
    index.add(enumerate(questions[:300]))
    index.remove([5, 6])
    index.save(tmp_path / "index.npz")
    loaded = DuplicateIndex.load(tmp_path / "index.npz")
    assert len(loaded) == len(index) and loaded.threshold == 0.75
    for question in questions[300:330]:
        assert loaded.query(question) == index.query(question)
    rest = list(enumerate(questions[300:], start=300))
    assert pairs(loaded.add(rest)) == pairs(index.add(rest))
    strings = DuplicateIndex()
    strings.add([("a", "长江全长多少公里？"), ("b", "长江全长多少公里")])
    strings.save(tmp_path / "strings.npz")
    assert DuplicateIndex.load(tmp_path / "strings.npz").query("长江全长多少公里") == [Match("a", 1.0, True)]
    strings.add([(3, "黄河在哪里？")])
    with pytest.raises(TypeError):
        strings.save(tmp_path / "mixed.npz")


def test_every_reported_pair_is_similar_and_nearly_every_similar_pair_is_reported():
    """Against brute force over corpus questions and perturbed copies: no LSH false positive gets through,
    and the LSH misses few pairs at or above the threshold (it is tuned to catch 98 % of pairs at it)."""
    rng = random.Random(2)
    questions = corpus_sample(500, rng)
    questions += [perturbed(q, rng) for q in questions[:300]]
    items = list(enumerate(questions))
    found = find_duplicates(items)
    for a, b, similarity, exact in found:
        assert similarity == pytest.approx(jaccard(questions[a], questions[b]), abs=1e-6)
        assert similarity >= DEFAULT_THRESHOLD
        assert exact == (normalize(questions[a]) == normalize(questions[b]))
    first: dict[str, int] = {}
    for i, q in enumerate(questions):
        first.setdefault(normalize(q), i)
    indexed = [i for i, q in enumerate(questions) if first[normalize(q)] == i]  # one question per text
    sets = {i: shingles(questions[i]) for i in indexed}
    expected = {(b, a) for a, b in combinations(indexed, 2)
                if len(sets[a] & sets[b]) >= DEFAULT_THRESHOLD * len(sets[a] | sets[b])}
    near = {p for p in pairs(found) if not normalize(questions[p[0]]) == normalize(questions[p[1]])}
    assert near <= expected
    assert len(expected) > 150 and len(near) / len(expected) >= 0.95


def corpus_sample(n: int, rng: random.Random) -> list[str]:
    questions = []
    for name in ("cmrc2018_dev.json", "squad_dev_sample.json"):
        for article in json.loads((DATA / name).read_text(encoding="utf-8"))["data"]:
            questions += [qa["question"] for p in article["paragraphs"] for qa in p["qas"]]
    return rng.sample(questions, n)


def perturbed(question: str, rng: random.Random) -> str:
    i = rng.randrange(len(question))
    kind = rng.randrange(3)
    if kind == 0:
        return question[:i] + question[i + 1:]
    if kind == 1:
        return question[:i] + ("的" if ord(question[i]) > 0x3000 else " really") + question[i:]
    return question.rstrip("？?") + "。"
