"""The local generation engine: runs `generate` for every caller of one in-process model.

Callers get their own stream of text pieces; a caller that stops reading (or
cancels its Response) stops its generation. A bounded number of callers may
wait; past that, ServerBusyError (503 with Retry-After in the web app).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from llms.base import Response
from llms.errors import ServerBusyError
from llms.loading import LoadedModel
from llms.options import GenerationOptions


class _Cancelled:
    """A stopping criterion that ends generation once the response is cancelled."""

    def __init__(self, response: Response):
        self.response = response

    def __call__(self, input_ids, scores, **kwargs):
        import torch

        return torch.full((input_ids.shape[0],), self.response.cancelled, dtype=torch.bool)


class GenerationEngine:
    def __init__(self, loaded: LoadedModel, max_batch_size: int = 8, max_queue: int = 32):
        self.loaded = loaded
        self.max_batch_size = max_batch_size
        self.max_queue = max_queue
        self._lock = threading.Lock()
        self._admit = threading.Lock()
        self._waiting = 0

    def generate(self, prompt_ids: list[int], options: GenerationOptions, response: Response) -> Iterator[str]:
        import torch
        from transformers import StoppingCriteriaList, TextIteratorStreamer

        with self._admit:
            if self._waiting >= self.max_batch_size + self.max_queue:
                raise ServerBusyError("The local model is busy: too many requests are waiting. Retry shortly.")
            self._waiting += 1
        tokenizer, model = self.loaded.tokenizer, self.loaded.model
        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
        input_ids = torch.tensor([prompt_ids], device=self.loaded.device)
        kwargs = dict(input_ids=input_ids, attention_mask=torch.ones_like(input_ids),
                      max_new_tokens=options.max_tokens, streamer=streamer,
                      stopping_criteria=StoppingCriteriaList([_Cancelled(response)]),
                      pad_token_id=tokenizer.pad_token_id)
        if options.temperature == 0:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        else:
            kwargs.update(do_sample=True, temperature=options.temperature, top_p=options.top_p, top_k=None)
        if options.stop:
            kwargs.update(stop_strings=options.stop, tokenizer=tokenizer)
        outcome: dict = {}

        def run():
            try:
                with self._lock:
                    if options.seed is not None:
                        torch.manual_seed(options.seed)
                    with torch.inference_mode():
                        outcome["ids"] = model.generate(**kwargs)[0, len(prompt_ids):].tolist()
            except BaseException as exc:  # handed to the caller's thread below
                outcome["error"] = exc
                streamer.end()
            finally:
                with self._admit:
                    self._waiting -= 1

        worker = threading.Thread(target=run, name="generate", daemon=True)
        worker.start()
        try:
            yield from streamer
        finally:
            if worker.is_alive():  # the caller stopped reading early
                response.cancel()
            worker.join()
        if "error" in outcome:
            raise outcome["error"]
        self._finish(outcome["ids"], options, response, len(prompt_ids))

    def _finish(self, new_ids: list[int], options: GenerationOptions, response: Response, n_prompt: int) -> None:
        eos = self.loaded.model.generation_config.eos_token_id
        eos = set(eos if isinstance(eos, list) else [eos])
        pad = self.loaded.tokenizer.pad_token_id
        while new_ids and new_ids[-1] == pad and pad not in eos:
            new_ids.pop()
        hit_eos = bool(new_ids) and new_ids[-1] in eos
        response.usage.prompt_tokens = n_prompt
        response.usage.completion_tokens = len(new_ids)
        response.finish_reason = "length" if len(new_ids) >= options.max_tokens and not hit_eos else "stop"
