"""The app factory's config layers, and the real servers: gunicorn and `flask run`."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from llms.errors import ConfigError
from tests.helpers import wait_until
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
            raise AssertionError(f"server exited: {proc.stdout.read() if proc.stdout else proc.returncode}")
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


def test_a_full_queue_answers_503_and_the_page_still_loads(tmp_path, tiny_model_path, openai_stub):
    """gunicorn gets a thread for every request the models admit plus room for the page, so with the local
    model running one request and holding one in its queue, and the remote one at its limit, a further request
    is a 503 at once and the page loads."""
    port = free_port()
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps({
        "prompts_db": str(tmp_path / "p.sqlite"), "reask_on_empty": False,
        "models": {"chatglm": {"backend": "local", "model_path": tiny_model_path, "max_batch_size": 1,
                               "max_queue": 1, "dtype": "float32"},
                   "chatgpt": {"backend": "openai", "base_url": openai_stub.base_url, "api_key": "k",
                               "max_concurrent": 2, "max_retries": 0, "timeout": 60}}}))
    env = {**os.environ, "QAPAIR_CONFIG": str(path), "QAPAIR_BIND": f"127.0.0.1:{port}", "HOME": str(tmp_path),
           "QAPAIR_THREADS": "1"}  # asks for fewer threads than the models admit: raised to what they need
    log = open(tmp_path / "gunicorn.log", "w")  # a file, not a pipe: an unread pipe fills and stalls the server
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
                            env=env, stdout=log, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    openai_stub.delay = 30  # the remote model is slow: its requests hold their threads
    held = []
    try:
        wait_for(f"{base}/", proc)

        def post(body):
            sock = socket.create_connection(("127.0.0.1", port), timeout=60)
            payload = json.dumps(body).encode()
            sock.sendall(f"POST /ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)
            held.append(sock)

        def in_flight():
            return {m["id"]: m["in_flight"] for m in json.loads(wait_for(f"{base}/api/models", proc))["data"]}

        # the model loaded and gunicorn's warm-up over, so only the requests below hold the local engine's places
        ready = urllib.request.Request(f"{base}/ask", method="POST", headers={"Content-Type": "application/json"},
                                       data=json.dumps({"question": "hi", "model": "chatglm", "max_tokens": 1}).encode())
        urllib.request.urlopen(ready, timeout=120).read()
        wait_until(lambda: in_flight()["chatglm"] == 0, timeout=60)
        for _ in range(2):
            post({"question": "hi", "model": "chatglm", "max_tokens": 3000, "temperature": 0})
            post({"question": "Text.", "model": "chatgpt"})
        wait_until(lambda: in_flight() == {"chatglm": 2, "chatgpt": 2}, timeout=120)
        for model in ("chatglm", "chatgpt"):
            request = urllib.request.Request(f"{base}/ask", method="POST", headers={"Content-Type": "application/json"},
                                             data=json.dumps({"question": "more", "model": model}).encode())
            with pytest.raises(urllib.error.HTTPError) as busy:
                urllib.request.urlopen(request, timeout=10)
            assert busy.value.code == 503 and busy.value.headers["Retry-After"]
            assert json.loads(busy.value.read())["error"]["type"] == "server_busy"
        assert b"<html" in wait_for(f"{base}/", proc, seconds=10).lower()
    finally:
        for sock in held:
            sock.close()
        openai_stub.reset()
        os.killpg(proc.pid, signal.SIGKILL)  # master and worker; a graceful stop would wait for held requests
        proc.wait(timeout=30)
        log.close()
