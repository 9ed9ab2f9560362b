"""A document into the database: read (file or text), chunk with its settings and a model's limit, store; re-chunk.

The one implementation the API, the page and `python -m qa extract` share. A model,
when given, sets the measure (its tokenizer for a local model) and the largest chunk
its context allows beside the system prompt and max_tokens.
"""

from __future__ import annotations

from collections.abc import Callable

from llms.base import RemoteLLMs
from qa.documents import ChunkSettings, DocumentLimits, chunk_budget, chunk_document, read_document, text_document
from qa.store import Database, Document
from qa.store import documents as store

Measure = Callable[[str], int]


def model_measure(model: RemoteLLMs | None, *, prompt: str = "", max_tokens: int = 512
                  ) -> tuple[Measure, int | None]:
    """(measure, limit) for chunks a model reads: its tokenizer and `chunk_budget` for a local model;
    characters and no limit beyond the document's size for a remote one (its context is not known here)."""
    if model is None or not hasattr(model, "render"):
        return len, None
    loaded = model.load()
    tokenizer = loaded.tokenizer
    prompt_tokens = len(model.render(model.create_prompt("", prompt or None)))
    limit = chunk_budget(loaded.context_length, prompt_tokens, max_tokens)
    return (lambda text: len(tokenizer.encode(text, add_special_tokens=False))), limit


def ingest(db: Database, name: str, *, data: bytes | None = None, text: str | None = None,
           settings: ChunkSettings, limits: DocumentLimits | None = None,
           measure: Measure = len, limit: int | None = None) -> tuple[Document, int]:
    """Read a file (`data`) or a text, chunk it and store both; (document, chunk count).
    Raises qa.documents' DocumentError (4xx) for what cannot be read."""
    doc = read_document(name, data, limits) if data is not None else text_document(name, text or "", limits)
    chunks = chunk_document(doc.text, settings, measure=measure, limit=limit)
    stored = store.add_document(db, name=name, kind=doc.kind, text=doc.text, chunks=chunks,
                                chunk_size=settings.size, chunk_overlap=settings.overlap, pages=doc.pages,
                                warnings=doc.warnings)
    return stored, len(chunks)


def rechunk(db: Database, document: Document, settings: ChunkSettings, *, measure: Measure = len,
            limit: int | None = None) -> tuple[Document, int] | None:
    """Chunk a stored document (as read by the caller) again with new settings; None when it is gone meanwhile.
    Raises qa.store.documents.DocumentBusy while a job of it is unfinished."""
    chunks = chunk_document(document.text, settings, measure=measure, limit=limit)
    doc = store.rechunk(db, document.id, chunks, chunk_size=settings.size, chunk_overlap=settings.overlap)
    return (doc, len(chunks)) if doc is not None else None


def check_chunks_fit(db: Database, document_id: int, model: RemoteLLMs, *, prompt: str | None,
                     max_tokens: int, sample: int = 5) -> None:
    """For a local model: the document's longest chunks fit its context beside the system prompt and max_tokens,
    else ContextLengthError (400) saying how to re-chunk. Remote models are not counted here (no tokenizer)."""
    if not hasattr(model, "render"):
        return
    import prompts as presets
    from llms.errors import ContextLengthError

    if prompt is None:  # the preset for the text's language: take the longer of the two
        prompt = max((presets.load_preset(presets.default_preset(model.preset_family, lang)) for lang in ("zh", "en")),
                     key=len)
    measure, limit = model_measure(model, prompt=prompt, max_tokens=max_tokens)
    worst = max(map(measure, store.longest_chunks(db, document_id, sample)), default=0)
    if limit is not None and worst > limit:
        raise ContextLengthError(
            f"The longest chunks of document {document_id} take {worst} tokens of {model.model_id!r}, which leaves "
            f"room for {limit} beside the system prompt and max_tokens {max_tokens}. Re-chunk the document for this "
            f"model (PATCH /api/documents/{document_id} with \"model\": \"{model.model_id}\", or a smaller "
            "chunk_size) or lower max_tokens.", param="document_id")
