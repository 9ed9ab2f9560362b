"""`ChatGPTLLM`: any OpenAI-compatible chat endpoint through the official `openai` SDK.

Works with OpenAI, vLLM, llama.cpp's server, `transformers serve` and this
project's own `/v1`. SDK errors become the project's error types, with messages
that say what to fix and never the key. `python -m llms.chatgpt --config cfg.json`
starts a terminal dialogue.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator

import openai

from llms import errors
from llms.base import Message, RemoteLLMs, Response
from llms.config import OpenAIModelConfig
from llms.options import GenerationOptions


class ChatGPTLLM(RemoteLLMs):
    preset_family = "chatgpt"

    def __init__(self, model_id: str, settings: OpenAIModelConfig, defaults: GenerationOptions | None = None):
        super().__init__(model_id, settings.name, defaults)
        self.settings = settings
        self.base_url = settings.base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
        key = settings.api_key.get_secret_value() if settings.api_key else os.environ.get("OPENAI_API_KEY")
        self._key = key
        self._client = None
        self._active = 0  # requests under way, at most settings.max_concurrent
        self._active_lock = threading.Lock()

    @property
    def client(self) -> openai.OpenAI:
        if self._client is None:
            # Endpoints such as vLLM and llama.cpp need no key; the SDK insists on one.
            self._client = openai.OpenAI(api_key=self._key or "not-needed", base_url=self.base_url,
                                         timeout=self.settings.timeout, max_retries=self.settings.max_retries)
        return self._client

    def availability(self) -> tuple[bool, str | None]:
        if not self._key and "api.openai.com" in self.base_url:
            return False, (f"No API key for {self.model_id!r}: set OPENAI_API_KEY or models.{self.model_id}.api_key, "
                           "or point models.{}.base_url at a local OpenAI-compatible server.".format(self.model_id))
        return True, None

    def in_flight(self) -> int:
        return self._active

    def execute(self, messages: list[Message], options: GenerationOptions, response: Response) -> Iterator[str]:
        with self._active_lock:
            if self._active >= self.settings.max_concurrent:
                raise errors.ServerBusyError(
                    f"{self.settings.max_concurrent} requests to {self.model_id!r} are under way; retry shortly "
                    f"(models.{self.model_id}.max_concurrent sets the limit).")
            self._active += 1
        try:
            yield from self._generate(messages, options, response)
        finally:
            with self._active_lock:
                self._active -= 1

    def _generate(self, messages: list[Message], options: GenerationOptions, response: Response) -> Iterator[str]:
        params = dict(model=self.settings.model, messages=messages, max_tokens=options.max_tokens,
                      temperature=options.temperature, top_p=options.top_p)
        if options.stop:
            params["stop"] = options.stop
        if options.seed is not None:
            params["seed"] = options.seed
        if not response.stream:
            yield from self._whole(params, response)
            return
        params.update(stream=True, stream_options={"include_usage": True})
        try:
            stream = self.client.chat.completions.create(**params)
            try:
                for chunk in stream:
                    if response.cancelled:
                        break
                    if chunk.usage:
                        response.usage.prompt_tokens = chunk.usage.prompt_tokens or 0
                        response.usage.completion_tokens = chunk.usage.completion_tokens or 0
                    for choice in chunk.choices:
                        if choice.finish_reason:
                            response.finish_reason = choice.finish_reason
                        if choice.delta and choice.delta.content:
                            yield choice.delta.content
            finally:
                stream.close()
        except openai.OpenAIError as exc:
            raise self._translate(exc) from None

    def _whole(self, params: dict, response: Response) -> Iterator[str]:
        """The reply in one piece: one JSON body to parse instead of an event per token."""
        try:
            completion = self.client.chat.completions.create(**params)
        except openai.OpenAIError as exc:
            raise self._translate(exc) from None
        if completion.usage:
            response.usage.prompt_tokens = completion.usage.prompt_tokens or 0
            response.usage.completion_tokens = completion.usage.completion_tokens or 0
        choice = completion.choices[0] if completion.choices else None
        response.finish_reason = choice.finish_reason if choice else None
        if choice and choice.message and choice.message.content:
            yield choice.message.content

    def _translate(self, exc: openai.OpenAIError) -> errors.LLMError:
        """An SDK error as the project's type, saying what to fix; the key is never shown."""
        where = f"{self.base_url} (model {self.model_id!r})"
        detail = self._redact(getattr(exc, "message", None) or str(exc))
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            return errors.BackendAuthError(
                f"{where} refused the API key: check models.{self.model_id}.api_key or OPENAI_API_KEY.")
        if isinstance(exc, openai.RateLimitError):
            return errors.BackendRateLimitError(f"{where} is rate limiting requests: wait and retry. ({detail})")
        if isinstance(exc, openai.APITimeoutError):
            return errors.BackendTimeoutError(
                f"{where} did not answer within {self.settings.timeout:g} s: "
                f"raise models.{self.model_id}.timeout or ask for fewer max_tokens.")
        if isinstance(exc, openai.APIConnectionError):
            return errors.BackendConnectionError(
                f"Cannot reach {where}: check models.{self.model_id}.base_url and that the server is running.")
        if isinstance(exc, openai.NotFoundError):
            return errors.BackendBadRequestError(
                f"{where} does not know the model {self.settings.model!r} or the path: "
                f"check models.{self.model_id}.model and base_url. ({detail})", param="model")
        if isinstance(exc, openai.BadRequestError | openai.UnprocessableEntityError):
            if "context" in detail.lower() and ("length" in detail.lower() or "window" in detail.lower()):
                return errors.ContextLengthError(
                    f"The text plus max_tokens is too long for {where}: shorten the text or lower max_tokens. "
                    f"({detail})", param="max_tokens")
            return errors.BackendBadRequestError(f"{where} rejected the request: {detail}")
        return errors.BackendError(f"{where} failed: {detail}")

    def _redact(self, text: str) -> str:
        return text.replace(self._key, "***") if self._key else text


if __name__ == "__main__":
    from llms.cli import main

    sys.exit(main(backend="openai", default_model_id="chatgpt"))
