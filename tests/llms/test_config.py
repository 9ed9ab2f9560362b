"""The model part of the config file: defaults, errors naming the file and the field, secrets kept out of reprs."""

import json
from pathlib import Path

import pytest

from llms.config import ModelsConfig, load_config
from llms.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_no_file_gives_defaults():
    config = load_config(None)
    assert config.models["chatglm"].model_path == "zai-org/glm-edge-1.5b-chat"
    assert config.models["chatglm"].trust_remote_code is False
    assert config.models["chatgpt"].backend == "openai"


@pytest.mark.parametrize("text,field", [
    ('{"models": {"m": {"backend": "local", "quantize": 3}}}', "models.m.quantize"),
    ('{"models": {"m": {"backend": "openai", "colour": "red"}}}', "models.m.colour"),
    ('{"max_tokens": "lots"}', "max_tokens"),
    ('{"temperature": 9}', "temperature"),
])
def test_bad_field_names_file_and_field(tmp_path, text, field):
    path = tmp_path / "cfg.json"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.message.startswith(f"{path}: {field}: ")
    assert err.value.param == field


def test_fields_of_other_floors_are_left_to_them(tmp_path):
    """The CLI of the model layer reads a file written for the whole app; `qa.settings` checks the rest."""
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps({"max_tokens": 7, "grounding_threshold": 0.5}))
    config = load_config(path)
    assert type(config) is ModelsConfig and config.max_tokens == 7


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
