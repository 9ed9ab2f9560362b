"""One chunk through the pipeline without a token stream, retried with backoff and jitter on transient errors;
its pairs come out as rows with their provenance (document, chunk, job, model, prompt, options, grounding)."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from llms.base import RemoteLLMs
from llms.errors import (
    BackendConnectionError, BackendError, BackendRateLimitError, BackendTimeoutError, LLMError, ServerBusyError,
)
from qa.jobs.queue import Claimed
from qa.pipeline import NOTICES, Extraction
from qa.store import Job
from qa.store.models import now

TRANSIENT = (BackendRateLimitError, BackendTimeoutError, BackendConnectionError, ServerBusyError)


class Halted(Exception):
    """The job was paused or cancelled while this chunk waited or was generated; give the chunk back."""


@dataclass(frozen=True)
class Backoff:
    """Delay before retry n (from 1): base · 2^(n-1), capped, times a random factor in [0.5, 1] (jitter)."""

    attempts: int = 5
    base: float = 0.5
    cap: float = 30.0

    def delay(self, retry: int, rng: random.Random = random._inst) -> float:
        return min(self.cap, self.base * 2 ** (retry - 1)) * rng.uniform(0.5, 1.0)


def is_transient(exc: BaseException) -> bool:
    """429, 5xx, timeouts and connection errors: worth another try. A bad request or a refused key is not."""
    if isinstance(exc, TRANSIENT) or type(exc) is BackendError:  # plain BackendError: an upstream 5xx
        return True
    if isinstance(exc, LLMError):
        return False
    return isinstance(exc, (TimeoutError, ConnectionError))


def describe(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, LLMError) else f"{type(exc).__name__}: {exc}"


def extract_chunk(model: RemoteLLMs, job: Job, claimed: Claimed, *, document_id: int, grounding_threshold: float,
                  reask_on_empty: bool, backoff: Backoff, halt: threading.Event,
                  on_start=lambda extraction: None) -> tuple[list[dict], int, str | None]:
    """(pair rows, model calls tried, a note when the chunk gave no pairs or was cut off).
    Raises the last error when the chunk fails for good, Halted when `halt` is set."""
    options = {"max_tokens": job.max_tokens, "temperature": job.temperature}
    for attempt in range(1, backoff.attempts + 1):
        if halt.is_set():
            raise Halted()
        try:
            extraction = Extraction(model, claimed.text, job.prompt_text, [], options,
                                    grounding_threshold=grounding_threshold, reask_on_empty=reask_on_empty,
                                    stream=False)
            on_start(extraction)
            result = extraction.result()
        except Exception as exc:
            if halt.is_set():
                raise Halted() from exc
            if not is_transient(exc) or attempt == backoff.attempts:
                exc.attempts = attempt
                raise
            if halt.wait(backoff.delay(attempt)):
                raise Halted() from exc
            continue
        if extraction.response.cancelled and result["finish_reason"] not in ("stop", "length"):
            raise Halted()
        return rows(result, job, claimed, document_id, extraction.system_prompt), attempt, _note(result)
    raise AssertionError("unreachable")


def _note(result: dict) -> str | None:
    return "; ".join(n["message"] for n in result["notices"] if n["code"] in ("no_pairs", "truncated")) or None


def rows(result: dict, job: Job, claimed: Claimed, document_id: int, system_prompt: str | None = None) -> list[dict]:
    """The result's pairs as `pairs` rows; evidence offsets are in the document's text."""
    created = now()
    truncated = result["finish_reason"] == "length"
    out = []
    for pair in result["pairs"]:
        evidence = str(pair.get("evidence") or "")
        start = pair.get("evidence_start")
        if start is None and evidence:
            found = claimed.text.find(evidence)
            start = found if found >= 0 else None
        end = pair.get("evidence_end", None if start is None else start + len(evidence))
        grounded = bool(pair.get("grounded"))
        reasons = list(pair.get("reasons") or []) + (
            [{"code": "truncated", "message": NOTICES["truncated"][result.get("language") or "en"]}] if truncated else [])
        out.append({
            "document_id": document_id, "chunk_id": claimed.chunk_id, "job_id": job.id,
            "question": str(pair["question"]), "answer": str(pair["answer"]), "model": job.model,
            "prompt_text": job.prompt_text or system_prompt, "max_tokens": job.max_tokens,
            "temperature": job.temperature, "created_at": created,
            "verdict": pair.get("verdict") or ("grounded" if grounded else "unsupported"),
            "grounded": grounded, "support": float(pair.get("support") or 0.0), "evidence": evidence,
            "evidence_start": None if start is None else claimed.start + int(start),
            "evidence_end": None if end is None or start is None else claimed.start + int(end),
            "reasons": reasons, "status": "new", "origin": "job", "score": None, "score_reason": None,
            "duplicate_of": None,
        })
    return out
