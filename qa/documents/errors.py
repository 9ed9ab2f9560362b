"""The errors a document upload can meet: each says what is wrong with the file and what to do, with a 4xx status.

Statuses: 415 for a type the readers do not take (the request is fine, its media type is not);
413 for a file or a text over a configured bound; 422 for everything else about the content.
422 rather than 400: the request itself is well formed (a file arrived and its name says a
supported type) but its content cannot be processed (RFC 9110 §15.5.21), and 400 stays with
malformed requests (a missing field, a bad JSON body), which the web layer's validation raises.
Each error is an `llms.errors.LLMError`, so `webapp/errors.py` renders it as
`{"error": {"message", "type", "param"}}` with `param` = "file".
"""

from __future__ import annotations

from llms.errors import InvalidRequestError

SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".docx")


class DocumentError(InvalidRequestError):
    """Base of every document error: a problem with the uploaded file, never with the server."""

    status = 422
    type = "invalid_document"

    def __init__(self, message: str, *, param: str | None = "file"):
        super().__init__(message, param=param)


class UnsupportedDocumentError(DocumentError):
    """A file type no reader takes (by its name)."""

    status = 415
    type = "unsupported_document_type"


class DocumentTooLargeError(DocumentError):
    """The file, its page count, its unpacked size or its text is over a configured bound."""

    status = 413
    type = "document_too_large"


class EmptyDocumentError(DocumentError):
    """A file of zero bytes, or one whose text is only whitespace."""

    type = "empty_document"


class DocumentTypeMismatchError(DocumentError):
    """The content is not what the file's name says (a .pdf that is not a PDF, say)."""

    type = "document_type_mismatch"


class EncryptedDocumentError(DocumentError):
    """A password-protected PDF (or one whose encryption this server cannot undo)."""

    type = "encrypted_document"


class NoTextError(DocumentError):
    """A PDF with no extractable text: scanned pages need OCR first."""

    type = "no_extractable_text"


class DocumentReadError(DocumentError):
    """A damaged file its reader cannot parse."""

    type = "unreadable_document"
