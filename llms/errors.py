"""The project's error types: each says what went wrong and what to fix.

Every error carries an HTTP status and an OpenAI-style `type` and `param`, so the
web app turns any of them into `{"error": {"message", "type", "param"}}` without
knowing where it came from. Messages never contain an API key.
"""

from __future__ import annotations


def error_body(message: str, type_: str, param: str | None = None) -> dict:
    """The OpenAI-style error body `{"error": {"message", "type", "param"}}`."""
    return {"error": {"message": message, "type": type_, "param": param}}


class LLMError(Exception):
    """Base of every error the model layer raises on purpose."""

    status = 500
    type = "server_error"

    def __init__(self, message: str, *, param: str | None = None):
        super().__init__(message)
        self.message = message
        self.param = param

    def to_dict(self) -> dict:
        return error_body(self.message, self.type, self.param)


class ConfigError(LLMError):
    """The config file is missing, unreadable or has a bad field."""

    type = "invalid_config"


class InvalidRequestError(LLMError):
    """A request field is out of bounds or of the wrong type."""

    status = 400
    type = "invalid_request_error"


class NotFoundError(LLMError):
    """A resource (a saved prompt, say) that does not exist."""

    status = 404
    type = "not_found"


class ConflictError(LLMError):
    """A request that clashes with what exists (a duplicate name, say)."""

    status = 409
    type = "conflict"


class UnknownModelError(LLMError):
    """A model id that the config does not define."""

    status = 404
    type = "model_not_found"

    def __init__(self, model_id: str, known: list[str]):
        super().__init__(
            f"Unknown model {model_id!r}; configured models: {', '.join(known) or 'none'}.",
            param="model",
        )
        self.model_id = model_id
        self.known = known


class ModelUnavailableError(LLMError):
    """A configured model that cannot be used now (files missing, load failed)."""

    status = 503
    type = "model_unavailable"


class ContextLengthError(InvalidRequestError):
    """The prompt plus max_tokens does not fit the model's context window."""

    type = "context_length_exceeded"


class BackendError(LLMError):
    """The model endpoint failed; the message says what to fix."""

    status = 502
    type = "upstream_error"


class BackendAuthError(BackendError):
    type = "authentication_error"


class BackendRateLimitError(BackendError):
    status = 429
    type = "rate_limit_error"


class BackendTimeoutError(BackendError):
    status = 504
    type = "timeout_error"


class BackendConnectionError(BackendError):
    type = "connection_error"


class BackendBadRequestError(BackendError):
    status = 400
    type = "invalid_request_error"


class ServerBusyError(LLMError):
    """The local engine's queue is full; the client should retry later."""

    status = 503
    type = "server_busy"
    retry_after = 1
