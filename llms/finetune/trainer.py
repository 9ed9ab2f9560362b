"""The LoRA training loop: progress callback, pause/cancel between steps, checkpoints, resume after a crash.

    run = train("chatglm", local_settings, TrainSettings(epochs=5), "runs/cmrc", examples, progress=print)

`examples` (an iterable of Examples or records of any exported format) is split and
copied into the run's folder on the first start; a later call with the same folder
resumes from its newest checkpoint with the saved split and settings, whatever was
killed (kill -9 included). The batch order of every epoch is a seeded function of
the epoch, so a resumed run sees the batches the interrupted one had not reached.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from llms.config import LocalModelConfig
from llms.finetune import runs
from llms.finetune.data import DataError, examples_from, load_saved, split, write_examples
from llms.finetune.encode import batches, collate, encode, end_of_turn
from llms.finetune.model import answer_loss, load_for_training
from llms.finetune.settings import TrainSettings

log = logging.getLogger(__name__)
Progress = Callable[[dict], None]


class Control:
    """Asks a running training to stop after the current step: "pause" (resumable) or "cancel"."""

    def __init__(self):
        self.reason: str | None = None
        self._event = threading.Event()

    def request(self, reason: str) -> None:
        self.reason = reason
        self._event.set()

    @property
    def requested(self) -> bool:
        return self._event.is_set()


def prepare(out: Path, model_id: str, settings: TrainSettings, examples: Iterable | None, source: str) -> dict:
    """The run's state: read back when the folder holds a run, else created with its data split written."""
    state = runs.read_state(out)
    if state is not None and (out / "data" / "train.jsonl").is_file():
        return state
    if examples is None:
        raise DataError(f"{out} holds no run to resume; give training data")
    pairs = examples_from(examples)
    if len(pairs) < 2:
        raise DataError(f"training needs at least 2 examples, got {len(pairs)}")
    train_part, eval_part = split(pairs, settings.eval_share, settings.seed)
    write_examples(train_part, out / "data" / "train.jsonl")
    write_examples(eval_part, out / "data" / "eval.jsonl")
    state = runs.new_state(out.name, model_id, settings.model_dump(), source)
    state.update(train_examples=len(train_part), eval_examples=len(eval_part))
    runs.write_json(out / runs.STATE, state)
    return state


def train(model_id: str, model_settings: LocalModelConfig, settings: TrainSettings, out: str | Path,
          examples: Iterable | None = None, *, progress: Progress | None = None, control: Control | None = None,
          source: str = "") -> dict:
    """Train (or resume) the run in `out`; returns its final state (status done, paused, cancelled or failed)."""
    out = Path(out)
    with runs.hold_lock(out):
        state = prepare(out, model_id, settings, examples, source)
        if state["status"] == "done":  # finished: its adapter stands; train into a new folder to train again
            return state
        settings = TrainSettings.model_validate(state["settings"])  # a resumed run keeps the settings it began with
        state.update(status="running", error=None)
        runs.write_json(out / runs.STATE, state)
        try:
            return _train(model_id, model_settings, settings, out, state, progress, control or Control())
        except BaseException as exc:
            state.update(status="failed", error=str(exc) or type(exc).__name__, updated=time.time())
            runs.write_json(out / runs.STATE, state)
            raise


def _train(model_id, model_settings, settings, out, state, progress, control) -> dict:
    import torch
    from transformers import get_linear_schedule_with_warmup

    torch.manual_seed(settings.seed)
    loaded = load_for_training(model_id, model_settings, settings)
    model, tokenizer, device = loaded.model, loaded.tokenizer, loaded.device
    eos = end_of_turn(tokenizer, model.config)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos

    def encoded(name):
        return [encode(tokenizer, e, settings.max_source_length, settings.max_target_length, eos)
                for e in load_saved(out / "data" / name)]

    train_set, eval_set = encoded("train.jsonl"), encoded("eval.jsonl")
    lengths = [len(e) for e in train_set]
    per_epoch = math.ceil(math.ceil(len(train_set) / settings.batch_size) / settings.grad_accumulation)
    total = settings.max_steps or max(1, math.ceil(per_epoch * settings.epochs))
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=settings.learning_rate, weight_decay=settings.weight_decay)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(total * settings.warmup_ratio), total)
    step = 0
    state.update(history=[], evals=[], resumed_from=None)  # a start from nothing forgets what a crash left
    if found := runs.checkpoints(out):
        saved = runs.load_checkpoint(found[-1], model)
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        step = saved["step"]
        state.update(history=saved["history"], evals=saved["evals"], resumed_from=step)
        log.info("resuming %s from step %d", out, step)
    state.update(total_steps=total, step=step)

    def evaluate() -> float | None:
        if not eval_set:
            return None
        model.eval()
        total_loss, count = 0.0, 0
        with torch.no_grad():
            for start in range(0, len(eval_set), settings.batch_size):
                ids, mask, labels = collate(eval_set[start:start + settings.batch_size], pad)
                loss_sum, n = answer_loss(model, ids.to(device), mask.to(device), labels.to(device))
                total_loss, count = total_loss + float(loss_sum), count + n
        model.train()
        return total_loss / max(count, 1)

    def checkpoint() -> None:
        runs.save_checkpoint(out, step, model, {
            "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "step": step,
            "history": state["history"], "evals": state["evals"]}, settings.keep_checkpoints)

    def publish(force: bool = False) -> None:
        state["updated"] = time.time()
        if progress:
            progress({k: state[k] for k in ("step", "total_steps", "epoch", "loss", "eval_loss", "eta_s",
                                            "tokens_per_s", "status")})
        # state.json carries the whole history: long runs rewrite it less often (about 1 s per 10,000 steps more)
        if force or state["updated"] - publish.last >= 0.5 + len(state["history"]) / 10_000:
            runs.write_json(out / runs.STATE, state)
            publish.last = state["updated"]
    publish.last = 0.0

    model.train()
    began, tokens, start_step = time.perf_counter(), 0, step
    while step < total and not control.requested:
        epoch, position = divmod(step, per_epoch)
        order = batches(lengths, settings.batch_size, settings.seed, epoch)
        group = order[position * settings.grad_accumulation:(position + 1) * settings.grad_accumulation]
        sums = []
        counts = sum(sum(1 for label in train_set[i].labels[1:] if label != -100) for b in group for i in b)
        for batch in group:
            ids, mask, labels = collate([train_set[i] for i in batch], pad)
            loss_sum, n = answer_loss(model, ids.to(device), mask.to(device), labels.to(device))
            (loss_sum / max(counts, 1)).backward()
            sums.append(loss_sum.item())
            tokens += int(mask.sum())
        torch.nn.utils.clip_grad_norm_(trainable, settings.max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        elapsed = time.perf_counter() - began
        loss = sum(sums) / max(counts, 1)
        state["history"].append({"step": step, "loss": round(loss, 5), "lr": scheduler.get_last_lr()[0]})
        state.update(step=step, loss=loss, epoch=round(step / per_epoch, 4),
                     eta_s=round(elapsed / (step - start_step) * (total - step), 1),
                     tokens_per_s=round(tokens / elapsed, 1))
        if settings.eval_every and step % settings.eval_every == 0 and step < total:
            state["eval_loss"] = evaluate()
            state["evals"].append({"step": step, "eval_loss": state["eval_loss"]})
        if step % settings.save_every == 0 and step < total:
            checkpoint()
        publish()
    if step < total:  # paused or cancelled between steps
        if control.reason == "pause":
            checkpoint()
        state.update(status="paused" if control.reason == "pause" else "cancelled", eta_s=None)
        runs.save_loss_curve(out, state)
        publish(force=True)
        return state
    state["eval_loss"] = evaluate()
    if state["eval_loss"] is not None:
        state["evals"].append({"step": step, "eval_loss": state["eval_loss"]})
    adapter = out / "adapter"
    model.save_pretrained(adapter)
    runs.write_json(adapter / "training.json", {
        "model": model_id, "base": model_settings.model_path, "settings": settings.model_dump(),
        "steps": step, "loss": state["loss"], "eval_loss": state["eval_loss"],
        "train_examples": len(train_set), "eval_examples": len(eval_set)})
    state.update(status="done", eta_s=0, adapter=str(adapter))
    runs.save_loss_curve(out, state)
    publish(force=True)
    return state
