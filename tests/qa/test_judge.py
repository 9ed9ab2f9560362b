"""The judge: ratings read from JSON, labels, fractions, words and Chinese; unreadable replies are unrated and counted."""

from __future__ import annotations

import pytest

from llms.registry import Registry
from qa.judge import SCALE, judge_all, judge_messages, parse_rating
from qa.settings import Settings

CHUNK = "The Denver Broncos defeated the Carolina Panthers 24–10 in Super Bowl 50."


@pytest.mark.parametrize("reply, score", [
    ('{"relevance": 5, "accuracy": 4, "clarity": 5, "score": 4, "reason": "Right but terse."}', 4.0),
    ('```json\n{"relevance": 5, "accuracy": 4, "clarity": 3, "reason": "ok"}\n```', 4.0),  # mean of the three
    ('Here you go: {"score": "4/5", "reason": "fine"} Hope that helps.', 4.0),
    ('{"score": "8/10", "reason": "fine"}', 4.0),
    ("Relevance: 5\nAccuracy: 2\nClarity: 4\nOverall score: 3/5\nThe answer misses the score.", 3.0),
    ("Score: 4/5 — accurate and clear.", 4.0),
    ("I'd rate it 4 out of 5.", 4.0),
    ("Rating: **2**", 2.0),
    ("总分：5分。问题清楚，答案准确。", 5.0),
    ("评分：3/5", 3.0),
    ("这个问答对可以打四分。", 4.0),
    ("Overall this pair is excellent.", 5.0),
    ("The pair is very poor: the answer is wrong.", 1.0),
    ("质量一般，答案不够完整。", 3.0),
])
def test_ratings_are_read(reply, score):
    rating = parse_rating(reply)
    assert rating.rated and rating.score == score
    assert SCALE[0] <= rating.score <= SCALE[1]


def test_json_keeps_reason_and_criteria():
    rating = parse_rating('{"relevance": 5, "accuracy": 3, "clarity": 4, "score": 4, "reason": "Mostly right."}')
    assert rating.reason == "Mostly right."
    assert rating.parts == {"relevance": 5.0, "accuracy": 3.0, "clarity": 4.0}


@pytest.mark.parametrize("reply, why", [
    ("", "empty"),
    ("   ", "empty"),
    ("I cannot evaluate this.", "no rating"),
    ('{"reason": "no number here"}', "no score"),
    ('{"score": 9, "reason": "too high"}', "outside"),
    ("Score: 0/5", "outside"),
    ("Score: 7", "outside"),
])
def test_unreadable_or_off_scale_is_unrated(reply, why):
    rating = parse_rating(reply)
    assert rating.score is None and not rating.rated
    assert rating.reason.startswith("unrated") and why in rating.reason


def test_prompt_states_the_scale_and_criteria_in_the_chunk_language():
    en = judge_messages("Who won?", "The Broncos.", CHUNK)
    assert "1 (very poor) to 5 (excellent)" in en[0]["content"]
    for word in ("relevance", "accuracy", "clarity"):
        assert word in en[0]["content"]
    assert CHUNK in en[1]["content"] and "Who won?" in en[1]["content"]
    zh = judge_messages("谁赢了？", "野马队。", "丹佛野马队在第50届超级碗中击败了卡罗来纳黑豹队。")
    assert "1（很差）到 5（优秀）" in zh[0]["content"]


def judge_model(openai_stub):
    """The registry's OpenAI-protocol model "judge", answered by the test server (also used by the judge job's tests)."""
    config = Settings.model_validate({"models": {"judge": {
        "backend": "openai", "name": "Judge", "base_url": openai_stub.base_url, "api_key": "test-key",
        "model": "gpt-judge", "max_retries": 0, "timeout": 10}}})
    return Registry(config).get("judge")


def test_judge_run_against_a_real_server(openai_stub):
    """Good, malformed and missing ratings from a real OpenAI-protocol server: every pair is saved, none dropped."""
    openai_stub.replies += [
        '{"relevance": 5, "accuracy": 5, "clarity": 4, "score": 5, "reason": "Exactly as the passage says."}',
        '{"score": 4, "reason": "trailing comma",}',  # malformed JSON, but the labelled score is still there
        "I am not able to judge this pair.",  # no rating at all
        '{"relevance": 2, "accuracy": 1, "clarity": 3, "score": 12, "reason": "off the scale"}',
        "",  # an empty reply
    ]
    pairs = [{"id": i, "question": f"Question {i}?", "answer": "The Broncos.", "chunk": CHUNK} for i in range(5)]
    saved = {}
    report = judge_all(judge_model(openai_stub), pairs, lambda key, rating: saved.__setitem__(key, rating))
    assert sorted(saved) == [0, 1, 2, 3, 4]
    assert saved[0].score == 5.0 and saved[0].reason == "Exactly as the passage says."
    assert saved[1].score == 4.0
    assert [saved[i].score for i in (2, 3, 4)] == [None, None, None]
    assert (report.rated, report.unrated) == (2, 3)
    assert [f[0] for f in report.failures] == [2, 3, 4]
    request = openai_stub.requests[0]
    assert request["model"] == "gpt-judge" and request["temperature"] == 0.0
    assert request["messages"][0]["role"] == "system" and CHUNK in request["messages"][1]["content"]


def test_a_failing_judge_leaves_pairs_unrated_with_the_error(openai_stub):
    openai_stub.error = (500, {"error": {"message": "overloaded", "type": "server_error"}})
    saved = {}
    report = judge_all(judge_model(openai_stub), [{"id": "a", "question": "Q?", "answer": "A.", "chunk": CHUNK}],
                       lambda key, rating: saved.__setitem__(key, rating))
    assert report.unrated == 1 and saved["a"].score is None and "judge failed" in saved["a"].reason
