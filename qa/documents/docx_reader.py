"""Read a DOCX with python-docx: body paragraphs and tables (a row per line, cells joined by " | ") in document order.

python-docx reads every part of the package into memory and bounds nothing itself (its XML
parser does not resolve entities; lxml refuses huge trees). So before it opens the file
this reader checks the zip's directory: at most MAX_ZIP_ENTRIES entries, whose declared sizes
together stay within `max_unpacked_bytes` (Python's zipfile stops an entry at its declared
size and fails its CRC, so a lying entry cannot grow past it). Text length is checked block
by block. Headers, footers, footnotes, comments and text boxes are not read.
"""

from __future__ import annotations

import io
import logging
import zipfile

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from qa.documents.document import DocumentText, Span
from qa.documents.errors import DocumentError, DocumentReadError, DocumentTooLargeError, EmptyDocumentError
from qa.documents.limits import DocumentLimits, too_many_chars
from qa.documents.sniff import check_docx
from qa.documents.text_reader import normalize_text

log = logging.getLogger(__name__)

MAX_ZIP_ENTRIES = 10_000


def read_docx(filename: str, data: bytes, limits: DocumentLimits) -> DocumentText:
    check_docx(filename, data)
    _check_zip(filename, data, limits)
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = _blocks(filename, document, limits)
    except DocumentError:
        raise
    except Exception as exc:  # python-docx and lxml raise many types on damaged input; none is a server fault
        log.info("unreadable DOCX %r: %s: %s", filename, type(exc).__name__, exc)
        raise DocumentReadError(
            f"{filename!r} could not be read as a Word document ({type(exc).__name__}); it may be damaged. "
            "Open it in Word or LibreOffice, save it again as .docx and upload that.") from exc
    if not blocks:
        raise EmptyDocumentError(f"{filename!r} has no text in its paragraphs or tables. Upload a document with text.")
    parts, spans, at = [], [], 0
    numbers = {"paragraph": 0, "table": 0}
    for kind, text in blocks:
        if parts:
            parts.append("\n\n")
            at += 2
        numbers[kind] += 1
        spans.append(Span(kind, numbers[kind], at, at + len(text)))
        parts.append(text)
        at += len(text)
    return DocumentText(text="".join(parts), kind="docx", spans=tuple(spans))


def _check_zip(filename: str, data: bytes, limits: DocumentLimits) -> None:
    entries = zipfile.ZipFile(io.BytesIO(data)).infolist()
    if len(entries) > MAX_ZIP_ENTRIES:
        raise DocumentTooLargeError(
            f"{filename!r} holds {len(entries):,} files inside; a Word document has far fewer (at most "
            f"{MAX_ZIP_ENTRIES:,} accepted). Save it again from Word or LibreOffice and upload that.")
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > limits.max_unpacked_bytes:
        raise DocumentTooLargeError(
            f"{filename!r} unpacks to {unpacked:,} bytes; the limit is {limits.max_unpacked_bytes:,} (setting "
            "max_unpacked_bytes). Remove large images or split the document, then upload it again.")


def _blocks(filename: str, document, limits: DocumentLimits) -> list[tuple[str, str]]:
    """("paragraph" | "table", text) for each block with text, in document order."""
    blocks: list[tuple[str, str]] = []
    chars = 0
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            kind, text = "paragraph", normalize_text(item.text).strip()
        elif isinstance(item, Table):
            kind, text = "table", _table_text(item)
        else:
            continue
        if not text:
            continue
        chars += len(text) + 2
        if chars > limits.max_chars:
            raise too_many_chars(filename, limits)
        blocks.append((kind, text))
    return blocks


def _table_text(table: Table) -> str:
    """One line per row, the cells of a row joined by " | " (a merged cell once)."""
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(_cell_text(cell))
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def _cell_text(cell) -> str:
    parts = []
    for item in cell.iter_inner_content():
        text = item.text if isinstance(item, Paragraph) else _table_text(item)
        parts.append(" ".join(normalize_text(text).split()))
    return " ".join(part for part in parts if part)
