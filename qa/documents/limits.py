"""The bounds a reader keeps to, whatever the file: bytes in, pages, unpacked bytes, characters out."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from qa.documents.errors import DocumentTooLargeError, EmptyDocumentError

DEFAULT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_DOCUMENT_CHARS = 10_000_000
DEFAULT_MAX_DOCUMENT_PAGES = 5_000
DEFAULT_MAX_UNPACKED_BYTES = 256 * 1024 * 1024
DEFAULT_MAX_READ_SECONDS = 120.0


class DocumentLimits(BaseModel):
    """Bounds for `read_document`. A file over one gets `DocumentTooLargeError` (413).

    `max_unpacked_bytes` bounds decompression: the sum of a DOCX's zip entries as declared
    (Python's zipfile stops at the declared size, so a lying entry fails its CRC instead of
    growing), and the sum of a PDF's decoded page content streams, each of which pypdf also
    bounds on its own. `max_chars` bounds the extracted text, checked page by page and
    paragraph by paragraph so the reader stops early. `max_seconds` bounds the time a PDF
    takes (pypdf's work per operator is large enough for a small file to hold it for minutes).
    """

    model_config = ConfigDict(frozen=True)

    max_bytes: int = Field(DEFAULT_MAX_UPLOAD_BYTES, ge=1)
    max_chars: int = Field(DEFAULT_MAX_DOCUMENT_CHARS, ge=1)
    max_pages: int = Field(DEFAULT_MAX_DOCUMENT_PAGES, ge=1)
    max_unpacked_bytes: int = Field(DEFAULT_MAX_UNPACKED_BYTES, ge=1)
    max_seconds: float = Field(DEFAULT_MAX_READ_SECONDS, gt=0)


def check_bytes(filename: str, data: bytes, limits: DocumentLimits) -> None:
    """An empty file or one over `max_bytes` goes no further."""
    if not data:
        raise EmptyDocumentError(f"{filename!r} is empty (0 bytes). Check that the file was saved and upload it again.")
    if len(data) > limits.max_bytes:
        raise DocumentTooLargeError(
            f"{filename!r} is {_mb(len(data))}; the limit is {_mb(limits.max_bytes)} (setting max_upload_bytes). "
            "Split the document into smaller files.")


def check_text_size(filename: str, text: str, limits: DocumentLimits) -> None:
    """Text that is only whitespace, or longer than `max_chars`, is refused."""
    if len(text) > limits.max_chars:
        raise too_many_chars(filename, limits)
    if not text.strip():
        raise EmptyDocumentError(f"{filename!r} has no text, only whitespace. Upload a file with text in it.")


def too_many_chars(filename: str, limits: DocumentLimits) -> DocumentTooLargeError:
    return DocumentTooLargeError(
        f"{filename!r} has more than {limits.max_chars:,} characters of text (setting max_document_chars). "
        "Split the document into smaller files.")


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MiB" if n >= 1024 * 1024 else f"{n:,} bytes"
