"""Language detection picks the preset: Chinese or English by the text's characters."""

import pytest

import prompts
from prompts.language import detect_language


@pytest.mark.parametrize("text,language", [
    ("长江是中国最长的河流。", "zh"),
    ("Super Bowl 50 was an American football game.", "en"),
    ("范廷颂是越南罗马天主教枢机，1990年被擢升为天主教河内总教区总主教。", "zh"),
    ("The word 长江 means long river in Chinese, and it is used all over the country.", "en"),
    ("iPhone 15 于2023年9月在美国加州发布，搭载 A17 Pro 芯片。", "zh"),
    ("", "en"),
])
def test_detect_language(text, language):
    assert detect_language(text) == language


def test_every_family_and_language_has_a_preset():
    for family in prompts.FAMILIES:
        for language in prompts.LANGUAGES:
            assert prompts.load_preset(prompts.default_preset(family, language))
    assert prompts.default_preset("unknown", "fr") == "chatgpt_en"
    with pytest.raises(KeyError):
        prompts.load_preset("../secrets")
