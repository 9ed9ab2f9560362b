"""ChatGLMLLM on the tiny random GLM-4: loading, quantization, chat template, streaming, errors."""

import functools
import json
import shutil

import pytest

from llms.chatglm import ChatGLMLLM
from llms.config import LocalModelConfig
from llms.errors import ContextLengthError, ModelUnavailableError


def local(path, **settings) -> ChatGLMLLM:
    return ChatGLMLLM("chatglm", LocalModelConfig(backend="local", model_path=str(path), **settings))


@pytest.fixture(scope="module")
def quantized(tiny_model_path):
    """The tiny model with a quantize setting (None, 8 or 4), each made once for the module."""
    return functools.cache(lambda bits: local(tiny_model_path, quantize=bits))


@pytest.fixture(scope="module")
def glm(quantized):
    return quantized(None)


@pytest.mark.parametrize("quantize", [None, 8, 4])
def test_answers_with_each_quantize_setting(quantized, quantize):
    model = quantized(quantize)
    response = model.respond(model.create_prompt("What is the capital of China?", "Answer briefly."),
                             max_tokens=8, temperature=0)
    text = response.text()
    assert text
    assert response.usage.completion_tokens > 0
    assert response.usage.prompt_tokens == len(model.render(response.messages))
    assert response.finish_reason in {"stop", "length"}
    if response.finish_reason == "length":
        assert response.usage.completion_tokens == 8


def test_quantization_replaces_linear_layers_and_the_input_embedding(glm, quantized):
    import torch

    from llms import packed_linear
    from llms.int8_embedding import Int8Embedding
    from llms.packed_linear import PackedLinear

    plain = glm.load().model
    ids = torch.tensor([[5, 17, 300]])
    for bits in (8, 4):
        model = quantized(bits).load().model
        layer = model.model.layers[0].mlp.down_proj
        assert type(layer) is not torch.nn.Linear, bits
        embedding = model.get_input_embeddings()
        assert isinstance(embedding, Int8Embedding), bits
        expected = plain.get_input_embeddings()(ids).float()
        assert torch.allclose(embedding(ids).float(), expected, atol=expected.abs().max().item() / 100), bits
    # auto loads bf16 where the CPU has it natively, float32 elsewhere; oneDNN packs either where it can
    expected = PackedLinear if packed_linear.supported(plain.dtype) else torch.nn.Linear
    assert type(plain.model.layers[0].mlp.down_proj) is expected


def test_dtype_setting_chooses_the_unquantized_weights_type(glm, tiny_model_path):
    import torch

    from llms.loading import choose_dtype

    assert glm.load().model.dtype == getattr(torch, choose_dtype("auto", "cpu")[0])  # auto: by the CPU's flags
    model = local(tiny_model_path, dtype="float32")
    assert model.load().model.dtype == torch.float32
    assert model.request_llm(model.create_prompt("hi", "Answer."), max_tokens=4, temperature=0)


def test_stream_joins_to_the_whole_reply(glm):
    messages = glm.create_prompt("长江有多长？", "请回答。")
    whole = glm.request_llm(messages, max_tokens=12, temperature=0)
    pieces = list(glm.stream_llm(messages, max_tokens=12, temperature=0))
    assert len(pieces) > 1
    assert "".join(pieces) == whole


def test_history_reaches_the_model_through_the_chat_template(glm):
    history = [{"role": "user", "content": "first question"}, {"role": "assistant", "content": "first answer"}]
    ids = glm.render(glm.create_prompt("second question", "system words", history))
    rendered = glm.load().tokenizer.decode(ids)
    assert rendered == ("[gMASK]<sop><|system|>\nsystem words<|user|>\nfirst question"
                        "<|assistant|>\nfirst answer<|user|>\nsecond question<|assistant|>\n")


def test_interactive_dialogue_feeds_the_history_back(glm):
    glm.clear_history()
    first = "".join(glm.interactive_dialogue("hello", None, max_tokens=4, temperature=0))
    "".join(glm.interactive_dialogue("again", None, max_tokens=4, temperature=0))
    assert glm.history[:2] == [{"role": "user", "content": "hello"}, {"role": "assistant", "content": first}]
    assert len(glm.history) == 4
    glm.clear_history()


def test_seed_makes_sampling_repeatable(glm):
    messages = glm.create_prompt("sample me")
    a = glm.request_llm(messages, max_tokens=10, temperature=1.0, seed=7)
    b = glm.request_llm(messages, max_tokens=10, temperature=1.0, seed=7)
    assert a == b


def test_prompt_plus_max_tokens_beyond_context_is_refused(glm):
    with pytest.raises(ContextLengthError, match="4096 tokens") as err:
        glm.request_llm(glm.create_prompt("x"), max_tokens=4095)
    assert err.value.param == "max_tokens"


def test_missing_path_names_the_path(tmp_path):
    model = local(tmp_path / "nowhere")
    available, reason = model.availability()
    assert not available and "nowhere" in reason
    with pytest.raises(ModelUnavailableError, match="nowhere"):
        model.request_llm([{"role": "user", "content": "x"}])


def test_folder_without_config_says_what_was_expected(tmp_path):
    (tmp_path / "weights.bin").write_bytes(b"")
    with pytest.raises(ModelUnavailableError, match="no config.json"):
        local(tmp_path).load()


def test_broken_weights_name_the_folder(tmp_path, tiny_model_path):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_model_path, broken)
    (broken / "model.safetensors").write_bytes(b"not a safetensors file")
    model = local(broken)
    with pytest.raises(ModelUnavailableError, match="broken"):
        model.load()
    assert model.availability()[0] is False  # the failure is remembered and shown


REMOTE_CONFIG = """
from transformers import Glm4Config

class RemoteGlmConfig(Glm4Config):
    model_type = "remote_glm"
"""
REMOTE_MODELING = """
from transformers import Glm4ForCausalLM
from .configuration_remote import RemoteGlmConfig

class RemoteGlmForCausalLM(Glm4ForCausalLM):
    config_class = RemoteGlmConfig
    ran_checkpoint_code = True
"""


@pytest.fixture()
def remote_code_checkpoint(tmp_path, tiny_model_path):
    folder = tmp_path / "remote"
    shutil.copytree(tiny_model_path, folder)
    (folder / "configuration_remote.py").write_text(REMOTE_CONFIG)
    (folder / "modeling_remote.py").write_text(REMOTE_MODELING)
    config = json.loads((folder / "config.json").read_text())
    config.update(model_type="remote_glm", architectures=["RemoteGlmForCausalLM"], auto_map={
        "AutoConfig": "configuration_remote.RemoteGlmConfig",
        "AutoModelForCausalLM": "modeling_remote.RemoteGlmForCausalLM"})
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def test_checkpoint_code_runs_only_when_the_config_asks(remote_code_checkpoint):
    with pytest.raises(ModelUnavailableError, match="trust_remote_code"):
        local(remote_code_checkpoint).load()
    trusted = local(remote_code_checkpoint, trust_remote_code=True)
    assert getattr(trusted.load().model, "ran_checkpoint_code", False) is True
    assert trusted.request_llm(trusted.create_prompt("hi"), max_tokens=3, temperature=0)
