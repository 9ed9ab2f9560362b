"""Documents in, chunks out: readers for .txt/.md/.pdf/.docx that return text with offsets, and chunking by paragraph and sentence.

The interface the storage, jobs and web layers call:

    read_document(filename: str, data: bytes, limits: DocumentLimits | None = None) -> DocumentText
        DocumentText: text, kind ("txt" | "md" | "pdf" | "docx"), spans (Span(kind, number, start, end):
        pages of a PDF, paragraphs and tables of a DOCX, paragraphs of text), pages (PDF page count),
        encoding (text files), warnings (sentences for the user), chars, span_at(offset), page_at(offset).
        Raises a DocumentError (qa.documents.errors; 413, 415 or 422, param "file").

    chunk_text(text: str, *, max_size: int, overlap: int = 0, measure=len) -> list[Chunk]
        Chunk(index, start, end, text, size) with text == document_text[start:end].

    ChunkSettings(size=2000, overlap=0)       per-document size and overlap, bounded (pydantic)
    chunk_budget(context_tokens, prompt_tokens, max_tokens, margin=64) -> int    tokens for a local model
    remote_chunk_chars(size, *, context_tokens=None, ...) -> int                 characters for a remote one
    DocumentLimits(max_bytes, max_chars, max_pages, max_unpacked_bytes)         bounds for read_document

`qa.settings.Settings.document_limits()` and `.chunk_settings()` build the last two from the
config file (`max_upload_bytes`, `max_document_chars`, `max_document_pages`,
`max_unpacked_bytes`, `chunk_size`, `chunk_overlap`).
"""

from qa.documents.budget import (
    DEFAULT_CHUNK_OVERLAP, DEFAULT_CHUNK_SIZE, DEFAULT_MARGIN, ChunkSettings, chunk_budget, remote_chunk_chars,
)
from qa.documents.chunking import Chunk, chunk_text
from qa.documents.document import DocumentText, Span
from qa.documents.errors import (
    SUPPORTED_SUFFIXES, DocumentError, DocumentReadError, DocumentTooLargeError, DocumentTypeMismatchError,
    EmptyDocumentError, EncryptedDocumentError, NoTextError, UnsupportedDocumentError,
)
from qa.documents.limits import DocumentLimits
from qa.documents.reader import read_document

__all__ = [
    "DEFAULT_CHUNK_OVERLAP", "DEFAULT_CHUNK_SIZE", "DEFAULT_MARGIN", "SUPPORTED_SUFFIXES", "Chunk", "ChunkSettings",
    "DocumentError", "DocumentLimits", "DocumentReadError", "DocumentText", "DocumentTooLargeError",
    "DocumentTypeMismatchError", "EmptyDocumentError", "EncryptedDocumentError", "NoTextError", "Span",
    "UnsupportedDocumentError", "chunk_budget", "chunk_text", "read_document", "remote_chunk_chars",
]
