"""The terminal dialogue in a subprocess with piped stdin, against the tiny model and the OpenAI server."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_cli(module: str, config: Path, stdin: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, "--config", str(config), *args], input=stdin,
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def write_config(tmp_path, raw) -> Path:
    path = tmp_path / "cfg.json"
    path.write_text(raw if isinstance(raw, str) else json.dumps(raw))
    return path


@pytest.fixture()
def chatgpt_config(tmp_path, openai_stub):
    return write_config(tmp_path, {"models": {"chatgpt": {
        "backend": "openai", "base_url": openai_stub.base_url, "api_key": "k", "max_retries": 0}}})


@pytest.fixture()
def chatglm_config(tmp_path, tiny_model_path):
    return write_config(tmp_path, {"models": {"chatglm": {"backend": "local", "model_path": tiny_model_path}}})


def test_chatgpt_dialogue_keeps_and_clears_history(chatgpt_config, openai_stub):
    openai_stub.replies += ["reply one", "reply two", "reply three"]
    result = run_cli("llms.chatgpt", chatgpt_config, "first\nsecond\n/clear\nthird\nquit\nnever sent\n",
                     "--max_tokens", "50", "--temperature", "0.2", "--prompt", "chatgpt_en")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["reply one", "reply two", "(conversation cleared)", "reply three"]
    assert len(openai_stub.requests) == 3
    second, third = openai_stub.requests[1], openai_stub.requests[2]
    assert [m["content"] for m in second["messages"][1:]] == ["first", "reply one", "second"]
    assert [m["content"] for m in third["messages"][1:]] == ["third"]
    assert second["messages"][0]["content"].startswith("You are an expert")
    assert (second["max_tokens"], second["temperature"]) == (50, 0.2)


def test_default_prompt_follows_the_language_of_each_message(chatgpt_config, openai_stub):
    result = run_cli("llms.chatgpt", chatgpt_config, "长江是中国最长的河流。\n")
    assert result.returncode == 0, result.stderr
    assert openai_stub.requests[-1]["messages"][0]["content"].startswith("你是一名擅长出阅读理解题的专家")


def test_prompt_from_a_file(tmp_path, chatgpt_config, openai_stub):
    (tmp_path / "mine.txt").write_text("My own system prompt.\n")
    result = run_cli("llms.chatgpt", chatgpt_config, "hello\n", "--prompt", str(tmp_path / "mine.txt"))
    assert result.returncode == 0, result.stderr
    assert openai_stub.requests[-1]["messages"][0] == {"role": "system", "content": "My own system prompt."}


def test_chatglm_dialogue_streams_and_ends_on_eof(chatglm_config):
    result = run_cli("llms.chatglm", chatglm_config, "hello\n你好\n", "--max_tokens", "5", "--temperature", "0")
    assert result.returncode == 0, result.stderr
    replies = result.stdout.splitlines()
    assert len(replies) == 2 and all(replies)


def test_missing_local_model_says_what_to_configure(tmp_path):
    config = write_config(tmp_path, {"models": {"chatglm": {"backend": "local",
                                                            "model_path": str(tmp_path / "absent")}}})
    result = run_cli("llms.chatglm", config, "hello\n")
    assert result.returncode == 1
    assert "models.chatglm.model_path" in result.stderr and "absent" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("raw,expected", [
    (None, "no such file"),
    ("{not json", "not valid JSON"),
    ('{"models": {"chatglm": {"backend": "local", "colour": 1}}}', "models.chatglm.colour"),
    ('{"models": {"chatglm": {"backend": "local", "quantize": "four"}}}', "models.chatglm.quantize"),
    ('{"max_tokens": -1}', "max_tokens"),
])
def test_bad_config_prints_one_line_and_exits_2(tmp_path, raw, expected):
    config = tmp_path / "cfg.json" if raw is None else write_config(tmp_path, raw)
    result = run_cli("llms.chatglm", config, "")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert str(config) in lines[0] and expected in lines[0]


def test_bad_option_exits_2(chatglm_config):
    result = run_cli("llms.chatglm", chatglm_config, "", "--temperature", "5")
    assert result.returncode == 2
    assert "temperature" in result.stderr
