"""Documents in, chunks out: readers for .txt/.md/.pdf/.docx that return text with offsets, and chunking by paragraph and sentence.

The interface the storage, jobs and web layers call:

    read_document(filename: str, data: bytes, limits: DocumentLimits | None = None) -> DocumentText
        DocumentText: text, kind ("txt" | "md" | "pdf" | "docx"), spans (Span(kind, number, start, end):
        pages of a PDF, paragraphs and tables of a DOCX, paragraphs of text), pages (PDF page count),
        encoding (text files), warnings (sentences for the user), chars, span_at(offset), page_at(offset).
        Raises a DocumentError (qa.documents.errors; 413, 415 or 422, param "file").

    text_document(name: str, text: str, limits: DocumentLimits | None = None) -> DocumentText
        The same for text sent as text (JSON {"name", "text"}): normalised, bounded, paragraph spans.

    chunk_text(text: str, *, max_size: int, overlap: int = 0, measure=len) -> list[Chunk]
        Chunk(index, start, end, text, size) with text == document_text[start:end].

    chunk_document(text, settings: ChunkSettings, *, measure=len, limit=None) -> list[Chunk]
        chunk_text with a document's settings, capped at `limit` (a model's budget) when given.
    ChunkSettings(size=2000, overlap=0)       per-document size and overlap, bounded (pydantic)
    chunk_budget(context_tokens, prompt_tokens, max_tokens, margin=64) -> int    tokens for a local model
    remote_chunk_chars(size, *, context_tokens=None, ...) -> int                 characters for a remote one
    DocumentLimits(max_bytes, max_chars, max_pages, max_unpacked_bytes, max_seconds)   bounds for read_document

`qa.settings.Settings.document_limits()` and `.chunk_settings()` build those two from the
config file (`max_upload_bytes`, `max_document_chars`, `max_document_pages`,
`max_unpacked_bytes`, `max_read_seconds`, `chunk_size`, `chunk_overlap`).
"""

from importlib import import_module

# Names load on first use (PEP 562): `qa.settings` imports the defaults from here, and every door
# loads it, so the readers' pypdf, python-docx and lxml (about half a second) wait until a file comes.
_WHERE = {
    "DEFAULT_CHUNK_OVERLAP": "budget", "DEFAULT_CHUNK_SIZE": "budget", "DEFAULT_MARGIN": "budget",
    "ChunkSettings": "budget", "chunk_budget": "budget", "chunk_document": "budget", "remote_chunk_chars": "budget",
    "Chunk": "chunking", "chunk_text": "chunking",
    "DocumentText": "document", "Span": "document",
    "SUPPORTED_SUFFIXES": "errors", "DocumentError": "errors", "DocumentReadError": "errors",
    "DocumentTooLargeError": "errors", "DocumentTypeMismatchError": "errors", "EmptyDocumentError": "errors",
    "EncryptedDocumentError": "errors", "NoTextError": "errors", "UnsupportedDocumentError": "errors",
    "DocumentLimits": "limits",
    "read_document": "reader", "text_document": "text_reader",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
