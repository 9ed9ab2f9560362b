"""qa.pipeline with the parser: a reply with no pairs is re-asked once, unless it stopped at max_tokens."""

from __future__ import annotations

from llms.registry import Registry
from qa.pipeline import Extraction
from qa.settings import Settings


def openai_model(base_url: str):
    return Registry(Settings.model_validate({"models": {"chatgpt": {
        "backend": "openai", "name": "ChatGPT", "base_url": base_url, "api_key": "test-key", "model": "gpt-test",
        "max_retries": 0, "timeout": 10}}})).get("chatgpt")


def test_a_reply_cut_at_max_tokens_is_not_reasked(openai_stub):
    openai_stub.replies = ["Here is a long preamble before any question at all " * 3]
    result = Extraction(openai_model(openai_stub.base_url), "Ada wrote the first program.",
                        options={"max_tokens": 5}).result()
    assert len(openai_stub.requests) == 1
    assert result["finish_reason"] == "length"
    assert [notice["code"] for notice in result["notices"]] == ["truncated", "no_pairs"]


def test_a_complete_reply_without_pairs_is_reasked_once(openai_stub):
    openai_stub.replies = ["No pairs here.", "Question 1: Who wrote it?\nAnswer 1: Ada."]
    result = Extraction(openai_model(openai_stub.base_url), "Ada wrote the first program.",
                        options={"max_tokens": 50}).result()
    assert len(openai_stub.requests) == 2
    assert [notice["code"] for notice in result["notices"]] == ["reasked"]
    assert result["pairs"][0]["answer"] == "Ada."
