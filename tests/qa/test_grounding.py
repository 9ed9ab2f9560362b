"""qa.grounding: quoted and rephrased answers pass; wrong numbers, dates and names are flagged."""

from __future__ import annotations

import pytest

from qa.grounding import ground

SUPER_BOWL = (
    "Super Bowl 50 was an American football game to determine the champion of the National Football League "
    "(NFL) for the 2015 season. The American Football Conference (AFC) champion Denver Broncos defeated the "
    "National Football Conference (NFC) champion Carolina Panthers 24–10 to earn their third Super Bowl title. "
    "The game was played on February 7, 2016, at Levi's Stadium in the San Francisco Bay Area at Santa Clara, "
    "California. Von Miller was named MVP, recording five solo tackles. The Amazon River is about 6,400 km long.")
CHINESE = ("五四运动是1919年5月4日发生在北京的一场学生运动。长江是中国最长的河流，全长约6300公里，发源于青藏高原，最终注入东海。"
           "津蓟铁路既是天津市的工业原料运输线，也是华北地区的旅游线。")


def check(question, answer, source=SUPER_BOWL, threshold=0.6):
    [result] = ground([{"question": question, "answer": answer}], source, threshold)
    assert result["evidence"] in source
    return result


@pytest.mark.parametrize("question, answer", [
    ("Which team won Super Bowl 50?", "Denver Broncos"),
    ("Where was the game played?", "Levi's Stadium in the San Francisco Bay Area at Santa Clara, California"),
    ("When was the game played?", "February 7, 2016"),
    ("长江全长多少？", "约6300公里"),
    ("五四运动是什么？", "一场学生运动"),
])
def test_verbatim_answers_are_grounded(question, answer):
    source = CHINESE if "长江" in question or "五四" in question else SUPER_BOWL
    result = check(question, answer, source)
    assert result["grounded"] and result["support"] == 1.0
    assert result["evidence"] == answer


@pytest.mark.parametrize("question, answer", [
    ("Which team won Super Bowl 50?", "The Denver Broncos won Super Bowl 50."),
    ("Where was the game played?", "It was played at Levi's Stadium, in Santa Clara."),
    ("How long is the Amazon River?", "It is about 6400 km long."),
    ("How many solo tackles did Von Miller record?", "Von Miller recorded 5 solo tackles."),
    ("Which team lost?", "the carolina panthers"),
])
def test_light_rephrasing_is_grounded(question, answer):
    result = check(question, answer)
    assert result["grounded"], result
    assert result["evidence"]


@pytest.mark.parametrize("question, answer", [
    ("长江发源于哪里？", "长江发源于青藏高原。"),
    ("长江全长约多少公里？", "长江全长约6300公里。"),
    ("五四运动发生在哪里？", "是北京。"),
    ("长江最终注入哪里？", "东海"),
])
def test_chinese_rephrasing_is_grounded(question, answer):
    assert check(question, answer, CHINESE)["grounded"]


@pytest.mark.parametrize("question, answer, source", [
    ("In what year did the season take place?", "The 2016 season.", SUPER_BOWL),
    ("When was the game played?", "February 8, 2016", SUPER_BOWL),
    ("What was the final score?", "24–17", SUPER_BOWL),
    ("How long is the Amazon River?", "About 6,500 km.", SUPER_BOWL),
    ("五四运动发生在哪一年？", "1921年", CHINESE),
    ("五四运动是哪天发生的？", "1921年5月4日", CHINESE),
    ("五四运动是哪天发生的？", "1919年6月4日", CHINESE),
    ("长江全长多少？", "约6400公里", CHINESE),
])
def test_wrong_numbers_and_dates_are_flagged(question, answer, source):
    result = check(question, answer, source)
    assert not result["grounded"] and result["support"] < 0.6, result
    assert not check(question, answer, source, threshold=0.0)["grounded"]  # a wrong fact fails at any threshold


@pytest.mark.parametrize("question, answer, source", [
    ("Which team won Super Bowl 50?", "The Denver Bears", SUPER_BOWL),
    ("Who was named MVP?", "Peyton Manning was named MVP.", SUPER_BOWL),
    ("Where was the game played?", "Madison Square Garden", SUPER_BOWL),
    ("长江发源于哪里？", "唐古拉山", CHINESE),
    ("津蓟铁路是哪里的工业原料运输线？", "津蓟铁路既是北京市的工业原料运输线，也是华北地区的旅游线", CHINESE),
])
def test_wrong_names_are_flagged(question, answer, source):
    result = check(question, answer, source)
    assert not result["grounded"] and result["support"] < 0.6, result


def test_a_number_written_in_words_matches_digits():
    assert check("How many solo tackles did Von Miller record?", "5")["grounded"]


def test_part_of_a_longer_word_is_not_a_match():
    result = check("What did the game do?", "art")
    assert not result["grounded"] and result["support"] == 0 and result["evidence"] == ""


def test_yes_no_answers_cannot_be_grounded():
    result = check("Was the game played in California?", "Yes.")
    assert not result["grounded"] and result["verdict"] == "unverifiable"


def test_threshold_decides_partly_supported_answers():
    question, answer = "What was Super Bowl 50?", "American football game determining the NFL champion"
    support = check(question, answer)["support"]
    assert 0.5 < support < 1
    assert check(question, answer, threshold=support - 0.01)["grounded"]
    below = check(question, answer, threshold=support + 0.01)
    assert not below["grounded"] and [r["code"] for r in below["reasons"]] == ["low_support"]


def test_pairs_keep_their_fields_and_are_not_changed():
    pairs = [{"question": "Which team won?", "answer": "Denver Broncos", "id": 7}]
    [result] = ground(pairs, SUPER_BOWL)
    assert result["id"] == 7 and set(result) == {"question", "answer", "id", "grounded", "support", "evidence",
                                                 "evidence_start", "evidence_end", "verdict", "reasons"}
    assert SUPER_BOWL[result["evidence_start"]:result["evidence_end"]] == result["evidence"] == "Denver Broncos"
    assert pairs == [{"question": "Which team won?", "answer": "Denver Broncos", "id": 7}]
    assert ground([], SUPER_BOWL) == []
    [empty] = ground([{"question": "Q?", "answer": ""}], "")
    assert empty["verdict"] == "unsupported" and not empty["grounded"] and empty["support"] == 0.0
    assert empty["evidence"] == "" and empty["reasons"][0]["code"] == "empty"
