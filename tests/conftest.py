"""Shared fixtures: the tiny GLM-4 model (built once), a real OpenAI-protocol server, the app and its client."""

from __future__ import annotations

import os

import pytest

from qa.settings import Settings
from llms.registry import Registry
from llms.tiny_model import build
from tests.openai_server import OpenAIServer
from webapp import create_app

# $DATABASE_URL (.ci/run sets it when PostgreSQL answers) is for the storage tests on PostgreSQL
# (tests/helpers.postgres_url); every app under test keeps its own SQLite file.
if os.environ.get("DATABASE_URL", "").startswith("postgres"):
    os.environ.setdefault("QAPAIR_TEST_POSTGRES_URL", os.environ["DATABASE_URL"])
os.environ.pop("DATABASE_URL", None)


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory):
    return str(build(tmp_path_factory.mktemp("models") / "tiny-glm4"))


@pytest.fixture(scope="session")
def openai_server():
    server = OpenAIServer().start()
    yield server
    server.stop()


@pytest.fixture()
def openai_stub(openai_server):
    openai_server.reset()
    return openai_server


def make_config(tiny_model_path: str, openai_base_url: str, **extra) -> Settings:
    return Settings.model_validate({
        "models": {
            "chatgpt": {"backend": "openai", "name": "ChatGPT", "base_url": openai_base_url,
                        "api_key": "test-key", "model": "gpt-test", "max_retries": 0, "timeout": 10},
            "chatglm": {"backend": "local", "name": "Tiny GLM", "model_path": tiny_model_path},
        },
        "max_tokens": 16,
        **extra,
    })


@pytest.fixture()
def registry(openai_stub, tiny_model_path):
    """The models of make_config: "chatgpt" talks to the stub, "chatglm" is the tiny model."""
    return Registry(make_config(tiny_model_path, openai_stub.base_url))


@pytest.fixture()
def app(tmp_path, tiny_model_path, openai_stub):
    config = make_config(tiny_model_path, openai_stub.base_url, prompts_db=str(tmp_path / "prompts.sqlite"))
    return create_app({"TESTING": True, "QAPAIR_CONFIG": config})


@pytest.fixture()
def client(app):
    return app.test_client()
