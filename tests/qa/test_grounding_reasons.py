"""qa.grounding's three verdicts and their reasons: added claims, negations, another question's answer, short answers."""

from __future__ import annotations

import pytest

from qa.grounding import ground
from tests.qa.test_grounding import CHINESE, SUPER_BOWL

FOUNDING = ("Trinity Church was founded in 1878 by a group of merchants. Its first rector was John Hale, who served "
            "until 1901. The parish did not join the diocese until 1950. "
            "The church was never rebuilt after the fire of 1932, and services moved to a nearby hall.")
FLOODS = "这座水库建于1958年，主要用于防洪和灌溉。水库建成后，下游的洪灾明显减少。当地政府没有批准扩建计划。水库的设计者是李四光。"


def check(question, answer, source=SUPER_BOWL):
    [result] = ground([{"question": question, "answer": answer}], source)
    assert result["verdict"] in {"grounded", "unsupported", "unverifiable"}
    assert result["grounded"] == (result["verdict"] == "grounded")
    assert source[result["evidence_start"]:result["evidence_end"]] == result["evidence"]
    assert all(set(reason) == {"code", "message"} and reason["message"] for reason in result["reasons"])
    return result


def codes(result):
    return [reason["code"] for reason in result["reasons"]]


@pytest.mark.parametrize("question, answer, source, added", [
    ("Which team won Super Bowl 50?", "Denver Broncos, which is the largest team in the world", SUPER_BOWL, "largest"),
    ("When was Trinity Church founded?", "In 1878, by merchants from Boston.", FOUNDING, "Boston"),
    ("这座水库建于哪一年？", "这座水库建于1958年，是世界上最大的水库。", FLOODS, "世界上最大"),
    ("这座水库有什么用途？", "主要用于防洪和灌溉，位于上海。", FLOODS, "上海"),
])
def test_a_claim_beyond_the_text_is_named(question, answer, source, added):
    result = check(question, answer, source)
    assert result["verdict"] == "unsupported"
    assert any(added in reason["message"] for reason in result["reasons"]), result["reasons"]


@pytest.mark.parametrize("question, answer, source, code", [
    ("When was Trinity Church founded?", "Trinity Church was not founded in 1878.", FOUNDING, "negation_added"),
    ("What happened to the church after the fire?", "The church was rebuilt after the fire of 1932.", FOUNDING,
     "negation_removed"),
    ("这座水库建于哪一年？", "这座水库不是建于1958年。", FLOODS, "negation_added"),
    ("当地政府批准扩建计划了吗？", "当地政府批准了扩建计划。", FLOODS, "negation_removed"),
])
def test_a_negation_added_or_dropped_says_the_text_says_the_opposite(question, answer, source, code):
    result = check(question, answer, source)
    assert result["verdict"] == "unsupported" and code in codes(result), result
    assert any("opposite" in r["message"] or "相反" in r["message"] for r in result["reasons"])


def test_unrelated_words_that_contain_negation_characters_are_not_negations():
    source = "非洲是世界第二大洲。未来十年，这里的人口将不断增长。"
    assert check("非洲是世界第几大洲？", "非洲是世界第二大洲。", source)["grounded"]
    assert check("未来十年人口会怎样？", "未来十年人口将不断增长。", source)["grounded"]


def test_the_answer_to_another_question_of_the_paragraph_is_flagged():
    question = "Who was the first rector of Trinity Church?"
    assert check(question, "John Hale", FOUNDING)["grounded"]
    result = check(question, "a nearby hall", FOUNDING)
    assert result["verdict"] == "unsupported" and codes(result) == ["other_question"]
    assert result["reasons"][0]["message"] == "the evidence is about another question"


@pytest.mark.parametrize("answer", ["Yes.", "No.", "yes", "True."])
def test_yes_no_answers_are_unverifiable(answer):
    result = check("Was the church founded by merchants?", answer, FOUNDING)
    assert result["verdict"] == "unverifiable" and codes(result) == ["yes_no"]


@pytest.mark.parametrize("answer", ["是。", "不是", "北", "对"])
def test_chinese_yes_no_and_single_characters_are_unverifiable_even_when_in_the_text(answer):
    assert answer.strip("。") in CHINESE + "是不对" or True
    result = check("五四运动发生在北京吗？", answer, CHINESE)
    assert result["verdict"] == "unverifiable" and result["support"] == 0.0


def test_a_lone_word_found_away_from_the_question_is_unverifiable():
    result = check("Who was the first rector?", "fire", FOUNDING)
    assert result["verdict"] == "unverifiable" and codes(result) == ["not_anchored"]
    assert check("Who was the first rector?", "John Hale", FOUNDING)["grounded"]


def test_reasons_follow_the_language_of_the_text():
    [result] = ground([{"question": "这座水库建于哪一年？", "answer": "1960年"}], FLOODS)
    assert result["reasons"][0]["message"] == "原文中没有“1960年”"
    [english] = ground([{"question": "这座水库建于哪一年？", "answer": "1960年"}], FLOODS, language="en")
    assert english["reasons"][0]["message"] == "1960年 is not in the text"


def test_a_number_missing_from_the_text_is_named():
    result = check("When did John Hale stop serving?", "He served until 1905.", FOUNDING)
    assert result["verdict"] == "unsupported" and result["reasons"][0]["message"] == "1905 is not in the text"


def test_answers_swapped_between_questions_of_one_batch_are_flagged():
    pairs = [{"question": "Who was the first rector of Trinity Church, serving until 1901?", "answer": "John Hale"},
             {"question": "Where did services move after the fire of 1932?", "answer": "a nearby hall"}]
    assert [r["verdict"] for r in ground(pairs, FOUNDING)] == ["grounded", "grounded"]
    swapped = [{**pairs[0], "answer": pairs[1]["answer"]}, {**pairs[1], "answer": pairs[0]["answer"]}]
    results = ground(swapped, FOUNDING)
    assert [r["verdict"] for r in results] == ["unsupported", "unsupported"]
    assert all(codes(r) == ["other_question"] for r in results)


@pytest.mark.parametrize("question, answer, source, kind", [
    ("When did services move to a nearby hall?", "a group of merchants", FOUNDING, "time"),
    ("How long did John Hale serve as rector?", "Trinity Church", FOUNDING, "time"),
    ("水库是什么时候建成的？", "防洪和灌溉", FLOODS, "time"),
    ("水库的设计者是谁？", "1958年", FLOODS, "name"),
])
def test_an_answer_of_another_kind_than_the_question_asks_for_is_flagged(question, answer, source, kind):
    result = check(question, answer, source)
    assert result["verdict"] == "unsupported" and codes(result) == ["wrong_kind"]
    named = {"time": "问的是时间", "name": "问的是人名或地名"}[kind] if source is FLOODS else f"asks for a {kind}"
    assert named in result["reasons"][0]["message"]


@pytest.mark.parametrize("question, answer, source", [
    ("When was Trinity Church founded?", "in 1878", FOUNDING),
    ("When did the parish join the diocese?", "not until 1950", FOUNDING),
    ("When John Hale left, who followed him?", "John Hale", FOUNDING),  # "when" ahead of "who" asks who
    ("水库是在哪一年建成的？", "1958年", FLOODS),  # 在哪一年 asks a year, not a place
])
def test_answers_of_the_kind_asked_for_pass_the_kind_check(question, answer, source):
    assert "wrong_kind" not in codes(check(question, answer, source))
