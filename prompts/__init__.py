"""The preset system prompts: editable text files in this folder, one per model family and language.

`chatgpt_*` are few-shot prompts for capable remote models; `chatglm_*` are
step-by-step prompts for small local GLM models. Edit the files to change the
defaults; a user's own prompts are saved by the web app, not here.
"""

from __future__ import annotations

from pathlib import Path

FOLDER = Path(__file__).resolve().parent
FAMILIES = ("chatgpt", "chatglm")
LANGUAGES = ("zh", "en")


def preset_names() -> list[str]:
    return [f"{family}_{lang}" for family in FAMILIES for lang in LANGUAGES]


def load_preset(name: str) -> str:
    """The text of a preset by name (e.g. "chatglm_zh"); KeyError if there is none."""
    if name not in preset_names():
        raise KeyError(f"no preset {name!r}; presets: {', '.join(preset_names())}")
    return (FOLDER / f"{name}.txt").read_text(encoding="utf-8").strip()


def default_preset(family: str, language: str) -> str:
    """The preset name for a model family and a text language."""
    return f"{family if family in FAMILIES else FAMILIES[0]}_{language if language in LANGUAGES else 'en'}"
