"""Upstream faults end in a clear error in bounded time while the app keeps serving others; keys never leak.

The app runs in a real threaded HTTP server; the OpenAI-compatible backend is the
real test server, made to fail on purpose: down, 401, 429, 500, or silent past
the timeout.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request

import pytest
from pydantic import SecretStr

from tests.browser_server import LiveServer
from tests.conftest import make_config
from tests.helpers import wait_until
from webapp import create_app

KEY = "sk-test-SECRET-0123456789abcdefghij"


@pytest.fixture(scope="module")
def live(tmp_path_factory, tiny_model_path, openai_server):
    config = make_config(tiny_model_path, openai_server.base_url,
                         prompts_db=str(tmp_path_factory.mktemp("faults") / "p.sqlite"))
    models = dict(config.models)
    models["chatgpt"] = models["chatgpt"].model_copy(update={"api_key": SecretStr(KEY), "timeout": 2.0, "max_retries": 1})
    models["down"] = models["chatgpt"].model_copy(update={"base_url": "http://127.0.0.1:9/v1"})
    config = config.model_copy(update={"models": models})
    with LiveServer(create_app({"TESTING": True, "QAPAIR_CONFIG": config})) as server:
        yield server


def post(live, path, body, timeout=60):
    request = urllib.request.Request(live.url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.parametrize("fault, status, error_type", [
    ("down", 502, "connection_error"),
    ((401, {"error": {"message": f"Incorrect API key provided: {KEY}"}}), 502, "authentication_error"),
    ((403, {"error": {"message": f"key {KEY} may not use this model"}}), 502, "authentication_error"),
    ((429, {"error": {"message": f"Rate limit reached for key {KEY}"}}), 429, "rate_limit_error"),
    ((500, {"error": {"message": f"internal failure while serving {KEY}"}}), 502, "upstream_error"),
    ("silent", 504, "timeout_error"),
])
@pytest.mark.parametrize("stream", [False, True])
def test_upstream_faults_are_clear_errors_in_bounded_time(live, openai_stub, caplog, fault, status, error_type,
                                                          stream):
    model = "down" if fault == "down" else "chatgpt"
    if fault == "silent":
        openai_stub.delay = 30  # never answers within the model's 2 s timeout
    elif fault != "down":
        openai_stub.error = fault
    started = time.monotonic()
    with caplog.at_level(logging.DEBUG):
        code, body = post(live, "/ask", {"question": "Some text.", "model": model, "stream": stream})
    elapsed = time.monotonic() - started
    assert code == status, body
    error = json.loads(body)["error"]
    assert error["type"] == error_type and error["message"]
    assert KEY not in body and KEY not in caplog.text
    # one try and one retry, each within the 2 s timeout, plus the SDK's short backoff
    assert elapsed < 15


def test_a_silent_upstream_does_not_hold_up_other_users(live, openai_stub):
    openai_stub.delay = 30
    results = {}
    slow = threading.Thread(target=lambda: results.update(slow=post(live, "/ask", {"question": "x", "model": "chatgpt"})))
    slow.start()
    wait_until(lambda: len(openai_stub.requests) >= 1)
    started = time.monotonic()
    with urllib.request.urlopen(live.url + "/api/models", timeout=10) as r:
        assert r.status == 200
    code, body = post(live, "/ask", {"question": "hi", "model": "chatglm", "max_tokens": 4, "temperature": 0})
    assert code == 200, body
    assert time.monotonic() - started < 10
    slow.join(timeout=30)
    assert results["slow"][0] == 504


def test_keys_stay_out_of_pages_and_model_lists(live):
    for path in ("/", "/api/models", "/openapi.json", "/static/app.js"):
        with urllib.request.urlopen(live.url + path, timeout=10) as r:
            assert KEY not in r.read().decode()
