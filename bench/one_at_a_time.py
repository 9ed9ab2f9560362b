"""The app as the original design ran it, for comparison: one `model.generate` at a time behind a lock.

`gunicorn -c gunicorn.conf.py bench.one_at_a_time:app` serves the same app, same
/v1 and /ask, with the engine swapped for the one continuous batching replaced:
each request takes the lock, runs `generate` alone and streams through a
TextIteratorStreamer. Only the benchmark uses it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import torch
from transformers import TextIteratorStreamer

import llms.engine
from llms.base import Response
from llms.loading import LoadedModel
from llms.options import GenerationOptions
from webapp import create_app


class OneAtATimeEngine:
    """GenerationEngine's interface; requests run one after another (no queue limit)."""

    def __init__(self, loaded: LoadedModel, max_batch_size: int = 8, max_queue: int = 32, **_engine_settings):
        self.loaded = loaded
        self._lock = threading.Lock()

    def generate(self, prompt_ids: list[int], options: GenerationOptions, response: Response) -> Iterator[str]:
        tokenizer, model = self.loaded.tokenizer, self.loaded.model
        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
        input_ids = torch.tensor([prompt_ids])
        sampling = (dict(do_sample=False, temperature=None, top_p=None, top_k=None) if options.temperature == 0
                    else dict(do_sample=True, temperature=options.temperature, top_p=options.top_p, top_k=None))
        outcome: dict = {}

        def run():
            try:
                with self._lock, torch.no_grad():
                    outcome["ids"] = model.generate(input_ids, attention_mask=torch.ones_like(input_ids),
                                                    max_new_tokens=options.max_tokens, streamer=streamer,
                                                    pad_token_id=tokenizer.pad_token_id, **sampling)[0]
            except BaseException as exc:  # handed to the caller below
                outcome["error"] = exc
                streamer.end()

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        yield from streamer
        worker.join()
        if "error" in outcome:
            raise outcome["error"]
        new_ids = outcome["ids"][len(prompt_ids):].tolist()
        response.usage.prompt_tokens = len(prompt_ids)
        response.usage.completion_tokens = len(new_ids)
        response.finish_reason = "length" if len(new_ids) >= options.max_tokens else "stop"


llms.engine.GenerationEngine = OneAtATimeEngine  # ChatGLMLLM builds its engine from this name
app = create_app()
