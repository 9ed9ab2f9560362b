"""How big a chunk may be: the per-document `ChunkSettings` and the size that fits a model's context.

A document is chunked with `ChunkSettings` (size and overlap, both in the unit of the
`measure` the chunker is given): the defaults come from the config file (`chunk_size`,
`chunk_overlap`), and the page and API may set them per document within the bounds here.

A chunk must also fit the model that reads it, next to the system prompt and the reply:

- local models: `chunk_budget(model.context_length, prompt_tokens, max_tokens)` tokens,
  where `prompt_tokens` counts the chat template with the system prompt and an empty
  user message; chunk with `measure` = the model tokenizer's count and
  `max_size = min(settings.size, budget)`;
- remote models (no tokenizer here, and their context is not configured):
  `remote_chunk_chars(settings.size)` characters, cut to what a known context allows at
  `chars_per_token` characters per token (1.0 is safe for Chinese on current tokenizers
  and leaves English, about 4 characters per token, plenty of room).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field, model_validator

from llms.errors import ContextLengthError
from qa.documents.chunking import Chunk, chunk_text

DEFAULT_CHUNK_SIZE = 2000       # characters: a few paragraphs, what QA extraction prompts are tuned for
DEFAULT_CHUNK_OVERLAP = 0       # overlap repeats text, and so questions; off unless asked
MIN_CHUNK_SIZE = 50
MAX_CHUNK_SIZE = 100_000
DEFAULT_MARGIN = 64             # tokens kept free: template tokens and joints the summed measure misses
MIN_BUDGET = 32                 # a smaller chunk leaves the model nothing to ask about


class ChunkSettings(BaseModel):
    """Size and overlap of one document's chunks, in the unit of the chunker's `measure`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    size: int = Field(DEFAULT_CHUNK_SIZE, ge=MIN_CHUNK_SIZE, le=MAX_CHUNK_SIZE,
                      description="Largest chunk (characters, or tokens with a tokenizer measure).")
    overlap: int = Field(DEFAULT_CHUNK_OVERLAP, ge=0, le=MAX_CHUNK_SIZE // 2,
                         description="Tail of the previous chunk repeated at the start of the next.")

    @model_validator(mode="after")
    def _overlap_below_half(self) -> ChunkSettings:
        if self.overlap > self.size // 2:
            raise ValueError(f"overlap ({self.overlap}) must be at most half the chunk size ({self.size})")
        return self


def chunk_budget(context_tokens: int, prompt_tokens: int, max_tokens: int, margin: int = DEFAULT_MARGIN) -> int:
    """Tokens a chunk may take so that prompt + chunk + max_tokens + margin fit the context.

    Raises `ContextLengthError` (400) when fewer than MIN_BUDGET tokens are left: the
    message says which of prompt and max_tokens to shrink.
    """
    budget = context_tokens - prompt_tokens - max_tokens - margin
    if budget < MIN_BUDGET:
        raise ContextLengthError(
            f"The model's context is {context_tokens} tokens; the prompt takes {prompt_tokens} and max_tokens "
            f"asks {max_tokens} (plus a margin of {margin}), which leaves {max(budget, 0)} for a chunk of the "
            f"document, fewer than {MIN_BUDGET}. Lower max_tokens or use a shorter prompt.",
            param="max_tokens")
    return budget


def remote_chunk_chars(size: int, *, context_tokens: int | None = None, prompt_tokens: int = 0,
                       max_tokens: int = 0, margin: int = DEFAULT_MARGIN, chars_per_token: float = 1.0) -> int:
    """Characters per chunk for a model counted without a tokenizer: `size`, cut to the
    context when it is known (`chunk_budget` tokens at `chars_per_token` characters each)."""
    if context_tokens is None:
        return size
    budget = chunk_budget(context_tokens, prompt_tokens, max_tokens, margin)
    return min(size, max(1, math.floor(budget * chars_per_token)))


def chunk_document(text: str, settings: ChunkSettings, *, measure: Callable[[str], int] = len,
                   limit: int | None = None) -> list[Chunk]:
    """Chunk `text` with a document's settings, each chunk at most `limit` too when given (a
    model's `chunk_budget` or `remote_chunk_chars`); the overlap shrinks to half a chunk if the
    limit cuts the size. The one call the API, the page and the command line share."""
    size = settings.size if limit is None else max(1, min(settings.size, limit))
    return chunk_text(text, max_size=size, overlap=min(settings.overlap, size // 2), measure=measure)
