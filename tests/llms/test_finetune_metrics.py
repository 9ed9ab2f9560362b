"""Evaluation metrics on Chinese and English answers, and the readers' errors that name file, record and field."""

from __future__ import annotations

import pytest

from llms.finetune.data import DataError, read_examples, split, examples_from
from llms.finetune.metrics import average, bleu_4, conclusion, exact_match, rouge_l, score, token_f1, words


def test_words_are_jieba_segments_without_punctuation():
    assert words("长江是中国最长的河流。") == ["长江", "是", "中国", "最长", "的", "河流"]
    assert words("The Broncos, 24–10!") == ["the", "broncos", "24", "10"]


def test_exact_match_and_f1():
    assert exact_match("约6300公里。", "约6300公里") == 1.0
    assert exact_match("6300公里", "约6300公里") == 0.0
    assert token_f1("中国最长的河流", "长江是中国最长的河流") == pytest.approx(0.8)  # P 4/4, R 4/6
    assert token_f1("", "") == 1.0 and token_f1("", "长江") == 0.0


def test_rouge_and_bleu_are_1_for_the_reference_and_lower_otherwise():
    ref = "长江是中国最长的河流，全长约6300公里"
    assert rouge_l(ref, ref) == pytest.approx(1.0) and bleu_4(ref, ref) == pytest.approx(1.0)
    assert 0 < rouge_l("长江是中国的河流", ref) < 1 and 0 < bleu_4("长江是中国的河流", ref) < 1
    assert rouge_l("完全无关", ref) == 0.0


def test_explanation_format_compares_conclusions():
    assert conclusion(" EXPLAIN: 原文说的。 CONCLUSION: 北京") == "北京"
    assert exact_match(" EXPLAIN: 不同的理由 CONCLUSION: 北京", " EXPLAIN: 原文 CONCLUSION: 北京") == 1.0
    assert average([score("北京", "北京"), score("上海", "北京")])["exact_match"] == 0.5


def test_reader_errors_name_the_place(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"instruction": "q", "output": "a"}\n{"instruction": "q2"}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.jsonl: record 2: .*'output'"):
        read_examples(path)
    path.write_text('{"instruction": "q", "output": "a"}\nnot json\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.jsonl:2: not valid JSON"):
        read_examples(path)
    with pytest.raises(DataError, match="none of the formats"):
        examples_from([{"colour": "red"}])
    with pytest.raises(DataError, match="no such file"):
        read_examples(tmp_path / "missing.jsonl")


def test_sharegpt_multi_turn_trains_the_last_answer_and_split_is_seeded():
    record = {"conversations": [{"from": "human", "value": "a"}, {"from": "gpt", "value": "b"},
                                {"from": "human", "value": "c"}, {"from": "gpt", "value": "d"}]}
    example = examples_from([record])[0]
    assert example.answer == "d" and [m["content"] for m in example.messages] == ["a", "b", "c"]
    examples = examples_from([{"question": str(i), "answer": "x"} for i in range(20)])
    train, held = split(examples, 0.1, seed=1)
    assert len(held) == 2 and len(train) == 18 and split(examples, 0.1, seed=1)[1] == held
    assert split(examples, 0, seed=1)[1] == []
