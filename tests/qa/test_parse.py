"""qa.parse: every reply shape, in Chinese and English, and the awkward cases models produce."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.parse import parse_pairs, parse_reply

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"

EN = [("How long is the Amazon River?", "About 6,400 km."),
      ("Which countries does it flow through?", "Peru, Colombia and Brazil.")]
ZH = [("长江全长约多少公里？", "约6300公里。"), ("长江发源于哪里？", "青藏高原。")]


def pairs_of(items):
    return [{"question": q, "answer": a} for q, a in items]


@pytest.mark.parametrize("reply, shape", [
    ("Question 1: How long is the Amazon River?\nAnswer 1: About 6,400 km.\n"
     "Question 2: Which countries does it flow through?\nAnswer 2: Peru, Colombia and Brazil.", "numbered-labels"),
    ("Q1: How long is the Amazon River?\nA1: About 6,400 km.\n\n"
     "Q2: Which countries does it flow through?\nA2: Peru, Colombia and Brazil.", "numbered-labels"),
    ("Q: How long is the Amazon River?\nA: About 6,400 km.\n"
     "Q: Which countries does it flow through?\nA: Peru, Colombia and Brazil.", "labels"),
    ("**Question 1:** How long is the Amazon River?\n**Answer 1:** About 6,400 km.\n\n"
     "**Question 2**: Which countries does it flow through?\n**Answer 2**: Peru, Colombia and Brazil.",
     "numbered-labels"),
    ("**Q: How long is the Amazon River?**\n**A:** About 6,400 km.\n"
     "**Q:** **Which countries does it flow through?**\n**A:** *Peru, Colombia and Brazil.*", "labels"),
    ("1. Question: How long is the Amazon River?\n   Answer: About 6,400 km.\n"
     "2. Question: Which countries does it flow through?\n   Answer: Peru, Colombia and Brazil.", "list-labels"),
    ("### Question 1\nHow long is the Amazon River?\n### Answer 1\nAbout 6,400 km.\n\n"
     "### Question 2\nWhich countries does it flow through?\n### Answer 2\nPeru, Colombia and Brazil.",
     "numbered-labels"),
    ("1. How long is the Amazon River?\n   - Answer: About 6,400 km.\n"
     "2. Which countries does it flow through?\n   - Answer: Peru, Colombia and Brazil.", "list-labels"),
    ("Q: How long is the Amazon River?\nA: About 6,400 km.\n\n---\n\n"
     "Q: Which countries does it flow through?\nA: Peru, Colombia and Brazil.\n\n---", "labels"),
    ("| # | Question | Answer |\n|---|---|---|\n| 1 | How long is the Amazon River? | About 6,400 km. |\n"
     "| 2 | Which countries does it flow through? | Peru, Colombia and Brazil. |", "table"),
    ("| **Question** | **Answer** |\n| :--- | :--- |\n| How long is the Amazon River? | About 6,400 km. |\n"
     "| Which countries does it flow through? | Peru, Colombia and Brazil. |", "table"),
    ('```json\n[\n  {"question": "How long is the Amazon River?", "answer": "About 6,400 km."},\n'
     '  {"question": "Which countries does it flow through?", "answer": "Peru, Colombia and Brazil."}\n]\n```',
     "json"),
    ('[{"q": "How long is the Amazon River?", "a": "About 6,400 km."}, '
     '{"q": "Which countries does it flow through?", "a": "Peru, Colombia and Brazil."}]', "json"),
    ('{"qa_pairs": [{"instruction": "How long is the Amazon River?", "input": "", "output": "About 6,400 km."}, '
     '{"input": "Which countries does it flow through?", "output": "Peru, Colombia and Brazil."}]}', "json"),
    ('{"Question": "How long is the Amazon River?", "Answer": "About 6,400 km."}\n'
     '{"Question": "Which countries does it flow through?", "Answer": "Peru, Colombia and Brazil."}', "json"),
])
def test_english_shapes(reply, shape):
    result = parse_reply(reply)
    assert result.pairs == pairs_of(EN)
    assert result.shape == shape
    assert result.dropped == 0


@pytest.mark.parametrize("reply, shape", [
    ("问题一：长江全长约多少公里？\n答案一：约6300公里。\n问题二：长江发源于哪里？\n答案二：青藏高原。", "numbered-labels"),
    ("问题1：长江全长约多少公里？\n答案1: 约6300公里。\n问题二:长江发源于哪里？\n答案2：青藏高原。", "numbered-labels"),
    ("问：长江全长约多少公里？\n答：约6300公里。\n\n问：长江发源于哪里？\n答：青藏高原。", "labels"),
    ("**问题1**：长江全长约多少公里？\n**答案1**：约6300公里。\n**问题2：** 长江发源于哪里？\n**答案2：** 青藏高原。",
     "numbered-labels"),
    ("1. **问题**：长江全长约多少公里？\n   - **答案**：约6300公里。\n"
     "2. **问题**：长江发源于哪里？\n   - **答案**：青藏高原。", "list-labels"),
    ("| 问题 | 答案 |\n| --- | --- |\n| 长江全长约多少公里？ | 约6300公里。 |\n| 长江发源于哪里？ | 青藏高原。 |", "table"),
    ("| 序号 | 问题 | 答案 |\n|:-:|---|---|\n| 1 | 长江全长约多少公里？ | 约6300公里。 |\n"
     "| 2 | 长江发源于哪里？ | 青藏高原。 |", "table"),
    ('```json\n[{"问题": "长江全长约多少公里？", "答案": "约6300公里。"}, {"问题": "长江发源于哪里？", "答案": "青藏高原。"}]\n```',
     "json"),
    ("问题一：长江全长约多少公里？\n答案一：约6300公里。\n\n---\n\n问题二：长江发源于哪里？\n答案二：青藏高原。", "numbered-labels"),
])
def test_chinese_shapes(reply, shape):
    result = parse_reply(reply)
    assert result.pairs == pairs_of(ZH)
    assert result.shape == shape


def test_chinese_numerals_past_twenty():
    reply = "\n".join(f"问题{n}：第{i}个问题？\n答案{n}：第{i}个答案。" for i, n in enumerate(
        ["一", "九", "十", "十一", "十九", "二十", "二十一", "三十五", "九十九", "一百", "一百零五"], 1))
    pairs = parse_pairs(reply)
    assert [p["answer"] for p in pairs] == [f"第{i}个答案。" for i in range(1, 12)]


def test_answers_are_paired_by_number_when_questions_come_first():
    reply = "Q1: First?\nQ2: Second?\nA1: One.\nA2: Two."
    assert parse_pairs(reply) == pairs_of([("First?", "One."), ("Second?", "Two.")])


def test_preamble_and_closing_remark_are_not_pairs():
    reply = ("Sure! Here are some questions and answers about the text:\n\n"
             "Question 1: How long is the Amazon River?\nAnswer 1: About 6,400 km.\n"
             "Question 2: Which countries does it flow through?\nAnswer 2: Peru, Colombia and Brazil.\n\n"
             "Let me know if you'd like more questions!")
    assert parse_pairs(reply) == pairs_of(EN)
    zh = ("好的，以下是根据文本生成的问答对：\n\n问题一：长江全长约多少公里？\n答案一：约6300公里。\n"
          "问题二：长江发源于哪里？\n答案二：青藏高原。\n希望这些问题对你有帮助！")
    assert parse_pairs(zh) == pairs_of(ZH)


def test_closing_after_json_or_table_is_ignored():
    reply = ('Here you go:\n```json\n[{"question": "Q?", "answer": "A."}]\n```\nI hope this helps!')
    assert parse_pairs(reply) == pairs_of([("Q?", "A.")])


def test_question_containing_a_label_and_answer_with_colons():
    reply = ("Q: In the chart, what does the label A: stand for?\nA: Ratio: 3:1, read as \"three to one\".\n"
             "Q: What time does it open?\nA: 9:30 a.m.")
    assert parse_pairs(reply) == pairs_of([
        ("In the chart, what does the label A: stand for?", "Ratio: 3:1, read as \"three to one\"."),
        ("What time does it open?", "9:30 a.m.")])


def test_numbering_that_skips_keeps_every_pair():
    reply = "Question 1: One?\nAnswer 1: 1.\nQuestion 2: Two?\nAnswer 2: 2.\nQuestion 4: Four?\nAnswer 4: 4."
    assert [p["answer"] for p in parse_pairs(reply)] == ["1.", "2.", "4."]


def test_multi_line_answers_stay_whole():
    reply = ("Question 1: Why did the empire fall?\nAnswer 1: For three reasons:\n"
             "- the economy collapsed;\n- the army split;\n\nHistorians still argue about the order.\n"
             "Question 2: When?\nAnswer 2: In 476.\n\nThat year is only a convention.\n\n"
             "I hope these questions help!")
    assert parse_pairs(reply) == pairs_of([
        ("Why did the empire fall?", "For three reasons:\n- the economy collapsed;\n- the army split;\n\n"
                                     "Historians still argue about the order."),
        ("When?", "In 476.\n\nThat year is only a convention.")])


def test_nested_list_answer_keeps_its_bullets():
    reply = "1. **问题**：长江流经哪些省份？\n   - **答案**：\n     - 青海\n     - 西藏\n2. **问题**：长江多长？\n   - **答案**：约6300公里。"
    assert parse_pairs(reply) == pairs_of([("长江流经哪些省份？", "- 青海\n- 西藏"), ("长江多长？", "约6300公里。")])


def test_question_without_answer_is_dropped_not_invented():
    result = parse_reply("Q1: First?\nA1: One.\nQ2: Second?\nQ3: Third?\nA3: Three.\nQ4: Cut off mid")
    assert result.pairs == pairs_of([("First?", "One."), ("Third?", "Three.")])
    assert result.dropped == 2
    assert parse_reply("Question 1: Anything?\nAnswer 1:").dropped == 1


def test_no_pairs_says_so():
    result = parse_reply("I'm sorry, I can't help with that text.")
    assert result.pairs == [] and result.shape == "none" and result.dropped == 0
    assert parse_reply("").shape == "none"


def test_table_with_escaped_pipe_and_line_breaks():
    reply = ("| Question | Answer |\n|---|---|\n| What does `a \\| b` mean? | a or b |\n"
             "| Which steps? | First<br>Second |\n| Unanswered? | |")
    result = parse_reply(reply)
    assert result.pairs == pairs_of([("What does `a | b` mean?", "a or b"), ("Which steps?", "First\nSecond")])
    assert result.dropped == 1


def test_json_with_quotes_inside_strings():
    reply = ('[{"question": "What did he say?", "answer": "He said "no", then left"}, '
             '{"question": "Q2?", "answer": "A2"}]')
    assert parse_pairs(reply) == pairs_of([("What did he say?", 'He said "no", then left'), ("Q2?", "A2")])
    escaped = json.dumps([{"question": "Quote?", "answer": 'The "golden anniversary"'}])
    assert parse_pairs(escaped) == pairs_of([("Quote?", 'The "golden anniversary"')])


def test_json_with_smart_quotes_and_trailing_commas():
    reply = "[\n  {“question”: “他说了什么？”, “answer”: “他说“你好”，然后走了”,},\n  {'q': 'What's next?', 'a': 'Lunch',},\n]"
    assert parse_pairs(reply) == pairs_of([("他说了什么？", "他说“你好”，然后走了"), ("What's next?", "Lunch")])


def test_truncated_json_keeps_the_complete_pairs():
    reply = ('```json\n[\n  {"question": "One?", "answer": "1"},\n  {"question": "Two?", "answer": "2"},\n'
             '  {"question": "Three?", "answer": "th')
    result = parse_reply(reply)
    assert result.pairs == pairs_of([("One?", "1"), ("Two?", "2")])
    assert result.dropped == 1
    assert parse_pairs('[{"question": "One?", "answer": "1"}, {"ques') == pairs_of([("One?", "1")])


def test_reasoning_block_is_not_read():
    reply = "<think>Question 1: draft?\nAnswer 1: draft.</think>\nQuestion 1: Final?\nAnswer 1: Final."
    assert parse_pairs(reply) == pairs_of([("Final?", "Final.")])


def test_emphasis_inside_an_answer_is_kept():
    assert parse_pairs("Q: Who?\nA: **Ada** and *Charles*") == pairs_of([("Who?", "**Ada** and *Charles*")])


def _real_paragraphs():
    if not DATA.is_dir():
        pytest.skip(f"reference data not found at {DATA} (CI puts shared/ beside the checkout)")
    found = []
    for name in ("cmrc2018_dev.json", "squad_dev_sample.json"):
        raw = json.loads((DATA / name).read_text(encoding="utf-8"))
        paragraphs = [p for article in raw["data"] for p in article["paragraphs"]]
        for paragraph in paragraphs[:12]:
            pairs, seen = [], set()
            for qa in paragraph["qas"]:
                question, answer = qa["question"].strip(), qa["answers"][0]["text"].strip()
                if question not in seen:
                    seen.add(question)
                    pairs.append((question, answer))
            found.append(pairs)
    return found


@pytest.mark.parametrize("render", [
    lambda ps: "\n".join(f"Question {n}: {q}\nAnswer {n}: {a}" for n, (q, a) in enumerate(ps, 1)),
    lambda ps: "\n\n".join(f"问题{n}：{q}\n答案{n}：{a}" for n, (q, a) in enumerate(ps, 1)),
    lambda ps: "\n".join(f"{n}. **Question**: {q}\n   - **Answer**: {a}" for n, (q, a) in enumerate(ps, 1)),
    lambda ps: "| Question | Answer |\n|---|---|\n" + "\n".join(
        f"| {q.replace('|', chr(92) + '|')} | {a.replace('|', chr(92) + '|')} |" for q, a in ps),
    lambda ps: "```json\n" + json.dumps([{"question": q, "answer": a} for q, a in ps], ensure_ascii=False) + "\n```",
], ids=["numbered", "chinese-labels", "bold-list", "table", "json"])
def test_real_paragraphs_parse_back_exactly(render):
    for pairs in _real_paragraphs():
        assert parse_pairs("Here are the pairs:\n\n" + render(pairs) + "\n\n希望对你有帮助！") == pairs_of(pairs)


@pytest.mark.parametrize("reply,expected", [
    ("Question 1: Who wrote it? Answer 1: Ada. Question 2: When? Answer 2: In 1843.",
     [("Who wrote it?", "Ada."), ("When?", "In 1843.")]),
    ("问题一：谁写的？答案一：艾达。问题二：哪一年？答案二：1843年。", [("谁写的？", "艾达。"), ("哪一年？", "1843年。")]),
    ("Q: Who? A: Me. Q: When? A: Now.", [("Who?", "Me."), ("When?", "Now.")]),
    ("Q1: What does \"A:\" mean? A1: A label.", [('What does "A:" mean?', "A label.")]),
    ("Q: Who?\nA: Ada. Q: noted", [("Who?", "Ada. Q: noted")]),
    ("Question 1: Which quarter?\nAnswer 1: In Q3: revenue rose. Question 2 was harder.",
     [("Which quarter?", "In Q3: revenue rose. Question 2 was harder.")]),
])
def test_pairs_written_on_one_line(reply, expected):
    assert [(p["question"], p["answer"]) for p in parse_pairs(reply)] == expected
