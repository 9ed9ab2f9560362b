"""The whole config file: the model layer's `ModelsConfig` plus the settings of the app and `python -m qa`.

One JSON file serves every door (the web app, `python -m qa`, `python -m
llms.chatglm`). The model layer owns `models` and the generation defaults
(`llms/config.py`); everything else a user can set lives here, next to the floor
that uses it, and `Settings` rejects unknown fields anywhere in the file, naming
the file and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import ConfigDict, Field, SecretStr

from llms.config import ModelsConfig, load_config
from qa.grounding import DEFAULT_THRESHOLD


class Settings(ModelsConfig):
    """The config file as the app and `python -m qa` read it."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    prompts_db: str | None = Field(None, description="SQLite file for saved prompts (web app).")
    max_question_chars: int = Field(20000, ge=1, le=1_000_000, description="Longest text /ask accepts.")
    grounding_threshold: float = Field(DEFAULT_THRESHOLD, ge=0.0, le=1.0,
                                       description="Support needed to call an answer grounded.")
    reask_on_empty: bool = Field(True, description="Re-ask once with a format reminder when a reply has no pairs.")
    api_token: SecretStr | None = Field(
        None, description="When set, /ask, /api and /v1 need 'Authorization: Bearer <token>'; "
                          "QAPAIR_API_TOKEN overrides it.")
    allowed_hosts: list[Annotated[str, Field(min_length=1, max_length=253)]] = Field(
        default_factory=list, max_length=64,
        description="Host names the app answers to besides localhost, 127.0.0.1 and [::1] (behind a proxy).")


def load_settings(path: str | Path | None) -> Settings:
    """Read and validate the whole config file; None gives the built-in defaults."""
    return load_config(path, Settings)
