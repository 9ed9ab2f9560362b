"""`/api/judge`: start a judge job (a model rates the pairs matching a filter, 1-5) and read its counts; off unless asked."""

from __future__ import annotations

import logging
import threading

from flask import Blueprint, jsonify
from pydantic import BaseModel, ConfigDict, Field

from llms.errors import InvalidRequestError, NotFoundError
from qa.review import PairFilter
from qa.review.judging import run_judge_job, start_judge_job, stopped_elsewhere, unfinished_judge_jobs
from qa.store.models import Job
from webapp.openapi import endpoint
from webapp.state import state

bp = Blueprint("judge_api", __name__)
log = logging.getLogger(__name__)


class JudgeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())
    model: str | None = Field(None, max_length=100, description="The judge; default: the config's judge_model")
    filter: PairFilter = Field(default_factory=PairFilter, description="Which pairs to rate")
    rejudge: bool = Field(False, description="Also rate pairs judged before")


def run_in_background(db, job_id: int, model) -> None:
    def work():
        try:
            run_judge_job(db, job_id, model, should_stop=lambda: stopped_elsewhere(db, job_id))
        except Exception:
            log.exception("judge job %s failed", job_id)

    threading.Thread(target=work, name=f"judge-{job_id}", daemon=True).start()


@bp.record_once
def _resume(setup) -> None:
    """Judge jobs a stopped process left queued or running go on when the app starts (not under tests)."""
    app = setup.app
    if app.testing:
        return
    app_state = app.extensions["qapair"]
    for job_id, name in unfinished_judge_jobs(app_state.db):
        try:
            run_in_background(app_state.db, job_id, app_state.registry.get(name))
        except Exception:
            log.exception("judge job %s cannot resume", job_id)


def job_view(job: Job) -> dict:
    options = job.options or {}
    return {"id": job.id, "kind": job.kind, "model": job.model, "status": job.status, "error": job.error,
            "rated": options.get("rated", 0), "unrated": options.get("unrated", 0), "total": options.get("total", 0)}


@bp.post("/api/judge")
@endpoint("Start a judge job over the pairs matching a filter; counts rated and unrated pairs", body=JudgeRequest,
          responses={202: {"type": "object"}}, tags=("judge",))
def start(body: JudgeRequest):
    app_state = state()
    name = body.model or app_state.config.judge_model
    if not name:
        raise InvalidRequestError("Quality scores are off: name a model, or set judge_model in the config.",
                                  param="model")
    model = app_state.registry.get(name)
    job_id = start_judge_job(app_state.db, name, body.filter, rejudge=body.rejudge)
    db = app_state.db
    run_in_background(db, job_id, model)
    with db.session() as session:
        return jsonify(job_view(session.get(Job, job_id))), 202


@bp.get("/api/judge/<int:job_id>")
@endpoint("A judge job's status and counts", responses={200: {"type": "object"}}, tags=("judge",))
def status(job_id: int):
    with state().db.session() as session:
        job = session.get(Job, job_id)
        if job is None or job.kind != "judge":
            raise NotFoundError(f"No judge job {job_id}.", param="id")
        return jsonify(job_view(job))
