"""Generation options with bounds, shared by every backend, the CLI and the web app."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from llms.errors import InvalidRequestError

MAX_TOKENS_LIMIT = 8192
MAX_STOPS = 4  # as the OpenAI API
STOP_MAX_CHARS = 200
DEFAULT_MAX_TOKENS = 512
DEFAULT_TEMPERATURE = 0.7

# The bounds every place that takes these options shares (options, config defaults, /ask).
MaxTokens = Annotated[int, Field(ge=1, le=MAX_TOKENS_LIMIT)]
Temperature = Annotated[float, Field(ge=0.0, le=2.0)]
TopP = Annotated[float, Field(gt=0.0, le=1.0)]
Stop = Annotated[str, Field(min_length=1, max_length=STOP_MAX_CHARS)]


class GenerationOptions(BaseModel):
    """What a caller may tune for one reply."""

    model_config = ConfigDict(extra="forbid")

    max_tokens: MaxTokens = Field(DEFAULT_MAX_TOKENS, description="Most tokens to generate.")
    temperature: Temperature = Field(DEFAULT_TEMPERATURE, description="0 means greedy decoding.")
    top_p: TopP = Field(1.0, description="Nucleus sampling mass.")
    stop: list[Stop] = Field(default_factory=list, max_length=MAX_STOPS, description="Strings that end the reply.")
    seed: int | None = Field(None, ge=0, le=2**32 - 1, description="Sampling seed, for repeatable replies.")

    @classmethod
    def build(cls, **values) -> "GenerationOptions":
        """Validate, dropping None values; a bad field raises InvalidRequestError naming it."""
        try:
            return cls(**{k: v for k, v in values.items() if v is not None})
        except ValidationError as exc:
            raise invalid_request(exc) from None


def invalid_request(exc: ValidationError) -> InvalidRequestError:
    """Turn pydantic's first complaint into one readable InvalidRequestError."""
    err = exc.errors()[0]
    param = ".".join(str(p) for p in err["loc"]) or None
    return InvalidRequestError(f"{param}: {err['msg']}" if param else err["msg"], param=param)
