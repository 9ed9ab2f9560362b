"""A run's folder on disk: state.json (durable progress), its data split, checkpoints, the loss curve.

    OUT/state.json          status, settings, step, epoch, losses, ETA, history; rewritten atomically
    OUT/data/train.jsonl    the run's own copy of its examples, so a resume trains on the same split
    OUT/data/eval.jsonl
    OUT/checkpoints/step-N  adapter weights + trainer.pt (optimizer, scheduler, position), written whole then renamed
    OUT/adapter/            the final adapter (peft), with training.json and, once evaluated, eval.json
    OUT/loss_curve.json     [step, loss] and [step, eval loss] (and loss_curve.png where matplotlib is installed)
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

STATE = "state.json"
#: status values: running, paused, cancelled, failed, done (running with no live process: interrupted)
FINAL = ("cancelled", "failed", "done")


def write_json(path: Path, data) -> None:
    """Write JSON to a temporary file beside `path`, then rename: a reader (or a crash) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(data, file, ensure_ascii=False)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


class RunBusyError(RuntimeError):
    """Another process (or thread) is training this run folder."""


@contextmanager
def hold_lock(out: Path):
    """Hold OUT/run.lock exclusively while training: a second trainer of the same folder fails at once, and the
    lock goes with its holder however that ends (kill -9 included), so a dead run is never mistaken for a live one."""
    out.mkdir(parents=True, exist_ok=True)
    handle = os.open(out / "run.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunBusyError(f"{out} is being trained by another process") from None
        yield
    finally:
        os.close(handle)


def is_locked(out: Path) -> bool:
    """Whether some process holds the run's lock (is training it) now."""
    try:
        handle = os.open(out / "run.lock", os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(handle)


def read_state(out: str | Path) -> dict | None:
    try:
        return json.loads((Path(out) / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def new_state(run_id: str, model_id: str, settings: dict, source: str) -> dict:
    now = time.time()
    return {"id": run_id, "model": model_id, "status": "running", "settings": settings, "source": source,
            "step": 0, "total_steps": 0, "epoch": 0.0, "loss": None, "eval_loss": None, "eta_s": None,
            "tokens_per_s": None, "train_examples": 0, "eval_examples": 0, "history": [], "evals": [],
            "created": now, "updated": now, "error": None, "resumed_from": None, "adapter": None}


def checkpoints(out: Path) -> list[Path]:
    """Complete checkpoints, oldest first (a folder is complete once renamed from its temporary name)."""
    folder = out / "checkpoints"
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.name.startswith("step-") and (p / "trainer.pt").is_file()]
    return sorted(found, key=lambda p: int(p.name.split("-")[1]))


def save_checkpoint(out: Path, step: int, peft_model, trainer_state: dict, keep: int) -> Path:
    import torch

    folder = out / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"step-{step:07d}"
    temporary = Path(tempfile.mkdtemp(prefix=".step-", dir=folder))
    peft_model.save_pretrained(temporary)
    torch.save(trainer_state, temporary / "trainer.pt")
    if final.exists():
        shutil.rmtree(final)
    os.replace(temporary, final)
    for old in checkpoints(out)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def load_checkpoint(folder: Path, peft_model) -> dict:
    """Put a checkpoint's adapter weights into the model; its trainer state."""
    import torch
    from peft import set_peft_model_state_dict
    from peft.utils import load_peft_weights

    set_peft_model_state_dict(peft_model, load_peft_weights(str(folder), device="cpu"))
    return torch.load(folder / "trainer.pt", map_location="cpu", weights_only=False)


def save_loss_curve(out: Path, state: dict) -> Path:
    """loss_curve.json always; loss_curve.png too when matplotlib is installed (it is not a requirement)."""
    curve = {"train": [[h["step"], h["loss"]] for h in state["history"]],
             "eval": [[e["step"], e["eval_loss"]] for e in state["evals"]]}
    write_json(out / "loss_curve.json", curve)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return out / "loss_curve.json"
    figure, axes = plt.subplots(figsize=(7, 4))
    if curve["train"]:
        axes.plot(*zip(*curve["train"]), label="train loss")
    if curve["eval"]:
        axes.plot(*zip(*curve["eval"]), "o-", label="eval loss")
    axes.set_xlabel("step")
    axes.set_ylabel("loss")
    axes.legend()
    figure.savefig(out / "loss_curve.png", dpi=100)
    plt.close(figure)
    return out / "loss_curve.png"
