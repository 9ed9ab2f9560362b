"""/api/pairs and GET /api/export over a seeded dataset: filters, bounded pages, edit, bulk, undo, save from /ask, export."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from tests.qa.review.conftest import seed


@pytest.fixture()
def data(app):
    return seed(app.extensions["qapair"].db)


def test_list_filters_pages_and_flags_duplicates(client, data):
    body = client.get("/api/pairs?limit=2").json
    assert body["total"] == 5 and [p["id"] for p in body["data"]] == data["ids"][:2]
    following = client.get(f"/api/pairs?limit=2&after={data['ids'][1]}").json["data"]
    assert [p["id"] for p in following] == data["ids"][2:4]
    assert client.get("/api/pairs?status=new&grounded=true").json["total"] == 2
    assert client.get("/api/pairs?q=amazon").json["total"] == 3
    blank = client.get("/api/pairs?q=amazon&document=")  # as /openapi.json says: a filter left out, not sent empty
    assert blank.status_code == 400 and blank.json["error"]["param"] == "document"
    dupes = client.get("/api/pairs?duplicate=true").json["data"]
    assert [p["id"] for p in dupes] == data["ids"][3:]
    assert dupes[0]["duplicate_of"] == [{"id": data["ids"][2], "similarity": 1.0, "exact": True}]
    assert client.get("/api/pairs?rated=unrated").json["data"][0]["score_reason"].startswith("unrated")


@pytest.mark.parametrize("query", ["limit=501", "limit=0", "offset=-1", "status=maybe", "sort=evil", "q=" + "x" * 201,
                                   "score_min=9", "document=abc", "colour=red"])
def test_bad_queries_are_400s(client, data, query):
    r = client.get(f"/api/pairs?{query}")
    assert r.status_code == 400 and r.json["error"]["type"] == "invalid_request_error"


def test_patch_regrounds_and_undo(client, data):
    pair_id = data["ids"][1]
    r = client.patch(f"/api/pairs/{pair_id}", json={"answer": "Into the Atlantic Ocean."})
    assert r.status_code == 200 and r.json["verdict"] == "grounded" and r.json["answer"] == "Into the Atlantic Ocean."
    source = client.get(f"/api/pairs/{pair_id}/source").json
    assert "Atlantic" in source["text"][source["evidence"]["start"]:source["evidence"]["end"]]
    assert client.post("/api/pairs/undo", json={}).json["kind"] == "edit"
    assert client.get(f"/api/pairs/{pair_id}").json["answer"] == "In the Pacific."
    assert client.post("/api/pairs/undo", json={}).status_code == 409
    assert client.patch("/api/pairs/999999", json={"status": "accepted"}).status_code == 404
    assert client.patch(f"/api/pairs/{pair_id}", json={}).status_code == 400
    assert client.patch(f"/api/pairs/{pair_id}", json={"answer": "  "}).status_code == 400
    assert client.patch(f"/api/pairs/{pair_id}", json={"status": "accepted"},
                        headers={"Origin": "https://evil.test"}).status_code == 403


def test_bulk_by_filter_and_ids(client, data):
    r = client.post("/api/pairs/bulk", json={"filter": {"status": "new", "q": "amazon"}, "set": {"status": "accepted"}})
    assert r.json == {"changed": 2}
    assert client.post("/api/pairs/bulk", json={"ids": data["ids"][:3], "set": {"status": "rejected"}}).json == {
        "changed": 3}
    assert client.get("/api/pairs?status=rejected").json["total"] == 4
    client.post("/api/pairs/undo", json={})
    assert client.get("/api/pairs?status=accepted").json["total"] == 3
    for bad in ({"set": {"status": "accepted"}}, {"ids": [1], "filter": {}, "set": {"status": "accepted"}},
                {"ids": list(range(10_001)), "set": {"status": "accepted"}}, {"ids": [1], "set": {"status": "gone"}},
                {"ids": [1], "set": {"question": "x"}}):
        assert client.post("/api/pairs/bulk", json=bad).status_code == 400, bad


def test_save_from_ask(client, data):
    passage = "Mount Everest is 8,849 metres high."
    r = client.post("/api/pairs", json={"passage": passage, "model": "chatgpt", "pairs": [
        {"question": "How high is Everest?", "answer": "8,849 metres.", "grounded": True}]})
    assert r.status_code == 201
    saved = r.json["data"][0]
    assert saved["origin"] == "ask" and saved["verdict"] == "grounded" and saved["model"] == "chatgpt"
    assert client.get("/api/pairs?origin=ask").json["total"] == 1
    assert client.post("/api/pairs", json={"passage": passage, "model": "nope", "pairs": [
        {"question": "q", "answer": "a"}]}).status_code == 400


def test_export_by_filter_with_provenance(client, data):
    r = client.get("/api/export?format=jsonl&status=new&provenance=true")
    assert r.status_code == 200 and r.headers["Content-Disposition"] == 'attachment; filename="qa_pairs.jsonl"'
    records = [json.loads(line) for line in r.data.decode().splitlines()]
    assert len(records) == 3 and records[0]["source"]["document"] == "rivers.txt"
    assert records[0]["source"]["prompt"] == "chatgpt_en" and records[0]["source"]["score"] == 5.0
    archive = zipfile.ZipFile(io.BytesIO(client.get("/api/export?format=sharegpt&grounded=true").data))
    assert sorted(archive.namelist()) == ["dataset_info.json", "qa_pairs_sharegpt.jsonl"]
    lines = archive.read("qa_pairs_sharegpt.jsonl").decode().splitlines()
    assert len(lines) == 3 and json.loads(lines[0])["conversations"][0]["from"] == "human"
    assert client.get("/api/export?format=questions&duplicate=false").data.decode().count("\n") == 3
    assert client.get("/api/export?format=pdf").status_code == 400


def test_judge_job_through_the_api(client, data, openai_stub):
    from tests.helpers import wait_until

    assert client.post("/api/judge", json={}).json["error"]["param"] == "model"  # off by default
    openai_stub.replies += ['{"score": 4, "reason": "fine"}', "no rating here"]
    r = client.post("/api/judge", json={"model": "chatgpt", "filter": {"rated": "unjudged"}})
    assert r.status_code == 202 and r.json["kind"] == "judge"
    job = r.json["id"]
    wait_until(lambda: client.get(f"/api/judge/{job}").json["status"] == "done")
    assert {k: client.get(f"/api/judge/{job}").json[k] for k in ("rated", "unrated", "total")} == {
        "rated": 1, "unrated": 1, "total": 2}
    assert client.get("/api/pairs?rated=unrated").json["total"] == 2
    assert client.get("/api/judge/99999").status_code == 404


@pytest.mark.parametrize("method, url, body", [
    ("patch", "/api/pairs/1", {"answer": "nul\x00inside"}),
    ("post", "/api/pairs/bulk", {"ids": [2**63], "set": {"status": "accepted"}}),
    ("post", "/api/pairs/bulk", {"ids": [-1], "set": {"status": "accepted"}}),
    ("post", "/api/pairs/bulk", {"filter": {"q": "a\x00"}, "set": {"status": "accepted"}}),
    ("post", "/api/pairs", {"passage": "p\x00", "model": "chatgpt", "pairs": [{"question": "q", "answer": "a"}]}),
])
def test_inputs_a_database_cannot_hold_are_400s(client, data, method, url, body):
    r = getattr(client, method)(url, json=body)
    assert r.status_code == 400 and r.json["error"]["type"] == "invalid_request_error"
    assert client.get("/api/pairs?q=a%00").status_code == 400
