"""qa.parse edges: closing remarks (word-bounded, only at the end of the last answer) and reasoning blocks."""

from __future__ import annotations

import pytest

from qa.parse import parse_pairs, strip_reasoning


def last_answer(reply: str) -> str:
    return parse_pairs(reply)[-1]["answer"]


@pytest.mark.parametrize("line", ["以上措施有效减少了洪灾。", "In summary, the river floods each spring.",
                                  "希望工程于1989年发起。", "欢迎仪式在北京举行。", "These are the largest lakes.",
                                  "Enjoyment of the arts grew.", "总结报告于2019年发布。", "备注栏写着日期。"])
def test_a_real_last_line_that_looks_like_a_closing_remark_stays(line):
    assert last_answer(f"问题一：发生了什么？\n答案一：修建了堤坝。\n{line}") == f"修建了堤坝。\n{line}"


@pytest.mark.parametrize("closing", ["希望这些问题对你有帮助！", "以上问答对均根据原文生成。", "Let me know if you'd like more!",
                                     "I hope these questions help.", "Note: all answers come from the text.",
                                     "如需更多问题，请告诉我。", "Would you like me to create more questions?"])
def test_a_closing_remark_after_the_last_answer_goes(closing):
    assert last_answer(f"Question 1: Who?\nAnswer 1: Ada.\n\n{closing}") == "Ada."


def test_a_closing_like_line_with_more_answer_after_it_stays():
    body = ("Ada.\nNote: the reason.\nShe wrote the first program for the engine, long before any "
            "computer was ever built, and that is why she is remembered today.")
    assert last_answer(f"Question 1: Who?\nAnswer 1: {body}") == body


def test_a_closing_remark_inside_an_earlier_answer_is_kept():
    reply = "Q1: Who?\nA1: Ada.\nNote: she was a countess.\nQ2: When?\nA2: 1843."
    assert parse_pairs(reply)[0]["answer"] == "Ada.\nNote: she was a countess."


@pytest.mark.parametrize("reply, kept", [
    ("<think>Q: draft?\nA: draft</think>\nQ: Who?\nA: Ada.", "\nQ: Who?\nA: Ada."),
    ("Q: draft?\nA: draft\n</think>\nQ: Who?\nA: Ada.", "\nQ: Who?\nA: Ada."),  # opened by the chat template
    ("Q: Who?\nA: Ada.\n<think>Q: draft?\nA: dra", "Q: Who?\nA: Ada.\n"),  # cut off while reasoning
    ("<THINKING>x</THINKING>Q: Who?\nA: Ada.", "Q: Who?\nA: Ada."),
    ("<think>a<think>b</think>c", "c"),
    ("<think>a</think>b</think>c", "bc"),  # a stray closer after a block: only the tag goes
])
def test_reasoning_blocks_closed_unclosed_and_close_only(reply, kept):
    assert strip_reasoning(reply) == kept


def test_pairs_drafted_in_an_unclosed_reasoning_block_are_not_pairs():
    assert parse_pairs("<think>\nQuestion 1: draft?\nAnswer 1: draft") == []


def test_pairs_after_a_close_only_reasoning_block_are_the_answer():
    reply = "Let me draft.\nQuestion 1: draft?\nAnswer 1: draft\n</think>\n\nQuestion 1: Who?\nAnswer 1: Ada."
    assert parse_pairs(reply) == [{"question": "Who?", "answer": "Ada."}]
