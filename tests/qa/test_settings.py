"""The whole config file as the app and `python -m qa` read it: every field documented, unknown ones refused."""

import json
from pathlib import Path

import pytest

from llms.config import LocalModelConfig, OpenAIModelConfig
from llms.errors import ConfigError
from qa.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_example_documents_every_field():
    raw = json.loads((ROOT / "cfg.example.json").read_text())
    load_settings(ROOT / "cfg.example.json")
    assert set(raw) == set(Settings.model_fields)
    assert set(raw["models"]["chatgpt"]) == set(OpenAIModelConfig.model_fields)
    assert set(raw["models"]["chatglm"]) == set(LocalModelConfig.model_fields)


@pytest.mark.parametrize("text,field", [
    ('{"unknown": 1}', "unknown"),
    ('{"grounding_threshold": 2}', "grounding_threshold"),
    ('{"models": {"m": {"backend": "openai", "colour": "red"}}}', "models.m.colour"),
])
def test_bad_field_names_file_and_field(tmp_path, text, field):
    path = tmp_path / "cfg.json"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert err.value.message.startswith(f"{path}: {field}: ")
