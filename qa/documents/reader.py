"""`read_document(filename, data)`: pick the reader by the file's name, check size and content, return `DocumentText`."""

from __future__ import annotations

from qa.documents.document import DocumentText
from qa.documents.docx_reader import read_docx
from qa.documents.limits import DocumentLimits, check_bytes
from qa.documents.pdf_reader import read_pdf
from qa.documents.sniff import kind_for
from qa.documents.text_reader import read_text


def read_document(filename: str, data: bytes, limits: DocumentLimits | None = None) -> DocumentText:
    """The text of an uploaded file, by its name's suffix (.txt, .md, .pdf, .docx).

    Raises a `DocumentError` (an `llms.errors.LLMError` with a 4xx status) for anything
    wrong with the file; see `qa.documents.errors`. Never raises for a server fault on
    bad input: readers turn their libraries' exceptions into `DocumentReadError`.
    """
    limits = limits or DocumentLimits()
    kind = kind_for(filename)
    check_bytes(filename, data, limits)
    if kind == "pdf":
        return read_pdf(filename, data, limits)
    if kind == "docx":
        return read_docx(filename, data, limits)
    return read_text(filename, data, kind, limits)
