"""qa.verify: the optional model check judges the pairs the rules are unsure of, over a real OpenAI-protocol server."""

from __future__ import annotations

import json

import pytest

from llms.registry import Registry
from qa.grounding import ground
from qa.settings import Settings
from qa.verify import ModelVerifier, parse_verdict, verifier_for

SOURCE = ("Trinity Church was founded in 1878 by a group of merchants. Its first rector was John Hale, who served "
          "until 1901. The church was never rebuilt after the fire of 1932.")


def settings(base_url: str, **extra) -> Settings:
    return Settings.model_validate({"models": {"judge": {
        "backend": "openai", "name": "Judge", "base_url": base_url, "api_key": "test-key", "model": "gpt-test",
        "max_retries": 0, "timeout": 10}}, **extra})


@pytest.fixture()
def verifier(openai_stub):
    config = settings(openai_stub.base_url, verify_model="judge")
    return verifier_for(config, Registry(config))


def test_the_check_is_off_by_default(openai_stub):
    config = settings(openai_stub.base_url)
    assert config.verify_model is None and verifier_for(config, Registry(config)) is None


def test_an_unsure_pair_gets_the_model_verdict_and_reason(openai_stub, verifier):
    openai_stub.replies = ['```json\n{"verdict": "contradicted", "reason": "The text says Hale was the rector."}\n```']
    [result] = ground([{"question": "Who was the first rector?", "answer": "merchants"}], SOURCE, verifier=verifier)
    assert len(openai_stub.requests) == 1
    prompt = openai_stub.requests[0]["messages"][-1]["content"]
    assert "Question: Who was the first rector?" in prompt and "Answer: merchants" in prompt and "John Hale" in prompt
    assert openai_stub.requests[0]["temperature"] == 0.0
    assert result["verdict"] == "unsupported" and not result["grounded"]
    assert result["reasons"][-1] == {"code": "model", "message": "model check: The text says Hale was the rector."}


def test_a_sure_pair_is_not_sent_to_the_model(openai_stub, verifier):
    [result] = ground([{"question": "When was Trinity Church founded?", "answer": "Trinity Church was founded in "
                        "1878 by a group of merchants."}], SOURCE, verifier=verifier)
    assert result["verdict"] == "grounded" and openai_stub.requests == []


def test_a_reply_without_a_verdict_leaves_the_rules_verdict(openai_stub, verifier):
    openai_stub.replies = ["I am not sure what you mean."]
    [result] = ground([{"question": "Was it rebuilt?", "answer": "Yes."}], SOURCE, verifier=verifier)
    assert result["verdict"] == "unverifiable" and [r["code"] for r in result["reasons"]] == ["yes_no"]


def test_a_failing_model_leaves_the_rules_verdict(openai_stub, verifier):
    openai_stub.error = (500, {"error": {"message": "down", "type": "server_error"}})
    [result] = ground([{"question": "Was it rebuilt?", "answer": "No."}], SOURCE, verifier=verifier)
    assert result["verdict"] == "unverifiable"


@pytest.mark.parametrize("reply, verdict", [
    ('{"verdict": "supported", "reason": "stated"}', "grounded"),
    ("<think>maybe {\"verdict\": \"supported\"}</think>\n{“verdict”: “not_in_text”, “reason”: “absent”}", "unsupported"),
    ("Verdict: CONTRADICTED. The text says the opposite.", "unsupported"),
    ('{"Verdict": "cannot tell"}', "unverifiable"),
    ("不支持：原文没有提到。", "unsupported"),
    ("supported", "grounded"),
    ("", None),
    ("{}", None),
])
def test_replies_are_read_leniently(reply, verdict):
    parsed = parse_verdict(reply)
    assert (parsed[0] if parsed else None) == verdict


def test_the_verifier_is_called_through_the_llms_contract(openai_stub):
    config = settings(openai_stub.base_url)
    judge = ModelVerifier(Registry(config).get("judge"))
    openai_stub.replies = [json.dumps({"verdict": "supported", "reason": "The text names him."})]
    assert judge("Who was the first rector?", "John Hale", SOURCE) == ("grounded", "model check: The text names him.")
