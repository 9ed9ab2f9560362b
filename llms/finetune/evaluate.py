"""Base model and base + adapter side by side on held-out pairs; the results saved with the adapter (eval.json).

Both answer through the serving path (ChatGLMLLM and its batching engine, greedy), so
what is measured is what `/v1` would return. The grounded share needs qa/'s grounding,
which llms/ may not import: the caller passes `grounded(example, answer) -> bool | None`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from llms.config import LocalModelConfig
from llms.finetune.data import Example
from llms.finetune.metrics import average, score
from llms.finetune.runs import write_json

Grounded = Callable[[Example, str], "bool | None"]
EVAL_FILE = "eval.json"
SAMPLES = 20


def answers(model_id: str, settings: LocalModelConfig, examples: list[Example], max_tokens: int,
            progress: Callable[[int], None] | None = None) -> list[str]:
    """Each example's greedy answer from the model, requests overlapping so the engine batches them."""
    from llms.chatglm import ChatGLMLLM

    model = ChatGLMLLM(model_id, settings)
    model.load()
    done = [0]

    def ask(example: Example) -> str:
        text = model.request_llm(example.messages, temperature=0, max_tokens=max_tokens)
        done[0] += 1
        if progress:
            progress(done[0])
        return text

    with ThreadPoolExecutor(max(1, settings.max_batch_size)) as pool:
        return list(pool.map(ask, examples))


def evaluate(model_id: str, settings: LocalModelConfig, adapter_path: str | Path, examples: list[Example], *,
             max_tokens: int = 128, grounded: Grounded | None = None, save: bool = True,
             progress: Callable[[str, int, int], None] | None = None) -> dict:
    """Metrics of the base and of base + adapter on `examples`; written to ADAPTER/eval.json when `save`."""
    began = time.time()
    results: dict = {"examples": len(examples), "max_tokens": max_tokens, "adapter": str(adapter_path), "models": {}}
    outputs = {}
    for name, config in (("base", settings.model_copy(update={"adapter_path": None})),
                         ("adapter", settings.model_copy(update={"adapter_path": str(adapter_path)}))):
        report = (lambda n, name=name: progress(name, n, len(examples))) if progress else None
        outputs[name] = answers(f"{model_id}-{name}", config, examples, max_tokens, report)
        row = average([score(p, e.answer) for p, e in zip(outputs[name], examples)])
        if grounded is not None:
            verdicts = [grounded(e, p) for e, p in zip(examples, outputs[name])]
            judged = [v for v in verdicts if v is not None]
            row["grounded"] = round(sum(judged) / len(judged), 4) if judged else None
        results["models"][name] = row
    results["samples"] = [{"prompt": e.prompt, "reference": e.answer, "base": b, "adapter": a}
                          for e, b, a in list(zip(examples, outputs["base"], outputs["adapter"]))[:SAMPLES]]
    results["seconds"] = round(time.time() - began, 1)
    if save:
        write_json(Path(adapter_path) / EVAL_FILE, results)
    return results


def table(results: dict) -> str:
    """The results as a small text table: one row per metric, base and adapter side by side."""
    models = results["models"]
    names = [n for n in models["base"]]
    lines = [f"{'metric':<12} {'base':>8} {'adapter':>8}"]
    for name in names:
        cells = [models[m].get(name) for m in ("base", "adapter")]
        lines.append(f"{name:<12} " + " ".join(f"{c:>8.4f}" if isinstance(c, float) else f"{'-':>8}" for c in cells))
    return "\n".join(lines) + f"\n({results['examples']} held-out pairs, {results['seconds']} s)"
