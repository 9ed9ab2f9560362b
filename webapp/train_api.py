"""`/api/train`: start LoRA training on the dataset's pairs, follow its progress, pause, cancel, resume, evaluate.

The pairs come from the function the app provides (`QAPAIR_PAIR_SOURCE`, default: the
database's pairs filtered by review status, document, model, grounding and score), so no
file travels. Runs live in the instance folder (`train_runs/`), one folder each, and a
restarted server lists and resumes them.
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path

from flask import Blueprint, Flask, current_app, jsonify
from pydantic import BaseModel, ConfigDict, Field, field_validator

from llms.finetune import TrainSettings
from qa.training import PairFilters, TrainRunner, store_pairs
from webapp.openapi import endpoint
from webapp.state import state

bp = Blueprint("train_api", __name__)
RUN_PATH = "/api/train/runs/<string(maxlength=64):run_id>"
CURVE_POINTS = 1000  # most loss points a state answer carries (evenly thinned, the last kept)


class StartRun(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())
    model: str = Field(min_length=1, max_length=100, description="A local model id of the config (the base).")
    name: str | None = Field(None, min_length=1, max_length=40, description="Start of the run's id.")
    filters: PairFilters = Field(default_factory=PairFilters)
    settings: TrainSettings = Field(default_factory=TrainSettings)
    with_input: bool = Field(False, description="Put each pair's source chunk into the prompt.")
    system: str | None = Field(None, max_length=4000, description="A system prompt for every example.")


class EvalRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(50, ge=1, le=500, description="Most held-out pairs answered by each model.")
    max_tokens: int = Field(128, ge=1, le=2048)


class PairCount(PairFilters):
    """The start form's pair filters as a query string; `status=` (empty) means any status."""

    @field_validator("status", mode="before")
    @classmethod
    def _any(cls, value):
        return None if value == "" else value


class NoBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


RUN_SCHEMA = {"type": "object", "description": "A run's state.json: status, step, total_steps, epoch, loss, "
              "eval_loss, eta_s, tokens_per_s, settings, history [{step, loss, lr}], evals [{step, eval_loss}], "
              "and `results` once evaluated."}


def init_app(app: Flask) -> None:
    """Create the runner: runs under the instance folder (or QAPAIR_TRAIN_DIR), pairs from QAPAIR_PAIR_SOURCE."""
    runs_dir = app.config.get("QAPAIR_TRAIN_DIR") or Path(app.instance_path) / "train_runs"
    source = app.config.get("QAPAIR_PAIR_SOURCE") or store_pairs(app.extensions["qapair"].db)
    app.extensions["qapair_train"] = TrainRunner(runs_dir, app.extensions["qapair"].registry, source)
    app.register_blueprint(bp)


def runner() -> TrainRunner:
    return current_app.extensions["qapair_train"]


def shaped(run: dict, results: bool = False) -> dict:
    history = run.get("history") or []
    if len(history) > CURVE_POINTS:
        every = len(history) / CURVE_POINTS
        run["history"] = [history[int(i * every)] for i in range(CURVE_POINTS - 1)] + [history[-1]]
    if results:
        run["results"] = runner().results(run["id"])
    return run


@bp.get("/api/train/runs")
@endpoint("Training runs, newest first (without their loss history)", responses={200: {"type": "object"}},
          tags=("train",))
def list_runs():
    runs = [{k: v for k, v in run.items() if k not in ("history", "evals")} for run in runner().list()]
    return jsonify({"data": runs, "models": [m.model_id for m in state().registry
                                              if m.settings.backend == "local" and not m.settings.adapter_path]})


@bp.get("/api/train/pairs")
@endpoint("How many pairs the filters select for training (counted up to `limit`), from the pair source a run reads",
          query=PairCount, responses={200: {"type": "object"}}, tags=("train",))
def count_pairs(query: PairCount):
    total = sum(1 for _ in islice(runner().pair_source(query), query.limit))
    return jsonify({"total": total, "limit": query.limit, "needed": 2})


@bp.post("/api/train/runs")
@endpoint("Start training an adapter on the pairs the filters select, in the background", body=StartRun,
          responses={202: RUN_SCHEMA}, tags=("train",))
def start_run(body: StartRun):
    run = runner().start(body.model, body.settings, body.filters, with_input=body.with_input, system=body.system,
                         name=body.name)
    return jsonify(shaped(run)), 202


@bp.get(RUN_PATH)
@endpoint("One run's progress, loss history and evaluation results", responses={200: RUN_SCHEMA}, tags=("train",))
def get_run(run_id: str):
    return jsonify(shaped(runner().get(run_id), results=True))


@bp.delete(RUN_PATH)
@endpoint("Delete a run that is not training: its folder and its served adapter", responses={204: None},
          tags=("train",))
def delete_run(run_id: str):
    runner().delete(run_id)
    return "", 204


@bp.post(RUN_PATH + "/pause")
@endpoint("Pause a running run at a checkpoint (resume continues it)", body=NoBody, responses={200: RUN_SCHEMA},
          tags=("train",))
def pause_run(run_id: str, body: NoBody):
    return jsonify(shaped(runner().stop(run_id, "pause")))


@bp.post(RUN_PATH + "/cancel")
@endpoint("Cancel a running or paused run", body=NoBody, responses={200: RUN_SCHEMA}, tags=("train",))
def cancel_run(run_id: str, body: NoBody):
    return jsonify(shaped(runner().stop(run_id, "cancel")))


@bp.post(RUN_PATH + "/resume")
@endpoint("Resume a paused, interrupted or failed run from its newest checkpoint", body=NoBody,
          responses={202: RUN_SCHEMA}, tags=("train",))
def resume_run(run_id: str, body: NoBody):
    return jsonify(shaped(runner().resume(run_id))), 202


@bp.post(RUN_PATH + "/eval")
@endpoint("Evaluate base vs adapter on the run's held-out pairs, in the background", body=EvalRequest,
          responses={202: RUN_SCHEMA}, tags=("train",))
def evaluate_run(run_id: str, body: EvalRequest):
    return jsonify(shaped(runner().evaluate(run_id, body.limit, body.max_tokens))), 202
