"""/api/prompts: presets read-only, saved prompts persist across an app restart."""

import pytest

import prompts
from webapp import create_app


def test_lists_the_four_presets(client):
    data = client.get("/api/prompts").json["data"]
    presets = [p for p in data if p["preset"]]
    assert [p["id"] for p in presets] == prompts.preset_names()
    assert {(p["family"], p["language"]) for p in presets} == {
        ("chatgpt", "zh"), ("chatgpt", "en"), ("chatglm", "zh"), ("chatglm", "en")}
    assert "Question 1:" in next(p for p in presets if p["id"] == "chatgpt_en")["text"]
    assert "问题一：" in next(p for p in presets if p["id"] == "chatgpt_zh")["text"]


def test_saved_prompts_persist_across_restart(app, client):
    created = client.post("/api/prompts", json={"name": "Finance", "text": "Ask about numbers."})
    assert created.status_code == 201
    prompt_id = created.json["id"]
    assert client.put(f"/api/prompts/{prompt_id}", json={"text": "Ask about money."}).status_code == 200

    restarted = create_app({"TESTING": True, "QAPAIR_CONFIG": app.extensions["qapair"].config}).test_client()
    saved = [p for p in restarted.get("/api/prompts").json["data"] if not p["preset"]]
    assert [(p["name"], p["text"]) for p in saved] == [("Finance", "Ask about money.")]
    assert restarted.get(f"/api/prompts/{prompt_id}").json["text"] == "Ask about money."
    assert restarted.delete(f"/api/prompts/{prompt_id}").status_code == 204
    assert restarted.get(f"/api/prompts/{prompt_id}").status_code == 404


def test_duplicate_name_is_409(client):
    assert client.post("/api/prompts", json={"name": "A", "text": "one"}).status_code == 201
    r = client.post("/api/prompts", json={"name": "A", "text": "two"})
    assert r.status_code == 409
    assert r.json["error"]["param"] == "name"


def test_presets_are_read_only(client):
    for r in (client.put("/api/prompts/chatglm_zh", json={"text": "x"}), client.delete("/api/prompts/chatglm_zh")):
        assert r.status_code == 400
        assert "read-only" in r.json["error"]["message"]


def test_bad_prompt_bodies(client):
    assert client.post("/api/prompts", json={"name": "", "text": "x"}).json["error"]["param"] == "name"
    assert client.post("/api/prompts", json={"name": "n", "text": "x" * 20001}).json["error"]["param"] == "text"
    assert client.post("/api/prompts", json={"name": "n", "text": "x", "extra": 1}).status_code == 400
    assert client.put("/api/prompts/999", json={"text": "x"}).status_code == 404
    assert client.delete("/api/prompts/abc").status_code == 404


@pytest.mark.parametrize("prompt_id", ["²", "١٢", "1.0", "-1", "9" * 30])
def test_ids_that_only_look_like_numbers_are_not_found(client, prompt_id):
    for method in ("GET", "DELETE"):
        r = client.open(f"/api/prompts/{prompt_id}", method=method)
        assert r.status_code == 404 and r.json["error"]["type"] == "not_found"
