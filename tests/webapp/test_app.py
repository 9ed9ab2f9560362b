"""The app factory's config layers, and the real servers: gunicorn and `flask run`."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from llms.errors import ConfigError
from webapp import create_app

ROOT = Path(__file__).resolve().parents[2]


def test_config_file_from_environment(tmp_path, monkeypatch, tiny_model_path):
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps({"max_tokens": 99, "prompts_db": str(tmp_path / "p.sqlite"),
                                "models": {"mine": {"backend": "local", "model_path": tiny_model_path}}}))
    monkeypatch.setenv("QAPAIR_CONFIG", str(path))
    app = create_app({"TESTING": True})
    assert app.extensions["qapair"].registry.ids() == ["mine"]
    assert app.test_client().get("/api/models").json["defaults"]["max_tokens"] == 99


def test_bad_config_file_fails_loudly(tmp_path, monkeypatch):
    path = tmp_path / "cfg.json"
    path.write_text('{"models": {"x": {"backend": "local", "quantize": 2}}}')
    monkeypatch.setenv("QAPAIR_CONFIG", str(path))
    with pytest.raises(ConfigError, match="models.x.quantize"):
        create_app()


def test_secret_key_comes_from_the_environment(monkeypatch, app):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    config = app.extensions["qapair"].config
    assert create_app({"QAPAIR_CONFIG": config}).secret_key == "from-env"
    monkeypatch.delenv("SECRET_KEY")
    first, second = (create_app({"QAPAIR_CONFIG": config}).secret_key for _ in range(2))
    assert first != second and len(first) == 64  # random per process, never a fixed default


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, seconds: float = 60) -> bytes:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stdout.read()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.read()
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer")


@pytest.mark.parametrize("command", [
    [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
    [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--port", "{port}"],
])
def test_real_servers_serve_page_and_api(tmp_path, tiny_model_path, command):
    port = free_port()
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps({"prompts_db": str(tmp_path / "p.sqlite"), "max_tokens": 4,
                                "models": {"chatglm": {"backend": "local", "model_path": tiny_model_path}}}))
    env = {**os.environ, "QAPAIR_CONFIG": str(path), "QAPAIR_BIND": f"127.0.0.1:{port}", "HOME": str(tmp_path)}
    proc = subprocess.Popen([part.format(port=port) for part in command], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert b"<html" in wait_for(f"http://127.0.0.1:{port}/", proc).lower()
        models = json.loads(wait_for(f"http://127.0.0.1:{port}/api/models", proc))
        assert models["data"][0]["id"] == "chatglm"
        request = urllib.request.Request(f"http://127.0.0.1:{port}/ask", method="POST",
                                         data=json.dumps({"question": "hi", "temperature": 0}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as r:
            assert json.loads(r.read())["answer"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert not (tmp_path / ".gunicorn").exists()  # no control socket in the home folder
