"""What the app holds between requests: the config, the model registry, the database and its prompt store."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from qa.settings import Settings
from llms.registry import Registry
from qa.store import Database, PromptStore


@dataclass
class AppState:
    config: Settings
    registry: Registry
    prompts: PromptStore
    db: Database


def state() -> AppState:
    return current_app.extensions["qapair"]
