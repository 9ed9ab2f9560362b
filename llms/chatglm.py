"""`ChatGLMLLM`: a GLM chat model run in-process with transformers.

The model is loaded once per process, on first use, from `model_path` (a folder
or a hub id; a hub download shows its progress). Messages are rendered with the
tokenizer's own chat template; replies stream through the local engine, which
batches concurrent callers. `python -m llms.chatglm --config cfg.json` starts a
terminal dialogue.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from llms import loading
from llms.base import Message, RemoteLLMs, Response
from llms.config import LocalModelConfig
from llms.errors import ContextLengthError, ModelUnavailableError
from llms.options import GenerationOptions

if TYPE_CHECKING:  # the engine imports torch: only once a model loads
    from llms.engine import GenerationEngine


class ChatGLMLLM(RemoteLLMs):
    preset_family = "chatglm"

    def __init__(self, model_id: str, settings: LocalModelConfig, defaults: GenerationOptions | None = None):
        super().__init__(model_id, settings.name, defaults)
        self.settings = settings
        self._loaded: loading.LoadedModel | None = None
        self._engine: GenerationEngine | None = None
        self._load_lock = threading.Lock()
        self._load_error: ModelUnavailableError | None = None
        self._dtype_plan: dict | None = None

    # -- loading ---------------------------------------------------------------------
    def availability(self) -> tuple[bool, str | None]:
        if self._load_error:
            return False, self._load_error.message
        problem = loading.check_files(self.model_id, self.settings)
        return (problem is None), problem

    def note(self) -> str | None:
        if self._loaded is not None or self._load_error is not None:
            return None
        if self._load_lock.locked():
            return "Loading the model…"
        if not loading.is_local_path(self.settings.model_path) and not loading.in_hub_cache(self.settings.model_path):
            return (f"{self.settings.model_path} is downloaded from the Hugging Face hub on first use "
                    "(progress in the server log).")
        return "Loaded on first use."

    def dtype_choice(self) -> dict | None:
        """The compute dtype and why: as loaded, or as loading would choose it now; None if the device is unusable."""
        if self._loaded is not None:
            return {"dtype": self._loaded.dtype, "reason": self._loaded.dtype_reason}
        if self._dtype_plan is None:
            try:
                device = loading.resolve_device(self.settings.device)
            except ModelUnavailableError:
                return None
            dtype, reason = loading.plan_dtype(self.settings, device)
            self._dtype_plan = {"dtype": dtype, "reason": reason}
        return self._dtype_plan

    def in_flight(self) -> int:
        return self._engine.pending if self._engine is not None else 0

    def load(self) -> loading.LoadedModel:
        """Load the model once; later calls (from any thread) get the same one."""
        if self._loaded is None:
            with self._load_lock:
                if self._loaded is None:
                    if self._load_error:
                        raise self._load_error
                    from llms.engine import GenerationEngine

                    try:
                        loaded = _in_own_thread(loading.load, self.model_id, self.settings)
                    except loading.TransientLoadError:
                        raise  # not remembered: the next request tries again
                    except ModelUnavailableError as exc:
                        self._load_error = exc
                        raise
                    self._engine = GenerationEngine(loaded, max_batch_size=self.settings.max_batch_size,
                                                    max_queue=self.settings.max_queue,
                                                    kv_budget_tokens=self.settings.kv_budget_tokens,
                                                    prefill_chunk=self.settings.prefill_chunk)
                    self._loaded = loaded
        return self._loaded

    @property
    def engine(self) -> GenerationEngine:
        self.load()
        return self._engine

    # -- prompts -----------------------------------------------------------------------
    def render(self, messages: list[Message]) -> list[int]:
        """Token ids of the messages rendered with the checkpoint's chat template."""
        tokenizer = self.load().tokenizer
        if getattr(tokenizer, "chat_template", None) is None:  # ChatGLM3's remote-code tokenizer
            *history, last = messages
            return tokenizer.build_chat_input(last["content"], history=history, role=last["role"])["input_ids"][0].tolist()
        return list(tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True,
                                                  return_dict=True)["input_ids"])

    def check_context(self, prompt_ids: list[int], max_tokens: int) -> None:
        limit = self.load().context_length
        if len(prompt_ids) + max_tokens > limit:
            raise ContextLengthError(
                f"This model's context is {limit} tokens; the text takes {len(prompt_ids)} and max_tokens asks "
                f"for {max_tokens}. Shorten the text or lower max_tokens.", param="max_tokens")

    # -- generation ----------------------------------------------------------------------
    def execute(self, messages: list[Message], options: GenerationOptions, response: Response) -> Iterator[str]:
        prompt_ids = self.render(messages)
        self.check_context(prompt_ids, options.max_tokens)
        yield from self.engine.generate(prompt_ids, options, response)


def _in_own_thread(function, *args):
    """`function(*args)` run in a thread that exits when it returns, its exception raised here.

    Every thread that runs a parallel torch op on CPU keeps its own OpenMP (libgomp) team of worker threads
    while it lives; with more of them than cores, libgomp stops spinning between parallel regions and each of
    the ~100 ops of a decode step waits for a wake-up (bench model: 26 ms a step instead of 20). Loading in a
    thread of its own leaves the engine's worker the only such thread, rather than a web server's request
    thread that lives on.
    """
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = function(*args)
        except BaseException as exc:  # noqa: BLE001 - raised in the caller
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="model-loading")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


if __name__ == "__main__":
    from llms.cli import main

    sys.exit(main(backend="local", default_model_id="chatglm"))
