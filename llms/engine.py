"""The local generation engine: continuous batching of every caller of one in-process model.

One worker thread owns the model. Each step is one forward over the new tokens
of every running request packed side by side (llms/ragged.py): one token for
each request that is decoding, plus up to `prefill_chunk` prompt tokens of the
requests still being prefilled, so a long prompt is fed a chunk per step between
the others' tokens instead of stalling them. Each request keeps its own KV cache
(llms/kv_cache.RowKV), so memory follows the tokens held, with no padding to the
longest prompt. A request waits in a queue until a row is free (`max_batch_size`)
and its prompt plus max_tokens fits the KV budget (`kv_budget_tokens`, by
default half the free memory); past `max_queue` waiting, `generate` raises
ServerBusyError (503 with Retry-After on the web). If a step fails, its parts
are retried apart, so a prompt that cannot be prefilled fails only its request.
Every row samples with its own temperature, top_p and seeded `torch.Generator`
(temperature 0: greedy), streams its text as soon as it decodes to whole
characters, and leaves the moment it hits an eos token, a stop string or
max_tokens, or its Response is cancelled; a cancelled request still queued
frees its place at once.

transformers' own continuous batching (`init_continuous_batching`) runs on CPU
but is not used: it samples the whole batch with one do_sample and one global
seed (no per-request seed, no greedy and sampled requests together) and has no
stop strings, and it was slower here (bench/README.md, "Serving").
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Iterator
from itertools import accumulate

import torch

from llms import ragged
from llms.base import Response
from llms.engine_request import _Request
from llms.errors import ContextLengthError, ServerBusyError
from llms.kv_cache import kv_bytes_per_token
from llms.loading import LoadedModel
from llms.options import GenerationOptions

__all__ = ["GenerationEngine", "_Request", "default_kv_budget"]

_END = object()  # the last item of a request's queue of text pieces
STALL = 1.0  # while requests decode, a step's prompt chunk may add about this many decode steps' time
MIN_CHUNK = 16  # prompt tokens a step takes at least (while the timings are unknown, exactly)
_QUEUED_POLL = 0.05  # seconds between a queued request's looks at whether its caller has cancelled it


class GenerationEngine:
    """Generates for every caller of one loaded model, batching those that overlap."""

    def __init__(self, loaded: LoadedModel, max_batch_size: int = 8, max_queue: int = 32,
                 kv_budget_tokens: int | None = None, prefill_chunk: int = 512):
        self.loaded = loaded
        self.max_batch_size = max_batch_size
        self.max_queue = max_queue
        self.kv_budget = kv_budget_tokens or default_kv_budget(loaded, max_batch_size)
        self.prefill_chunk = prefill_chunk
        self._decode_s: float | None = None  # moving average of a decode-only step's seconds
        self._token_s: float | None = None  # moving average of the seconds one prompt token adds to a step
        eos = loaded.model.generation_config.eos_token_id
        self.eos = set(eos if isinstance(eos, list) else [eos]) - {None}
        self._layers = loaded.model.config.num_hidden_layers
        ragged.enable(loaded.model)
        self._lock = threading.Lock()
        self._waiting: deque[_Request] = deque()
        self._running: list[_Request] = []
        self._reserved = 0  # KV tokens the running requests may come to hold
        self._pending = 0  # requests waiting or running
        self._worker: threading.Thread | None = None

    @property
    def pending(self) -> int:
        """How many requests are waiting or being generated."""
        return self._pending

    def kv_bytes(self) -> int:
        """Bytes the running requests' KV caches take now."""
        return sum(request.kv.nbytes() for request in list(self._running))

    def generate(self, prompt_ids: list[int], options: GenerationOptions, response: Response) -> Iterator[str]:
        """Stream the reply's text; sets response.usage and response.finish_reason at the end.

        Closing the iterator early cancels the request and returns once its row is free.
        """
        request = _Request(prompt_ids, options, response, self.loaded.tokenizer, self._layers)
        self._submit(request)
        ended = False
        try:
            while True:
                try:  # while queued, look every _QUEUED_POLL s for a cancel (a client gone before its first byte)
                    item = request.pieces.get(timeout=None if request.admitted else _QUEUED_POLL)
                except queue.Empty:
                    if request.response.cancelled and self._drop_queued(request):
                        ended = True
                        return
                    continue
                if item is _END:
                    break
                if isinstance(item, BaseException):
                    raise item
                yield item
            ended = True
        finally:
            if not ended:
                response.cancel()
                if not self._drop_queued(request):
                    while request.pieces.get() is not _END:
                        pass

    def _submit(self, request: _Request) -> None:
        if request.reserved > self.kv_budget:
            raise ContextLengthError(
                f"The prompt ({len(request.prompt_ids)} tokens) plus max_tokens ({request.options.max_tokens}) "
                f"needs more KV cache than this model's budget of {self.kv_budget} tokens (kv_budget_tokens). "
                "Shorten the text or lower max_tokens.", param="max_tokens")
        with self._lock:
            if self._pending >= self.max_batch_size + self.max_queue:
                raise ServerBusyError(f"The local model is busy: {self.max_batch_size} requests are being answered "
                                      f"and {self.max_queue} are waiting. Retry shortly.")
            self._pending += 1
            self._waiting.append(request)
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="generation-engine", daemon=True)
                self._worker.start()

    def _drop_queued(self, request: _Request) -> bool:
        """Take a cancelled request out of the queue at once, if it is still there."""
        with self._lock:
            if request not in self._waiting:
                return False
            self._waiting.remove(request)
            self._pending -= 1
        request.finish(None)
        return True

    def _run(self) -> None:
        """The worker: admit, step, release; it exits when nothing is left and `_submit` starts another."""
        while True:
            with self._lock:
                while self._waiting and len(self._running) < self.max_batch_size \
                        and self._reserved + self._waiting[0].reserved <= self.kv_budget:
                    request = self._waiting.popleft()
                    request.admitted = True
                    self._running.append(request)
                    self._reserved += request.reserved
                if not self._running:
                    self._worker = None
                    return
            for request in self._running:
                if request.response.cancelled and not request.finished:
                    request.finish(None)
            parts = self._plan([r for r in self._running if not r.finished])
            if parts:
                prompt_tokens = sum(len(tokens) for request, tokens in parts if request.prefilling)
                decoding = any(not request.prefilling for request, _ in parts)
                started = time.perf_counter()
                with torch.no_grad():  # not inference_mode: optimum-quanto's int4 matmul fails under it
                    self._step_isolated(parts)
                self._pace(prompt_tokens, decoding, time.perf_counter() - started)
            self._release([r for r in self._running if r.finished])

    def _plan(self, running: list[_Request]) -> list[tuple[_Request, list[int]]]:
        """This step's tokens: each decoding request's last token, then prompt chunks up to `_prefill_room`."""
        parts = [(r, [r.last]) for r in running if not r.prefilling]
        room = self._prefill_room(decoding=len(parts), prefilling=len(running) - len(parts))
        for request in running:
            if request.prefilling and room > 0:
                chunk = request.prompt_ids[request.fed:request.fed + room]
                parts.append((request, chunk))
                room -= len(chunk)
        return parts

    def _prefill_room(self, decoding: int, prefilling: int = 1) -> int:
        """Prompt tokens this step may take: `prefill_chunk` when no request is decoding; else as many as add
        about STALL times a decode step's time (measured as the engine runs) for each request still being
        prefilled. With one prompt coming in beside running streams (a long prompt joining them), a step that
        carries its chunk lasts about 1 + STALL decode steps for those waiting on their next token; while a
        batch fills up, several prompts each get that share, so the first rows to decode do not hold the
        others to a trickle of prompt tokens (they wait for their first token as the decoding rows wait)."""
        if not decoding:
            return self.prefill_chunk
        floor = min(MIN_CHUNK, self.prefill_chunk)
        if self._decode_s is None or not self._token_s:
            return floor
        share = max(1, prefilling)
        return max(floor, min(self.prefill_chunk, int(STALL * share * self._decode_s / self._token_s)))

    def _pace(self, prompt_tokens: int, decoding: bool, seconds: float) -> None:
        """Update the moving averages of a decode step's time and of the time one prompt token adds."""
        if not prompt_tokens:
            self._decode_s = _average(self._decode_s, seconds)
        elif not decoding:
            self._token_s = _average(self._token_s, seconds / prompt_tokens)
        elif self._decode_s is not None:
            self._token_s = _average(self._token_s, max(seconds - self._decode_s, 0.0) / prompt_tokens)

    def _step_isolated(self, parts: list[tuple[_Request, list[int]]]) -> None:
        """Run one step; if it fails, run the decoding rows together and each prefill alone, failing only
        the requests whose own part fails."""
        try:
            self._step(parts)
            return
        except Exception as exc:  # noqa: BLE001 - handed to the requests it belongs to
            if len(parts) == 1:
                self._fail([parts[0][0]], exc)
                return
        decoding = [p for p in parts if not p[0].prefilling]
        groups = ([decoding] if decoding else []) + [[p] for p in parts if p[0].prefilling]
        for group in groups:
            try:
                self._step(group)
            except Exception as exc:  # noqa: BLE001
                self._fail([request for request, _ in group], exc)

    def _step(self, parts: list[tuple[_Request, list[int]]]) -> None:
        """One forward over the parts; then commit their KV, and sample for each row whose prompt is all in."""
        device = self.loaded.device
        ids = torch.tensor([[t for _, tokens in parts for t in tokens]], device=device)
        positions = torch.tensor([[r.kv.length + i for r, tokens in parts for i in range(len(tokens))]],
                                 device=device)
        ends = list(accumulate(len(tokens) for _, tokens in parts))
        sampling = [i for i, (r, tokens) in enumerate(parts) if r.fed + len(tokens) >= len(r.prompt_ids)]
        keep = torch.tensor([ends[i] - 1 for i in sampling], dtype=torch.long, device=device)
        segments = [ragged.Segment(r.kv, len(tokens)) for r, tokens in parts]
        logits = ragged.forward(self.loaded.model, ids, positions, segments, keep).float()
        for request, tokens in parts:
            request.kv.commit(len(tokens))
            if request.prefilling:
                request.fed += len(tokens)
        greedy = logits.argmax(-1).tolist()
        for row, i in enumerate(sampling):
            request = parts[i][0]
            request.accept(greedy[row] if request.greedy else request.sample(logits[row]), self.eos)

    def _fail(self, requests: list[_Request], exc: BaseException) -> None:
        for request in requests:
            if not request.finished:
                request.finish(None)
                request.pieces.put(exc)

    def _release(self, requests: list[_Request]) -> None:
        """Free the requests' rows, KV and places, then tell their callers they are over."""
        if requests:
            with self._lock:
                self._running = [r for r in self._running if not r.finished]
                self._reserved -= sum(r.reserved for r in requests)
                self._pending -= len(requests)
            for request in requests:
                request.kv = None
                request.pieces.put(_END)


def _average(current: float | None, sample: float, weight: float = 0.2) -> float:
    return sample if current is None else (1 - weight) * current + weight * sample


def default_kv_budget(loaded: LoadedModel, max_batch_size: int) -> int:
    """KV tokens that half the free memory holds (the GPU's on CUDA), at least one full context and at most
    a full context for every row."""
    model = loaded.model
    element = torch.empty(0, dtype=getattr(model, "dtype", torch.float32)).element_size()  # the activations' dtype
    per_token = kv_bytes_per_token(model.config, element)
    if loaded.device.startswith("cuda"):
        free = torch.cuda.mem_get_info()[0]
    else:
        free = _available_memory()
    budget = int(free * 0.5) // per_token
    return max(loaded.context_length, min(budget, loaded.context_length * max_batch_size))


def _available_memory() -> int:
    """Bytes of memory available to new allocations (Linux MemAvailable; free pages elsewhere)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import os

    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
