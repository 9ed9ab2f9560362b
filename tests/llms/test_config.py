"""The config file: defaults, the documented example, and errors naming the file and the field."""

import json
from pathlib import Path

import pytest

from llms.config import AppConfig, LocalModelConfig, OpenAIModelConfig, load_config
from llms.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_no_file_gives_defaults():
    config = load_config(None)
    assert config.models["chatglm"].model_path == "zai-org/glm-edge-1.5b-chat"
    assert config.models["chatglm"].trust_remote_code is False
    assert config.models["chatgpt"].backend == "openai"


def test_example_documents_every_field():
    raw = json.loads((ROOT / "cfg.example.json").read_text())
    load_config(ROOT / "cfg.example.json")
    assert set(raw) == set(AppConfig.model_fields)
    assert set(raw["models"]["chatgpt"]) == set(OpenAIModelConfig.model_fields)
    assert set(raw["models"]["chatglm"]) == set(LocalModelConfig.model_fields)


@pytest.mark.parametrize("text,field", [
    ('{"models": {"m": {"backend": "local", "quantize": 3}}}', "models.m.quantize"),
    ('{"models": {"m": {"backend": "openai", "colour": "red"}}}', "models.m.colour"),
    ('{"max_tokens": "lots"}', "max_tokens"),
    ('{"temperature": 9}', "temperature"),
    ('{"unknown": 1}', "unknown"),
])
def test_bad_field_names_file_and_field(tmp_path, text, field):
    path = tmp_path / "cfg.json"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.message.startswith(f"{path}: {field}: ")
    assert err.value.param == field


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "absent.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{models: }")
    with pytest.raises(ConfigError, match=r"bad.json: not valid JSON: .* line 1"):
        load_config(bad)


def test_api_key_is_secret_in_repr(tmp_path):
    path = tmp_path / "cfg.json"
    path.write_text('{"models": {"m": {"backend": "openai", "api_key": "sk-very-secret"}}}')
    config = load_config(path)
    assert "sk-very-secret" not in repr(config)
    assert config.models["m"].api_key.get_secret_value() == "sk-very-secret"
