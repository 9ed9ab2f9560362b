"""RemoteLLMs: prompts, options, history and the registry, through a real backend."""

import pytest

from llms.base import RemoteLLMs
from llms.config import ModelsConfig
from llms.errors import InvalidRequestError, UnknownModelError
from llms.registry import Registry
from tests.conftest import make_config


def test_create_prompt_orders_system_history_user(registry):
    model = registry.get("chatgpt")
    history = [{"role": "user", "content": "u1"}, {"role": "assistant", "content": "a1"}]
    assert model.create_prompt("u2", "sys", history) == [
        {"role": "system", "content": "sys"}, *history, {"role": "user", "content": "u2"}]
    assert model.create_prompt("u2") == [{"role": "user", "content": "u2"}]


@pytest.mark.parametrize("field,value", [("max_tokens", 0), ("max_tokens", 10_000), ("temperature", -0.1),
                                         ("temperature", 2.5), ("top_p", 0), ("max_tokens", "many")])
def test_options_out_of_bounds_are_typed_errors(registry, field, value):
    model = registry.get("chatgpt")
    with pytest.raises(InvalidRequestError) as err:
        model.respond([{"role": "user", "content": "x"}], **{field: value})
    assert err.value.param == field


def test_options_default_from_config(openai_stub, tiny_model_path):
    config = make_config(tiny_model_path, openai_stub.base_url).model_copy(update={"temperature": 0.3})
    model = Registry(config).get("chatgpt")
    assert model.options().max_tokens == 16
    assert model.options().temperature == 0.3
    assert model.options(temperature=1.1).temperature == 1.1


def test_interactive_dialogue_keeps_history(registry, openai_stub):
    model = registry.get("chatgpt")
    openai_stub.replies += ["first reply", "second reply"]
    assert "".join(model.interactive_dialogue("one", "sys")) == "first reply"
    assert "".join(model.interactive_dialogue("two", "sys")) == "second reply"
    assert openai_stub.requests[-1]["messages"] == [
        {"role": "system", "content": "sys"}, {"role": "user", "content": "one"},
        {"role": "assistant", "content": "first reply"}, {"role": "user", "content": "two"}]
    model.clear_history()
    "".join(model.interactive_dialogue("three"))
    assert openai_stub.requests[-1]["messages"] == [{"role": "user", "content": "three"}]


def test_registry_unknown_id_lists_known_ones(registry):
    with pytest.raises(UnknownModelError) as err:
        registry.get("gpt-9")
    assert err.value.known == ["chatgpt", "chatglm"]
    assert "chatgpt, chatglm" in err.value.message
    assert err.value.status == 404


def test_registry_accepts_original_numeric_ids(registry):
    assert registry.get("1").model_id == "chatgpt"
    assert registry.get("2").model_id == "chatglm"


def test_default_config_knows_chatgpt_and_chatglm():
    registry = Registry(ModelsConfig())
    assert registry.ids() == ["chatgpt", "chatglm"]
    assert all(isinstance(model, RemoteLLMs) for model in registry)
