"""Cross-site requests, foreign Hosts, non-JSON bodies, the API token, the security headers and input bounds."""

from __future__ import annotations

import pytest

from qa.settings import Settings
from tests.conftest import make_config
from webapp import create_app
from webapp.security import host_name

CROSS_SITE_FORM = {"Origin": "http://evil.example", "Content-Type": "application/x-www-form-urlencoded",
                   "Sec-Fetch-Site": "cross-site"}


def test_a_cross_site_form_post_is_refused_before_it_reaches_a_model(client, openai_stub):
    r = client.post("/ask", data={"question": "Spend the key.", "model": "chatgpt"},
                    headers={"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403
    assert r.json["error"]["type"] == "forbidden"
    assert openai_stub.requests == []


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"},
    {"Origin": "null"},  # a sandboxed frame or a file:// page
    {"Origin": "http://localhost:9999"},  # another app on this machine: same site, other origin
    {"Sec-Fetch-Site": "cross-site"},
])
def test_other_origins_may_not_write(client, headers):
    r = client.post("/api/prompts", json={"name": "evil", "text": "x"}, headers=headers)
    assert r.status_code == 403, r.json
    assert client.get("/api/prompts").json["data"][-1]["name"] != "evil"
    r = client.delete("/api/prompts/1", headers=headers)
    assert r.status_code == 403


def test_the_page_and_scripts_still_write(client, openai_stub):
    same_origin = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
    assert client.post("/api/prompts", json={"name": "mine", "text": "x"}, headers=same_origin).status_code == 201
    assert client.post("/api/prompts", json={"name": "script", "text": "x"}).status_code == 201  # no Origin: curl
    r = client.post("/ask", data={"question": "Some text.", "model": "chatgpt"})  # the original form clients
    assert r.status_code == 200, r.json


@pytest.mark.parametrize("path", ["/api/prompts", "/v1/chat/completions"])
@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data"])
def test_api_bodies_must_be_json(client, path, content_type):
    r = client.post(path, data="name=x&text=y", headers={"Content-Type": content_type})
    assert r.status_code == 415
    assert r.json["error"] == {"message": r.json["error"]["message"], "type": "unsupported_media_type",
                               "param": "Content-Type"}


@pytest.mark.parametrize("host", ["evil.example", "evil.example:5000", "127.0.0.2", "localhost.evil.example"])
def test_a_foreign_host_is_refused(client, host):
    r = client.get("/", headers={"Host": host})
    assert r.status_code == 400 and r.json["error"]["type"] == "invalid_host"
    assert client.get("/api/models", headers={"Host": host}).status_code == 400


@pytest.mark.parametrize("host", ["localhost", "localhost:5000", "127.0.0.1:5000", "[::1]:5000", "LOCALHOST"])
def test_local_hosts_are_served(client, host):
    assert client.get("/", headers={"Host": host}).status_code == 200


def test_configured_host_names_are_served(tmp_path, tiny_model_path, openai_stub):
    config = make_config(tiny_model_path, openai_stub.base_url, prompts_db=str(tmp_path / "p.sqlite"),
                         allowed_hosts=["qa.example.org"])
    client = create_app({"TESTING": True, "QAPAIR_CONFIG": config}).test_client()
    assert client.get("/", headers={"Host": "qa.example.org"}).status_code == 200
    assert client.post("/api/prompts", json={"name": "n", "text": "t"},
                       headers={"Host": "qa.example.org", "Origin": "https://qa.example.org"}).status_code == 201


@pytest.mark.parametrize("name,expected", [("localhost:5000", "localhost"), ("[::1]:80", "::1"), ("::1", "::1"),
                                           ("Example.ORG", "example.org")])
def test_host_names(name, expected):
    assert host_name(name) == expected


def test_every_response_carries_the_security_headers(client):
    for response in (client.get("/"), client.get("/api/models"), client.get("/nowhere"),
                     client.get("/static/app.js"), client.post("/api/prompts", json={})):
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_templates_have_no_inline_script_style_or_handlers(client):
    import re

    html = client.get("/").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # every script is a file
    assert not re.search(r"<style|\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)


@pytest.fixture()
def token_client(tmp_path, tiny_model_path, openai_stub, monkeypatch):
    monkeypatch.setenv("QAPAIR_API_TOKEN", "s3cret-token")
    config = make_config(tiny_model_path, openai_stub.base_url, prompts_db=str(tmp_path / "p.sqlite"))
    return create_app({"TESTING": True, "QAPAIR_CONFIG": config}).test_client()


@pytest.mark.parametrize("method,path", [("GET", "/api/models"), ("POST", "/ask"), ("GET", "/v1/models"),
                                         ("POST", "/v1/chat/completions"), ("GET", "/api/prompts")])
def test_with_a_token_every_api_needs_it(token_client, openai_stub, method, path):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic s3cret-token"},
                    {"Authorization": "Bearer s3cret-token-and-more"}):
        r = token_client.open(path, method=method, json={}, headers=headers)
        assert r.status_code == 401, (headers, r.status_code)
        assert r.json["error"]["type"] == "authentication_error"
        assert "s3cret" not in r.get_data(as_text=True)
    assert openai_stub.requests == []
    r = token_client.open(path, method=method, json={}, headers={"Authorization": "Bearer s3cret-token"})
    assert r.status_code != 401


def test_with_a_token_the_page_itself_loads_and_asks_for_it(token_client):
    assert token_client.get("/").status_code == 200
    assert token_client.get("/static/api.js").status_code == 200
    r = token_client.post("/ask", json={"question": "Text.", "model": "chatgpt"},
                          headers={"Authorization": "Bearer s3cret-token"})
    assert r.status_code == 200, r.json


def test_the_token_may_come_from_the_config(tmp_path, tiny_model_path, openai_stub, monkeypatch):
    monkeypatch.delenv("QAPAIR_API_TOKEN", raising=False)
    config = make_config(tiny_model_path, openai_stub.base_url, prompts_db=str(tmp_path / "p.sqlite"),
                         api_token="from-config")
    assert "from-config" not in repr(config)
    client = create_app({"TESTING": True, "QAPAIR_CONFIG": config}).test_client()
    assert client.get("/api/models").status_code == 401
    assert client.get("/api/models", headers={"Authorization": "Bearer from-config"}).status_code == 200


@pytest.mark.parametrize("body,param", [
    ({"question": "x", "history": [{"role": "user", "content": "x"}] * 51}, "history"),
    ({"question": "x", "prompt": "p" * 20001}, "prompt"),
    ({"question": "x", "model": "m" * 101}, "model"),
])
def test_ask_bounds(client, body, param):
    r = client.post("/ask", json=body)
    assert r.status_code == 400 and r.json["error"]["param"] == param


@pytest.mark.parametrize("stop,status", [(["x" * 200], 200), (["x" * 201], 400), ([""], 400),
                                         (["a", "b", "c", "d", "e"], 400)])
def test_stop_strings_are_bounded(client, stop, status):
    r = client.post("/v1/chat/completions", json={"model": "chatglm", "max_tokens": 2, "stop": stop,
                                                  "messages": [{"role": "user", "content": "hi"}]})
    assert r.status_code == status, r.json
    if status == 400:
        assert r.json["error"]["param"].startswith("stop")


def test_v1_message_count_is_bounded(client):
    messages = [{"role": "user", "content": "hi"}] * 257
    r = client.post("/v1/chat/completions", json={"model": "chatglm", "messages": messages})
    assert r.status_code == 400 and r.json["error"]["param"] == "messages"


def test_a_body_over_the_limit_is_413(client):
    r = client.post("/api/prompts", data=b"{" + b" " * (3 * 1024 * 1024) + b"}",
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json["error"]["type"] == "request_too_large"


def test_settings_reject_a_bad_allowed_host():
    with pytest.raises(ValueError):
        Settings.model_validate({"allowed_hosts": [""]})
