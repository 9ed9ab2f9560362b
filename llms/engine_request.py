"""One request of the local engine: its prompt and KV cache, sampling, incremental text, stop strings, usage."""

from __future__ import annotations

import queue

import torch
from transformers import LogitsProcessorList, TemperatureLogitsWarper, TopPLogitsWarper

from llms.base import Response
from llms.kv_cache import RowKV
from llms.options import GenerationOptions


class _Request:
    """One caller's reply: sampling settings, its own KV cache, tokens so far, and the text not yet sent."""

    def __init__(self, prompt_ids: list[int], options: GenerationOptions, response: Response, tokenizer,
                 layers: int = 0):
        self.prompt_ids = prompt_ids
        self.options = options
        self.response = response
        self.tokenizer = tokenizer
        self.pieces: queue.SimpleQueue = queue.SimpleQueue()
        self.greedy = options.temperature == 0
        self.warpers = LogitsProcessorList() if self.greedy else LogitsProcessorList(
            [TemperatureLogitsWarper(options.temperature)]
            + ([TopPLogitsWarper(options.top_p)] if options.top_p < 1 else []))
        self.generator: torch.Generator | None = None  # made on the logits' device at the first sample
        self.kv = RowKV(layers)
        self.admitted = False  # taken from the queue into the running batch
        self.fed = 0  # prompt tokens already prefilled into `kv`
        self.reserved = len(prompt_ids) + options.max_tokens  # KV tokens it may come to hold
        self.last = -1  # the token sampled last, fed at the next step
        self.generated = 0  # tokens sampled, eos included
        self.token_ids: list[int] = []  # the reply's tokens, eos excluded
        self.tail = ""  # decoded text not yet handed to the caller (held back as a possible stop's start)
        self.prefix_offset = self.read_offset = 0  # incremental detokenization window
        self.finished = False

    @property
    def prefilling(self) -> bool:
        return self.fed < len(self.prompt_ids)

    def sample(self, logits: torch.Tensor) -> int:
        """A token drawn from this row's float32 logits with its own settings and generator."""
        if self.generator is None:
            self.generator = torch.Generator(device=logits.device)
            if self.options.seed is None:
                self.generator.seed()
            else:
                self.generator.manual_seed(self.options.seed)
        scores = self.warpers(None, logits[None])
        return int(torch.multinomial(scores.softmax(-1), 1, generator=self.generator))

    def accept(self, token: int, eos: set[int]) -> None:
        """Record a generated token and send the text it completes; finish the reply if it is over.

        Stop strings are looked for only in the text not yet sent (what a stop could start in is held back),
        so the work per token does not grow with the reply.
        """
        self.generated += 1
        self.last = token
        if token not in eos:  # an eos token ends the reply and is no part of its text
            self.token_ids.append(token)
        over = token in eos or self.generated >= self.options.max_tokens
        self.tail += self._decode_new(flush=over)
        stops = self.options.stop
        hits = [i for i in (self.tail.find(s) for s in stops) if i >= 0]
        if hits:
            self.tail = self.tail[:min(hits)]
            self.finish("stop")
        elif over:
            self.finish("stop" if token in eos else "length")
        else:
            self._send(len(self.tail) - max((_held(self.tail, s) for s in stops), default=0))

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
            self._send(len(self.tail))
        self.response.finish_reason = reason
        self.response.usage.prompt_tokens = len(self.prompt_ids)
        self.response.usage.completion_tokens = self.generated
        self.finished = True

    def _send(self, upto: int) -> None:
        if upto > 0:
            self.pieces.put(self.tail[:upto])
            self.tail = self.tail[upto:]


def _held(text: str, stop: str) -> int:
    """Length of the longest end of `text` that is the start of `stop` (and shorter than it)."""
    last = text[-1:]
    for k in range(min(len(stop) - 1, len(text)), 0, -1):
        if stop[k - 1] == last and text.endswith(stop[:k]):
            return k
    return 0
