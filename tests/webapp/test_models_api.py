"""/api/models: ids, names and availability; a missing local model does not stop the app."""

from qa.settings import Settings
from webapp import create_app


def test_lists_configured_models(client):
    body = client.get("/api/models").json
    assert [(m["id"], m["name"], m["backend"], m["family"], m["language"], m["available"])
            for m in body["data"]] == [("chatgpt", "ChatGPT", "openai", "chatgpt", None, True),
                                       ("chatglm", "Tiny GLM", "local", "chatglm", None, True)]
    assert body["defaults"] == {"max_tokens": 16, "temperature": 0.7}


def test_missing_local_model_is_unavailable_with_reason_and_the_rest_still_works(tmp_path, openai_stub):
    config = Settings.model_validate({"prompts_db": str(tmp_path / "p.sqlite"), "models": {
        "chatglm": {"backend": "local", "model_path": str(tmp_path / "no-model")},
        "chatgpt": {"backend": "openai", "base_url": openai_stub.base_url, "api_key": "k", "max_retries": 0}}})
    client = create_app({"TESTING": True, "QAPAIR_CONFIG": config}).test_client()
    models = {m["id"]: m for m in client.get("/api/models").json["data"]}
    assert models["chatglm"]["available"] is False
    assert "no-model" in models["chatglm"]["reason"] and "model_path" in models["chatglm"]["reason"]
    r = client.post("/ask", json={"question": "x", "model": "chatglm"})
    assert r.status_code == 503
    assert r.json["error"]["type"] == "model_unavailable"
    assert client.post("/ask", json={"question": "x", "model": "chatgpt"}).status_code == 200


def test_hub_model_not_yet_downloaded_says_so(tmp_path, monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub-cache"))
    client = create_app({"TESTING": True, "QAPAIR_CONFIG": Settings(prompts_db=str(tmp_path / "p.sqlite"))}
                        ).test_client()
    chatglm = next(m for m in client.get("/api/models").json["data"] if m["id"] == "chatglm")
    assert chatglm["available"] is True
    assert "zai-org/glm-edge-1.5b-chat is downloaded from the Hugging Face hub on first use" in chatglm["note"]


def test_local_model_notes_follow_loading(client):
    def chatglm():
        return next(m for m in client.get("/api/models").json["data"] if m["id"] == "chatglm")

    assert chatglm()["note"] == "Loaded on first use."
    client.post("/ask", json={"question": "x", "model": "chatglm", "max_tokens": 1})
    assert chatglm()["note"] is None
