"""POST /api/export: the chat page's pairs written by the same streamed writers as every other export; bounded input."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest

PAIRS = [{"question": "Where does the Amazon flow?", "answer": "Through Peru and Brazil.", "grounded": True,
          "support": 0.9, "evidence": "flows through Peru and Brazil"},
         {"question": "=1+1", "answer": "亚马逊河", "grounded": False, "support": 0.1}]
PASSAGE = "The Amazon flows through Peru and Brazil."


def post(client, **body):
    return client.post("/api/export", json={"pairs": PAIRS, "chunk": PASSAGE, "model": "chatgpt", **body})


def test_jsonl_with_provenance(client):
    r = post(client, format="jsonl")
    assert r.status_code == 200 and r.mimetype == "application/x-ndjson"
    assert r.headers["Content-Disposition"] == 'attachment; filename="qa_pairs.jsonl"'
    records = [json.loads(line) for line in r.data.decode().splitlines()]
    assert [rec["question"] for rec in records] == [p["question"] for p in PAIRS]
    assert records[0]["source"] == {"document": "", "chunk_start": 0, "chunk_end": len(PASSAGE), "model": "chatgpt",
                                    "prompt": "", "grounded": True, "support": 0.9, "score": -1.0}


def test_csv_is_spreadsheet_safe_and_bare_json_has_two_fields(client):
    r = post(client, format="csv", provenance=False)
    assert r.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert rows == [["question", "answer"], [PAIRS[0]["question"], PAIRS[0]["answer"]], ["'=1+1", "亚马逊河"]]
    assert json.loads(post(client, format="json", provenance=False).data) == [
        {"question": p["question"], "answer": p["answer"]} for p in PAIRS]


def test_alpaca_zip_carries_dataset_info(client):
    r = post(client, format="alpaca", zip=True, with_input=True)
    assert r.mimetype == "application/zip" and 'filename="qa_pairs_alpaca.zip"' in r.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(r.data))
    assert sorted(archive.namelist()) == ["dataset_info.json", "qa_pairs_alpaca.jsonl"]
    first = json.loads(archive.read("qa_pairs_alpaca.jsonl").decode().splitlines()[0])
    assert first["input"] == PASSAGE and first["instruction"] == PAIRS[0]["question"]
    assert json.loads(archive.read("dataset_info.json"))["qa_pairs_alpaca"]["formatting"] == "alpaca"


@pytest.mark.parametrize("body, param", [
    ({"format": "xml"}, "format"),
    ({"format": "jsonl", "pairs": []}, "pairs"),
    ({"format": "jsonl", "pairs": [{"question": "q", "answer": "a"}] * 501}, "pairs"),
    ({"format": "jsonl", "pairs": [{"question": "q" * 20001, "answer": "a"}]}, "pairs"),
    ({"format": "jsonl", "pairs": [{"question": 3, "answer": "a"}]}, "pairs"),
    ({"format": "jsonl", "extra": 1}, "extra"),
])
def test_bad_bodies_are_400s(client, body, param):
    r = client.post("/api/export", json={"pairs": PAIRS, **body})
    assert r.status_code == 400, r.data
    assert r.json["error"]["type"] == "invalid_request_error" and param in (r.json["error"]["param"] or "")


def test_other_origins_are_refused(client):
    r = client.post("/api/export", json={"format": "jsonl", "pairs": PAIRS}, headers={"Origin": "https://evil.test"})
    assert r.status_code == 403
