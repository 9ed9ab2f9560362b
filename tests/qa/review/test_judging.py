"""The judge job over the dataset against a real OpenAI-protocol server: good, malformed and missing ratings all kept."""

from __future__ import annotations

from llms.registry import Registry
from qa.review import PairFilter, get_pair, list_pairs
from qa.review.judging import run_judge_job, start_judge_job
from qa.settings import Settings
from qa.store import Job


def judge_model(openai_stub):
    config = Settings.model_validate({"models": {"judge": {
        "backend": "openai", "name": "Judge", "base_url": openai_stub.base_url, "api_key": "k", "model": "gpt-judge",
        "max_retries": 0, "timeout": 10}}})
    return Registry(config).get("judge")


def test_judge_job_rates_what_it_can_and_counts_the_rest(dataset, openai_stub):
    db, ids = dataset["db"], dataset["ids"]
    openai_stub.replies += ['{"relevance": 5, "accuracy": 5, "clarity": 5, "score": 5, "reason": "Correct."}',
                            "Score: 2/5. The answer is partly wrong.",
                            "Sorry, I can't rate this."]
    job_id = start_judge_job(db, "judge", PairFilter(rated="unjudged"))  # pairs 3 and 4; 0..2 were judged before
    counts = run_judge_job(db, job_id, judge_model(openai_stub))
    assert counts == {"rated": 2, "unrated": 0, "total": 2}
    with db.session() as s:
        assert get_pair(s, ids[3])["score"] == 5.0 and get_pair(s, ids[3])["score_reason"] == "Correct."
        assert get_pair(s, ids[4])["score"] == 2.0
    job_id = start_judge_job(db, "judge", PairFilter(), rejudge=True)
    openai_stub.replies[:] = ['{"score": 4, "reason": "fine"}', "", '{"score": "n/a"}', "Rating: 3", "no idea"]
    counts = run_judge_job(db, job_id, judge_model(openai_stub))
    assert counts == {"rated": 2, "unrated": 3, "total": 5}
    with db.session() as s:
        job = s.get(Job, job_id)
        assert job.kind == "judge" and job.status == "done" and job.options["unrated"] == 3
        unrated, total = list_pairs(s, PairFilter(rated="unrated"))
    assert total == 3 and all(p["score"] is None and p["score_reason"].startswith("unrated") for p in unrated)
    assert len(openai_stub.requests) == 7 and "文字：" in openai_stub.requests[0]["messages"][1]["content"]
    assert "Passage:" in openai_stub.requests[-1]["messages"][1]["content"]


def test_a_stopped_judge_job_keeps_its_ratings(dataset, openai_stub):
    db = dataset["db"]
    job_id = start_judge_job(db, "judge", PairFilter(), rejudge=True)
    openai_stub.default_reply = '{"score": 4, "reason": "fine"}'
    seen = []
    counts = run_judge_job(db, job_id, judge_model(openai_stub), should_stop=lambda: len(seen.append(1) or seen) > 2)
    assert counts["rated"] == 2
    with db.session() as s:
        assert s.get(Job, job_id).status == "cancelled"


def test_an_interrupted_judge_job_resumes_after_the_last_pair(dataset, openai_stub):
    db = dataset["db"]
    job_id = start_judge_job(db, "judge", PairFilter(), rejudge=True)
    openai_stub.default_reply = '{"score": 4, "reason": "fine"}'
    seen = []
    run_judge_job(db, job_id, judge_model(openai_stub), should_stop=lambda: len(seen.append(1) or seen) > 3)
    openai_stub.requests.clear()
    counts = run_judge_job(db, job_id, judge_model(openai_stub))  # as the app does at start
    assert counts == {"rated": 5, "unrated": 0, "total": 5} and len(openai_stub.requests) == 2
    with db.session() as s:
        assert s.get(Job, job_id).status == "done"


def test_the_extraction_runner_leaves_judge_jobs_alone(dataset):
    from qa.jobs import queue

    job_id = start_judge_job(dataset["db"], "judge", PairFilter())
    assert job_id not in [job.id for job in queue.active_jobs(dataset["db"])]


def test_a_judge_job_paused_elsewhere_stops_and_stays_paused(dataset, openai_stub):
    from qa.review.judging import stopped_elsewhere

    db = dataset["db"]
    job_id = start_judge_job(db, "judge", PairFilter(), rejudge=True)
    openai_stub.default_reply = '{"score": 4, "reason": "fine"}'

    def pause_after_two():
        if len(openai_stub.requests) == 2:
            with db.write() as s:
                s.get(Job, job_id).status = "paused"
        return stopped_elsewhere(db, job_id)

    counts = run_judge_job(db, job_id, judge_model(openai_stub), should_stop=pause_after_two)
    assert counts["rated"] == 2
    with db.session() as s:
        assert s.get(Job, job_id).status == "paused"
