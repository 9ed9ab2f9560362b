"""qa.parse on any input: it always returns, in time linear in the reply (fuzzed replies and long pathological lines)."""

from __future__ import annotations

import threading

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from qa.parse import ParseResult, parse_reply

# A generous bound that only a hang or a quadratic blow-up on the long inputs below can reach;
# the speed itself is measured in bench/, not asserted here.
DEADLINE_S = 20.0


def parse_within_deadline(reply: str) -> ParseResult:
    """parse_reply in a worker thread; fails the test if it has not returned by the deadline."""
    outcome: dict = {}

    def work():
        try:
            outcome["result"] = parse_reply(reply)
        except BaseException as error:  # noqa: BLE001 - reported below
            outcome["error"] = error

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(DEADLINE_S)
    assert not worker.is_alive(), f"parse_reply did not return within {DEADLINE_S} s on {reply[:200]!r}…"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def test_the_reported_hang_returns_the_pair():
    result = parse_within_deadline("Question 1: x?\nAnswer 1: A = A1 [ (A)| {z } b")
    assert result.pairs == [{"question": "x?", "answer": "A = A1 [ (A)| {z } b"}]


@pytest.mark.parametrize("reply", [
    "[ }", "[ } ]", "{ ] }", "[{]}", "{[}]", '{"q": [ } , "a": 1}', "[ (A)| {z } b", "}]}]", "[[[[", "{{{{",
    '["a" x "b"', '{"question": "x", "answer": "y" ] }', "[1, 2 } 3]", "```json\n[ } ]\n```",
])
def test_stray_brackets_and_braces_end_without_looping(reply):
    assert isinstance(parse_within_deadline(reply), ParseResult)


def test_json_with_a_stray_brace_keeps_its_pairs():
    reply = '[{"question": "Who?", "answer": "Ada"}, } {"question": "When?", "answer": "1843"}]'
    assert [p["answer"] for p in parse_within_deadline(reply).pairs] == ["Ada", "1843"]


PIECES = ["Question 1:", "Answer 1:", "Q:", "A:", "问题一：", "答案一：", "问：", "答：", "Q2.", "A2)", "**Q:**",
          "1.", "- ", "* ", "> ", "### ", "[", "]", "{", "}", "(", ")", "（", "）", '"', "'", "“", "”", "‘", "’",
          "|", "\\|", "---", "|---|---|", "`", "```", "```json\n", ":", "：", ",", "，", "。", "、", "？", "?", "！",
          "「", "」", "《", "》", "【", "】", "\\", "\\u00", "<think>", "</think>", "\n", "\n\n", " ", "\t",
          "x", "Ada", "1843", "北京", "答案", "{\"q\": ", "\"a\": ", "null", "true", "1e5", "Let me know",
          "希望这些", "Note:"]


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=4)), max_size=60))
def test_any_mix_of_labels_brackets_quotes_and_punctuation_parses(pieces):
    result = parse_within_deadline("".join(pieces))
    assert all(pair["question"] and pair["answer"] for pair in result.pairs)
    assert result.dropped >= 0


LONG = 200_000  # characters: linear work is milliseconds; quadratic work would be minutes
PATHOLOGICAL = {
    "list markers": "- " * (LONG // 2),
    "list markers then a question": "Question 1: x?\nAnswer 1: " + "- " * (LONG // 2) + "?",
    "spaces after a label": "Question" + " " * LONG + "x",
    "spaces after an answer label": "Question 1: x?\nA" + " " * LONG + "y",
    "inline labels": "Question 1: x? " + "A: " * (LONG // 3),
    "numbered markers": "1. " * (LONG // 3) + "x?",
    "digits after a label": "Question " + "1" * LONG,
    "quotes": '["' + '" x ' * (LONG // 4),
    "quotes and commas": '{"q": "' + '", ' * (LONG // 3),
    "stray braces in brackets": "[ }" * (LONG // 3),
    "open brackets": "[" * LONG,
    "open objects": '{"a":' * (LONG // 5),
    "open fences": "```json\n[" * (LONG // 9),
    "reasoning closers": "</think>x" * (LONG // 9),
    "reasoning openers": "<think>" * (LONG // 7),
    "table rules": "| Q | A |\n|---|---|\n" * (LONG // 20),
    "questions then answers": "".join(f"Q{i}: x?\n" for i in range(LONG // 10))
                              + "".join(f"A{i}: y\n" for i in range(LONG // 10)),
    "closing lines": "Q: x?\nA: y\n" + "Let me know\n" * (LONG // 12),
    "pipes": "|" * LONG,
    "full-width colons": "Q1" + "：" * LONG,
}


@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_long_pathological_lines_parse_in_linear_time(name):
    assert isinstance(parse_within_deadline(PATHOLOGICAL[name]), ParseResult)


def test_many_waiting_questions_are_answered_by_number():
    count = 20_000
    reply = "".join(f"Q{i}: q{i}?\n" for i in range(count)) + "".join(f"A{i}: a{i}\n" for i in range(count))
    pairs = parse_within_deadline(reply).pairs
    assert len(pairs) == count and pairs[123] == {"question": "q123?", "answer": "a123"}
