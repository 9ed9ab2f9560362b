"""Training runs over the dataset's pairs: the pair source, the background runner, grounding for evaluation.

The runner trains one adapter at a time in a background thread with llms.finetune and
keeps nothing that matters in memory: every run is a folder under `runs_dir` whose
state.json is its progress. After a restart `list()` shows each run as it was left (a
run that was "running" with no thread is "interrupted") and `resume()` continues it
from its newest checkpoint. Pairs reach llms.finetune as qa/export's `openai` records
(the shape GLM-4 fine-tunes on), through whatever `pair_source(filters)` the app gives.
"""

from __future__ import annotations

import logging
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path

from pydantic import Field

from llms.config import LocalModelConfig
from llms.errors import ConflictError, InvalidRequestError, NotFoundError, UnknownModelError
from llms.finetune import Control, Example, TrainSettings, train
from llms.finetune.data import DataError, load_saved, to_example
from llms.finetune.runs import FINAL, is_locked, read_state, write_json
from qa.export import ExportOptions, ExportPair
from qa.export import shapes
from qa.review.filters import PairFilter, Status

log = logging.getLogger(__name__)
RUN_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_PAIRS = 100_000


class PairFilters(PairFilter):
    """Which pairs of the dataset to train on: the review view's filter (accepted pairs by default), by the
    model that wrote them, at most `limit`."""
    status: Status | None = Field("accepted", description="Review status (null: any)")
    model: str | None = Field(None, min_length=1, max_length=100, description="Pairs written by this model")
    limit: int = Field(10_000, ge=2, le=MAX_PAIRS, description="Most pairs read")

    def conditions(self) -> list:
        from qa.store.models import Pair

        return super().conditions() + ([Pair.model == self.model] if self.model else [])


PairSource = Callable[[PairFilters], Iterable[ExportPair]]


def store_pairs(db) -> PairSource:
    """The pair source of the database: the review export's query (chunk text and provenance), oldest first."""
    def source(filters: PairFilters) -> Iterator[ExportPair]:
        from qa.review.queries import export_pairs

        with db.session() as session:
            yield from islice(export_pairs(session, filters), filters.limit)
    return source


def to_examples(pairs: Iterable[ExportPair], with_input: bool, system: str | None) -> list[Example]:
    """Pairs as training examples, shaped by the `openai` export (GLM-4's fine-tuning format)."""
    options = ExportOptions(with_input=with_input, system=system)
    examples = []
    for pair in pairs:
        example = to_example(shapes.openai(pair, options), "openai")
        example.source = pair.get("chunk") or ""
        examples.append(example)
    return examples


def grounded(example: Example, answer: str) -> bool | None:
    """Whether a generated answer is found in the pair's source chunk (None when the pair has none)."""
    from qa.grounding import ground

    if not example.source or not answer.strip():
        return None if not example.source else False
    return bool(ground([{"question": example.prompt, "answer": answer}], example.source)[0]["grounded"])


class TrainRunner:
    """Starts, pauses, cancels, resumes and evaluates training runs, one training at a time."""

    def __init__(self, runs_dir: str | Path, registry, pair_source: PairSource):
        self.runs_dir = Path(runs_dir)
        self.registry = registry
        self.pair_source = pair_source
        self._lock = threading.Lock()
        self._controls: dict[str, Control] = {}
        self._threads: dict[str, threading.Thread] = {}
        for state in self.list():  # adapters trained before this start are served again
            if state["status"] == "done" and state.get("adapter"):
                self._serve(state)

    # -- reading --------------------------------------------------------------------
    def folder(self, run_id: str) -> Path:
        if not RUN_ID.match(run_id) or not (self.runs_dir / run_id / "state.json").is_file():
            raise NotFoundError(f"no training run {run_id!r}", param="run_id")
        return self.runs_dir / run_id

    def get(self, run_id: str) -> dict:
        state = read_state(self.folder(run_id))
        if state is None:
            raise NotFoundError(f"no training run {run_id!r}", param="run_id")
        if self._alive(run_id):  # "done" is final once its thread has also served the adapter
            state["status"] = "running"
        elif state["status"] == "running" and not is_locked(self.runs_dir / run_id):
            state["status"] = "interrupted"  # no thread here, no other process holds its lock: it died
        state["evaluating"] = self._alive(f"eval:{run_id}")
        return state

    def list(self) -> list[dict]:
        if not self.runs_dir.is_dir():
            return []
        folders = sorted((p for p in self.runs_dir.iterdir() if (p / "state.json").is_file()),
                         key=lambda p: p.stat().st_mtime, reverse=True)
        return [self.get(p.name) for p in folders if RUN_ID.match(p.name)]

    def _alive(self, key: str) -> bool:
        thread = self._threads.get(key)
        return thread is not None and thread.is_alive()

    # -- starting and stopping ------------------------------------------------------
    def start(self, model_id: str, settings: TrainSettings, filters: PairFilters, *, with_input: bool = False,
              system: str | None = None, name: str | None = None) -> dict:
        local = self._local(model_id)
        examples = to_examples(self.pair_source(filters), with_input, system)
        if len(examples) < 2:
            raise InvalidRequestError(f"{len(examples)} pairs match the filters; training needs at least 2: "
                                      "accept more pairs (Review view) or loosen the filters",
                                      param="filters")
        run_id = self._new_id(name or model_id)
        with self._lock:
            self._check_idle()
            out = self.runs_dir / run_id
            try:
                from llms.finetune.trainer import prepare

                prepare(out, model_id, settings, examples, f"dataset: {filters.model_dump_json(exclude_none=True)}")
            except DataError as exc:
                shutil.rmtree(out, ignore_errors=True)
                raise InvalidRequestError(str(exc), param="filters") from None
            self._launch(run_id, model_id, local, settings)
        return self.get(run_id)

    def resume(self, run_id: str) -> dict:
        state = self.get(run_id)
        if state["status"] not in ("paused", "interrupted", "failed"):
            raise ConflictError(f"run {run_id} is {state['status']}; only a paused, interrupted or failed run "
                                "resumes", param="run_id")
        with self._lock:
            self._check_idle()
            self._launch(run_id, state["model"], self._local(state["model"]),
                         TrainSettings.model_validate(state["settings"]))
        return self.get(run_id)

    def stop(self, run_id: str, reason: str) -> dict:
        """Pause (checkpoint, resumable) or cancel a running run; cancelling a paused one ends it."""
        state = self.get(run_id)
        control = self._controls.get(run_id)
        if control is not None and self._alive(run_id):
            control.request(reason)
            self._threads[run_id].join(timeout=30)  # a long step: the page polls on
        elif reason == "cancel" and state["status"] in ("paused", "interrupted", "failed"):
            folder = self.folder(run_id)
            raw = read_state(folder)
            raw.update(status="cancelled", eta_s=None, updated=time.time())
            write_json(folder / "state.json", raw)
        else:
            raise ConflictError(f"run {run_id} is {state['status']}, not running", param="run_id")
        return self.get(run_id)

    def delete(self, run_id: str) -> None:
        """Remove a run that is not training or being evaluated: its folder, and its adapter from the models."""
        folder = self.folder(run_id)
        with self._lock:
            if self._alive(run_id) or self._alive(f"eval:{run_id}") or is_locked(folder):
                raise ConflictError(f"run {run_id} is busy; pause or cancel it first", param="run_id")
            state = read_state(folder) or {}
            if state.get("model"):
                from llms.adapters import adapter_model_id

                self.registry.remove_adapter(adapter_model_id(state["model"], run_id))
            shutil.rmtree(folder)

    def evaluate(self, run_id: str, limit: int, max_tokens: int) -> dict:
        state = self.get(run_id)
        if state["status"] != "done":
            raise ConflictError(f"run {run_id} is {state['status']}; evaluate a finished run", param="run_id")
        folder = self.folder(run_id)
        examples = load_saved(folder / "data" / "eval.jsonl")[:limit] or load_saved(folder / "data" / "train.jsonl")[:limit]
        local = self._local(state["model"])
        with self._lock:
            self._check_idle()

            def work():
                from llms.finetune.evaluate import evaluate

                try:
                    evaluate(state["model"], local, folder / "adapter", examples, max_tokens=max_tokens,
                             grounded=grounded)
                except Exception as exc:  # kept for the page beside the adapter
                    log.exception("evaluating %s failed", run_id)
                    write_json(folder / "adapter" / "eval_error.json", {"error": str(exc)})

            (folder / "adapter" / "eval_error.json").unlink(missing_ok=True)
            self._spawn(f"eval:{run_id}", work)
        return self.get(run_id)

    def results(self, run_id: str) -> dict | None:
        from llms.finetune.evaluate import EVAL_FILE

        folder = self.folder(run_id) / "adapter"
        return _read_json(folder / EVAL_FILE) or _read_json(folder / "eval_error.json")

    # -- inside ---------------------------------------------------------------------
    def _local(self, model_id: str) -> LocalModelConfig:
        settings = self.registry.config.models.get(model_id)
        if not isinstance(settings, LocalModelConfig):
            local = [k for k, v in self.registry.config.models.items() if isinstance(v, LocalModelConfig)]
            raise UnknownModelError(model_id, local)
        return settings

    def _new_id(self, name: str) -> str:
        stem = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "run"
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        run_id, n = f"{stem}-{stamp}", 1
        while (self.runs_dir / run_id).exists():
            n += 1
            run_id = f"{stem}-{stamp}-{n}"
        return run_id

    def _check_idle(self) -> None:
        busy = [key for key in self._threads if self._alive(key)]
        if busy:
            raise ConflictError(f"{busy[0]} is using the model; one training or evaluation runs at a time. "
                                "Pause or cancel it first.", param="run_id")

    def _launch(self, run_id: str, model_id: str, local: LocalModelConfig, settings: TrainSettings) -> None:
        control = self._controls[run_id] = Control()

        def work():
            try:
                state = train(model_id, local, settings, self.runs_dir / run_id, control=control)
            except Exception:
                log.exception("training run %s failed", run_id)
                return
            if state["status"] == "done":
                self._serve(state)

        self._spawn(run_id, work)

    def _spawn(self, key: str, work: Callable[[], None]) -> None:
        thread = threading.Thread(target=work, name=f"train-{key}", daemon=True)
        self._threads[key] = thread
        thread.start()

    def _serve(self, state: dict) -> None:
        """Register base + adapter as a model id ("chatglm+RUN") for the picker, /api/models and /v1."""
        try:
            self.registry.add_adapter(state["model"], state["id"], state["adapter"])
        except UnknownModelError:  # its base left the config
            log.warning("adapter %s not served: model %s is not configured", state["id"], state["model"])


def _read_json(path: Path) -> dict | None:
    import json

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


__all__ = ["FINAL", "PairFilters", "TrainRunner", "grounded", "store_pairs", "to_examples"]
