"""The local generation engine: continuous batching of every caller of one in-process model.

One worker thread owns the model. Each caller's request waits in a queue until a
row of the batch is free; between decode steps the worker prefills the new
arrivals together (left-padded) and merges their KV cache into the running
batch, so requests join and leave while others are mid-reply. Every row samples
with its own temperature, top_p and seeded `torch.Generator` (temperature 0:
greedy), streams its text as soon as it decodes to whole characters, and leaves
the batch the moment it hits an eos token, a stop string or max_tokens, or its
Response is cancelled. Past `max_batch_size` running and `max_queue` waiting
requests, `generate` raises ServerBusyError (503 with Retry-After on the web).
It drives the model's forward with a transformers DynamicCache (llms/kv_cache.py), so it serves
full-attention models that transformers implements (GLM-4 and its kin).

transformers' own continuous batching (`init_continuous_batching`) runs on CPU
but is not used: it samples the whole batch with one do_sample and one global
seed (no per-request seed, no greedy and sampled requests together) and has no
stop strings, and it was slower here (bench/README.md, "Serving").
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from transformers import DynamicCache, LogitsProcessorList, TemperatureLogitsWarper, TopPLogitsWarper

from llms.base import Response
from llms.errors import ServerBusyError
from llms.kv_cache import growing_cache
from llms.loading import LoadedModel
from llms.options import GenerationOptions

_END = object()  # the last item of a request's queue of text pieces


class _Request:
    """One caller's reply: sampling settings, tokens so far, and the text not yet sent."""

    def __init__(self, prompt_ids: list[int], options: GenerationOptions, response: Response, tokenizer):
        self.prompt_ids = prompt_ids
        self.options = options
        self.response = response
        self.tokenizer = tokenizer
        self.pieces: queue.SimpleQueue = queue.SimpleQueue()
        self.greedy = options.temperature == 0
        self.warpers = LogitsProcessorList() if self.greedy else LogitsProcessorList(
            [TemperatureLogitsWarper(options.temperature)]
            + ([TopPLogitsWarper(options.top_p)] if options.top_p < 1 else []))
        self.generator = torch.Generator()
        if options.seed is None:
            self.generator.seed()
        else:
            self.generator.manual_seed(options.seed)
        self.generated = 0  # tokens sampled, eos included
        self.token_ids: list[int] = []  # the reply's tokens, eos excluded
        self.text = ""  # the reply decoded so far
        self.sent = 0  # characters of `text` already handed to the caller
        self.prefix_offset = self.read_offset = 0  # incremental detokenization window
        self.finished = False

    def sample(self, logits: torch.Tensor) -> int:
        """A token drawn from this row's float32 logits with its own settings and generator."""
        scores = self.warpers(None, logits[None])
        return int(torch.multinomial(scores.softmax(-1), 1, generator=self.generator))

    def accept(self, token: int, eos: set[int]) -> None:
        """Record a generated token and send the text it completes; finish the reply if it is over."""
        self.generated += 1
        if token not in eos:  # an eos token ends the reply and is no part of its text
            self.token_ids.append(token)
        over = token in eos or self.generated >= self.options.max_tokens
        self.text += self._decode_new(flush=over)
        stops = self.options.stop
        hits = [i for i in (self.text.find(s, self.sent) for s in stops) if i >= 0]
        if hits:
            self.text = self.text[:min(hits)]
            self.finish("stop")
        elif over:
            self.finish("stop" if token in eos else "length")
        else:  # hold back a tail that may be the start of a stop string
            held = max((k for s in stops for k in range(1, len(s)) if self.text.endswith(s[:k])), default=0)
            self._send(len(self.text) - held)

    def _decode_new(self, flush: bool) -> str:
        """Text the newest tokens add; "" while they end inside a multi-byte character, unless flushing."""
        decode = self.tokenizer.decode
        before = decode(self.token_ids[self.prefix_offset:self.read_offset], skip_special_tokens=True)
        after = decode(self.token_ids[self.prefix_offset:], skip_special_tokens=True)
        if not flush and (len(after) <= len(before) or after.endswith("\ufffd")):
            return ""
        self.prefix_offset, self.read_offset = self.read_offset, len(self.token_ids)
        return after[len(before):]

    def finish(self, reason: str | None) -> None:
        """End the reply: send the rest of its text (unless cancelled), record finish reason and usage."""
        if reason:
            self._send(len(self.text))
        self.response.finish_reason = reason
        self.response.usage.prompt_tokens = len(self.prompt_ids)
        self.response.usage.completion_tokens = self.generated
        self.finished = True

    def _send(self, upto: int) -> None:
        if upto > self.sent:
            self.pieces.put(self.text[self.sent:upto])
            self.sent = upto


class _Batch:
    """The rows being decoded together: their KV cache, attention mask and next positions."""

    def __init__(self, loaded: LoadedModel, eos: set[int]):
        self.model = loaded.model
        self.device = loaded.device
        self.pad_id = loaded.tokenizer.pad_token_id or 0
        self.eos = eos
        self.rows: list[_Request] = []
        self.cache: DynamicCache | None = None
        self.mask: torch.Tensor | None = None  # [rows, cache length], 0 on left padding
        self.positions: torch.Tensor | None = None  # [rows], position of each row's next token

    def admit(self, new: list[_Request]) -> None:
        """Prefill the new requests together, sample their first tokens, merge them into the batch."""
        width = max(len(r.prompt_ids) for r in new)
        ids = torch.tensor([[self.pad_id] * (width - len(r.prompt_ids)) + r.prompt_ids for r in new])
        mask = torch.tensor([[0] * (width - len(r.prompt_ids)) + [1] * len(r.prompt_ids) for r in new])
        cache = growing_cache(self.model.config)
        logits = self.model(input_ids=ids.to(self.device), attention_mask=mask.to(self.device),
                            position_ids=(mask.cumsum(-1) - 1).clamp(min=0).to(self.device),
                            past_key_values=cache, use_cache=True, logits_to_keep=1).logits[:, -1]
        positions = torch.tensor([len(r.prompt_ids) for r in new], device=self.device)
        if self.cache is None:
            self.cache, self.mask, self.positions = cache, mask.to(self.device), positions
        else:
            self.mask = _merge(self.cache, self.mask, cache, mask.to(self.device))
            self.positions = torch.cat([self.positions, positions])
        self.rows += new
        self._sample(logits.float(), new)

    def step(self) -> None:
        """One decode step: every row feeds its last token and samples the next."""
        ids = torch.tensor([[r.token_ids[-1]] for r in self.rows], device=self.device)
        self.mask = F.pad(self.mask, (0, 1), value=1)
        logits = self.model(input_ids=ids, attention_mask=self.mask, position_ids=self.positions[:, None],
                            past_key_values=self.cache, use_cache=True).logits[:, -1]
        self.positions += 1
        self._sample(logits.float(), self.rows)

    def _sample(self, logits: torch.Tensor, rows: list[_Request]) -> None:
        greedy = logits.argmax(-1).tolist()
        for i, row in enumerate(rows):
            row.accept(greedy[i] if row.greedy else row.sample(logits[i]), self.eos)

    def remove_finished(self) -> list[_Request]:
        """Take out the rows that are finished or cancelled, then the left padding no remaining row needs."""
        for row in self.rows:
            if row.response.cancelled and not row.finished:
                row.finish(None)
        done = [row for row in self.rows if row.finished]
        if not done:
            return []
        keep = [i for i, row in enumerate(self.rows) if not row.finished]
        if not keep:
            return self.clear()
        self.rows = [self.rows[i] for i in keep]
        index = torch.tensor(keep, device=self.device)
        self.cache.batch_select_indices(index)
        self.mask, self.positions = self.mask[index], self.positions[index]
        unused = int(self.mask.any(0).int().argmax())
        if unused:
            for layer in self.cache.layers:
                layer.keys, layer.values = layer.keys[..., unused:, :], layer.values[..., unused:, :]
            self.mask = self.mask[:, unused:]
        return done

    def clear(self) -> list[_Request]:
        """Empty the batch; its rows."""
        rows, self.rows = self.rows, []
        self.cache = self.mask = self.positions = None
        return rows


class GenerationEngine:
    """Generates for every caller of one loaded model, batching those that overlap."""

    def __init__(self, loaded: LoadedModel, max_batch_size: int = 8, max_queue: int = 32):
        self.loaded = loaded
        self.max_batch_size = max_batch_size
        self.max_queue = max_queue
        eos = loaded.model.generation_config.eos_token_id
        self.eos = set(eos if isinstance(eos, list) else [eos]) - {None}
        self._lock = threading.Lock()
        self._waiting: deque[_Request] = deque()
        self._pending = 0  # requests waiting or running
        self._worker: threading.Thread | None = None

    @property
    def pending(self) -> int:
        """How many requests are waiting or being generated."""
        return self._pending

    def generate(self, prompt_ids: list[int], options: GenerationOptions, response: Response) -> Iterator[str]:
        """Stream the reply's text; sets response.usage and response.finish_reason at the end.

        Closing the iterator early cancels the request and returns once its row is free.
        """
        request = _Request(prompt_ids, options, response, self.loaded.tokenizer)
        self._submit(request)
        ended = False
        try:
            while (item := request.pieces.get()) is not _END:
                if isinstance(item, BaseException):
                    raise item
                yield item
            ended = True
        finally:
            if not ended:
                response.cancel()
                while request.pieces.get() is not _END:
                    pass

    def _submit(self, request: _Request) -> None:
        with self._lock:
            if self._pending >= self.max_batch_size + self.max_queue:
                raise ServerBusyError(f"The local model is busy: {self.max_batch_size} requests are being answered "
                                      f"and {self.max_queue} are waiting. Retry shortly.")
            self._pending += 1
            self._waiting.append(request)
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="generation-engine", daemon=True)
                self._worker.start()

    def _run(self) -> None:
        """The worker: admit, decode, release; it exits when nothing is left and `_submit` starts another."""
        batch = _Batch(self.loaded, self.eos)
        while True:
            with self._lock:
                gone = [r for r in self._waiting if r.response.cancelled]
                for request in gone:
                    self._waiting.remove(request)
                    request.finish(None)
                new = [self._waiting.popleft()
                       for _ in range(min(len(self._waiting), self.max_batch_size - len(batch.rows)))]
                if not (new or batch.rows or gone):
                    self._worker = None
                    return
            try:
                with torch.no_grad():  # not inference_mode: optimum-quanto's int4 matmul fails under it
                    if new:
                        batch.admit(new)
                    elif batch.rows:
                        batch.step()
                done = batch.remove_finished()
            except Exception as exc:  # handed to every caller in the batch
                running = batch.clear()
                done = running + [r for r in new if r not in running]
                for request in done:
                    request.pieces.put(exc)
            self._release(gone + done)

    def _release(self, requests: list[_Request]) -> None:
        """Free the requests' places, then tell their callers they are over."""
        if requests:
            with self._lock:
                self._pending -= len(requests)
            for request in requests:
                request.pieces.put(_END)


def _merge(cache: DynamicCache, mask: torch.Tensor, other: DynamicCache, other_mask: torch.Tensor) -> torch.Tensor:
    """Append `other`'s rows to `cache`, left-padding the shorter to a common length; the merged mask."""
    width = max(mask.shape[1], other_mask.shape[1])
    for layer, extra in zip(cache.layers, other.layers):
        layer.keys = torch.cat([_left_pad(layer.keys, width), _left_pad(extra.keys, width)])
        layer.values = torch.cat([_left_pad(layer.values, width), _left_pad(extra.values, width)])
    return torch.cat([F.pad(mask, (width - mask.shape[1], 0)), F.pad(other_mask, (width - other_mask.shape[1], 0))])


def _left_pad(states: torch.Tensor, width: int) -> torch.Tensor:
    """Key or value states [rows, heads, length, dim] padded with zeros on the left to `width`."""
    return F.pad(states, (0, 0, width - states.shape[-2], 0))
