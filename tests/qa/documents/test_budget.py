"""Chunk size that fits a model, per-document chunk settings, and their defaults in the config file."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from llms.errors import ContextLengthError
from qa.documents import ChunkSettings, DocumentLimits, chunk_budget, chunk_document, chunk_text, remote_chunk_chars
from qa.settings import Settings


def test_chunk_budget_leaves_room_for_prompt_reply_and_margin():
    assert chunk_budget(4096, prompt_tokens=300, max_tokens=512, margin=64) == 4096 - 300 - 512 - 64


def test_chunk_budget_refuses_a_context_that_leaves_nothing():
    with pytest.raises(ContextLengthError) as err:
        chunk_budget(1024, prompt_tokens=400, max_tokens=600)
    assert err.value.status == 400 and err.value.param == "max_tokens"
    assert "Lower max_tokens" in err.value.message


def test_remote_chunk_chars():
    assert remote_chunk_chars(2000) == 2000
    assert remote_chunk_chars(2000, context_tokens=1200, prompt_tokens=200, max_tokens=512, margin=0) == 488
    assert remote_chunk_chars(2000, context_tokens=128_000, max_tokens=512) == 2000
    assert remote_chunk_chars(5000, context_tokens=2000, max_tokens=500, margin=0, chars_per_token=2.0) == 3000


def test_chunk_settings_bounds():
    assert ChunkSettings() == ChunkSettings(size=2000, overlap=0)
    assert ChunkSettings(size=800, overlap=400).overlap == 400
    for bad in ({"size": 10}, {"size": 10**6}, {"overlap": -1}, {"size": 800, "overlap": 401}):
        with pytest.raises(ValidationError):
            ChunkSettings(**bad)


def test_settings_give_chunk_settings_and_document_limits():
    settings = Settings(chunk_size=1200, chunk_overlap=100, max_upload_bytes=1000, max_document_chars=500,
                        max_document_pages=3, max_unpacked_bytes=9999, max_read_seconds=5)
    assert settings.chunk_settings() == ChunkSettings(size=1200, overlap=100)
    assert settings.document_limits() == DocumentLimits(max_bytes=1000, max_chars=500, max_pages=3,
                                                        max_unpacked_bytes=9999, max_seconds=5)
    with pytest.raises(ValidationError) as err:
        Settings(chunk_size=100, chunk_overlap=60)
    assert "chunk_overlap" in str(err.value)


def test_chunk_document_applies_settings_and_a_model_limit():
    text = " ".join(f"Sentence number {i} is here." for i in range(200))
    settings = ChunkSettings(size=600, overlap=200)
    assert chunk_document(text, settings) == chunk_text(text, max_size=600, overlap=200)
    capped = chunk_document(text, settings, limit=300)
    assert capped == chunk_text(text, max_size=300, overlap=150)
    assert max(c.size for c in capped) <= 300
