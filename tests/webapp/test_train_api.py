"""/api/train on the tiny model: start from an injected pair source, follow, serve the adapter, evaluate, pause, restart, resume."""

from __future__ import annotations

import json

import pytest

from qa.settings import Settings
from qa.store import Chunk, Document, Pair, open_database
from qa.training import PairFilters, store_pairs
from tests.helpers import wait_until
from tests.llms.finetune_data import MEMORISE, cmrc_pairs, local
from webapp import create_app

FAST = {k: v for k, v in MEMORISE.items() if k not in ("eval_share", "eval_every")} | {"max_steps": 120}


def make_app(tmp_path, tiny_model_path, source):
    config = Settings.model_validate({"models": {"chatglm": local(tiny_model_path).model_dump()},
                                      "prompts_db": str(tmp_path / "p.sqlite")})
    return create_app({"TESTING": True, "QAPAIR_CONFIG": config, "QAPAIR_TRAIN_DIR": str(tmp_path / "runs"),
                       "QAPAIR_PAIR_SOURCE": source})


@pytest.fixture()
def asked():
    return []


@pytest.fixture()
def client(tmp_path, tiny_model_path, asked):
    def source(filters: PairFilters):
        asked.append(filters)
        return cmrc_pairs()[:filters.limit]

    return make_app(tmp_path, tiny_model_path, source).test_client()


def wait_for(client, run_id, *statuses, timeout=240):
    got = {}

    def check():
        got.update(client.get(f"/api/train/runs/{run_id}").get_json())
        return got["status"] in statuses and not got["evaluating"]
    wait_until(check, timeout)
    return got


def test_train_serve_and_evaluate(client, asked):
    started = client.post("/api/train/runs", json={"model": "chatglm", "name": "CMRC 30", "settings": FAST,
                                                   "filters": {"status": "accepted", "limit": 30}})
    assert started.status_code == 202, started.get_json()
    run = started.get_json()
    assert run["id"].startswith("cmrc-30-") and run["train_examples"] == 27 and run["eval_examples"] == 3
    assert asked[0].status == "accepted" and asked[0].limit == 30
    done = wait_for(client, run["id"], "done", "failed")
    assert done["status"] == "done" and done["step"] == 120 and len(done["history"]) == 120
    assert [e["step"] for e in done["evals"]] == [50, 100, 120]
    model_id = f"chatglm+{run['id']}"
    assert model_id in [m["id"] for m in client.get("/v1/models").get_json()["data"]]
    assert model_id in [m["id"] for m in client.get("/api/models").get_json()["data"]]
    listed = client.get("/api/train/runs").get_json()
    assert listed["models"] == ["chatglm"] and listed["data"][0]["id"] == run["id"]
    assert client.post(f"/api/train/runs/{run['id']}/eval", json={"limit": 3, "max_tokens": 16}).status_code == 202
    evaluated = wait_for(client, run["id"], "done")
    results = evaluated["results"]
    assert results["examples"] == 3 and set(results["models"]) == {"base", "adapter"}
    assert set(results["models"]["adapter"]) == {"exact_match", "token_f1", "rouge_l", "bleu_4", "grounded"}
    assert client.delete(f"/api/train/runs/{run['id']}").status_code == 204
    assert model_id not in [m["id"] for m in client.get("/v1/models").get_json()["data"]]
    assert client.get(f"/api/train/runs/{run['id']}").status_code == 404


def test_pause_restart_resume_and_cancel(client, tmp_path, tiny_model_path):
    run = client.post("/api/train/runs", json={"model": "chatglm", "settings": FAST | {"max_steps": 400,
                                                                                       "save_every": 5}}).get_json()
    wait_until(lambda: client.get(f"/api/train/runs/{run['id']}").get_json()["step"] >= 3, 120)
    assert client.post("/api/train/runs", json={"model": "chatglm"}).status_code == 409  # one at a time
    assert client.delete(f"/api/train/runs/{run['id']}").status_code == 409
    paused = client.post(f"/api/train/runs/{run['id']}/pause", json={}).get_json()
    assert paused["status"] == "paused" and 3 <= paused["step"] < 400
    assert (tmp_path / "runs" / run["id"] / "checkpoints" / f"step-{paused['step']:07d}").is_dir()

    restarted = make_app(tmp_path, tiny_model_path, lambda f: []).test_client()  # a new server process
    assert restarted.get("/api/train/runs").get_json()["data"][0]["status"] == "paused"
    assert restarted.post(f"/api/train/runs/{run['id']}/resume", json={}).status_code == 202
    wait_until(lambda: restarted.get(f"/api/train/runs/{run['id']}").get_json()["step"] > paused["step"], 120)
    cancelled = restarted.post(f"/api/train/runs/{run['id']}/cancel", json={}).get_json()
    assert cancelled["status"] == "cancelled" and cancelled["resumed_from"] == paused["step"]
    assert restarted.post(f"/api/train/runs/{run['id']}/resume", json={}).status_code == 409


def test_a_run_left_running_by_a_crash_is_interrupted_and_resumes(client, tmp_path, tiny_model_path):
    run = client.post("/api/train/runs", json={"model": "chatglm", "settings": FAST | {"max_steps": 20}}).get_json()
    wait_for(client, run["id"], "done")
    state_file = tmp_path / "runs" / run["id"] / "state.json"
    state = json.loads(state_file.read_text())
    state.update(status="running", step=10)  # as a kill -9 at step 10 would leave it
    state_file.write_text(json.dumps(state))
    restarted = make_app(tmp_path, tiny_model_path, lambda f: []).test_client()
    assert restarted.get(f"/api/train/runs/{run['id']}").get_json()["status"] == "interrupted"
    assert restarted.post(f"/api/train/runs/{run['id']}/resume", json={}).status_code == 202
    assert wait_for(restarted, run["id"], "done", "failed")["status"] == "done"


@pytest.mark.parametrize("body,status,param", [
    ({"model": "nope"}, 404, None),
    ({"model": "chatglm", "filters": {"status": "maybe"}}, 400, None),
    ({"model": "chatglm", "settings": {"rank": 0}}, 400, None),
    ({"model": "chatglm", "settings": {"unknown": 1}}, 400, None),
    ({"model": "chatglm", "filters": {"limit": 1}}, 400, None),
])
def test_bad_requests_are_4xx(client, body, status, param):
    response = client.post("/api/train/runs", json=body)
    assert response.status_code == status and set(response.get_json()["error"]) == {"message", "type", "param"}


def test_unknown_runs_are_404(client):
    assert client.get("/api/train/runs/nope").status_code == 404
    assert client.get("/api/train/runs/..%2F..%2Fetc").status_code == 404
    assert client.post("/api/train/runs/nope/pause", json={}).status_code == 404


def test_store_pair_source_filters(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'store.sqlite'}")
    with db.write() as session:
        document = Document(name="d", kind="txt", chars=12, text="长江全长约6300公里。", chunk_size=500, chunk_overlap=0)
        session.add(document)
        session.flush()
        chunk = Chunk(document_id=document.id, index=0, start=0, end=12, text="长江全长约6300公里。")
        session.add(chunk)
        session.flush()
        for n, (status, verdict, score) in enumerate([("accepted", "grounded", 5.0), ("accepted", "unsupported", 2.0),
                                                      ("new", "grounded", 5.0)]):
            session.add(Pair(document_id=document.id, chunk_id=chunk.id, question=f"q{n}", answer="约6300公里",
                             model="chatgpt" if n < 2 else "glm", status=status, verdict=verdict,
                             grounded=verdict == "grounded", score=score))
    source = store_pairs(db)
    assert [p["question"] for p in source(PairFilters())] == ["q0", "q1"]
    assert [p["question"] for p in source(PairFilters(grounded="true", status=None))] == ["q0", "q2"]
    assert [p["question"] for p in source(PairFilters(score_min=3))] == ["q0"]
    assert [p["question"] for p in source(PairFilters(status=None, model="glm"))] == ["q2"]
    assert [p["question"] for p in source(PairFilters(status=None, limit=2))] == ["q0", "q1"]
    assert next(iter(source(PairFilters())))["chunk"] == "长江全长约6300公里。"


def test_count_pairs_reads_the_run_pair_source_with_the_form_filters(client, asked):
    got = client.get("/api/train/pairs?status=&document=3&grounded=true&score_min=2.5&limit=20")
    assert got.status_code == 200 and got.get_json() == {"total": 20, "limit": 20, "needed": 2}
    assert asked[-1].status is None and asked[-1].document == 3 and asked[-1].grounded == "true"
    assert asked[-1].score_min == 2.5
    assert client.get("/api/train/pairs").get_json()["total"] == len(cmrc_pairs()[:10_000])
    assert asked[-1].status == "accepted"  # the run's default
    bad = client.get("/api/train/pairs?status=maybe")
    assert bad.status_code == 400 and set(bad.get_json()["error"]) == {"message", "type", "param"}
    assert client.get("/api/train/pairs?limit=100001").status_code == 400
