"""Read a PDF with pypdf, page by page and within bounds; refuse encrypted and text-less files, warn on near-empty pages.

pypdf bounds each stream on its own (decompressed size, decoding work, parsing work, form
XObjects per page); on top of that this reader caps the page count, the decoded size of
all page content streams together and the characters extracted, checking before each page,
and the time spent (`max_seconds`: between pages, and inside a page whose content is large,
where a few kilobytes of compressed operators can keep pypdf busy for minutes; pypdf parses
a whole content stream before the first operator is seen, so the tokens of one stream are
capped at MAX_STREAM_TOKENS too), so a PDF bomb stops early with `DocumentTooLargeError`. Text comes from pypdf's "plain"
extraction mode, the fastest it has ("layout" is slower and pads lines with spaces); the
pages then go through `pdf_text.clean_pages`.

pypdf is pure Python and holds the GIL, so a PDF of PARALLEL_MIN_PAGES pages or more is read
in contiguous page ranges by a small pool of worker processes (one per core, at most
MAX_WORKERS; started once, by forkserver, so they do not inherit the app's threads or models),
each under the same bounds and deadline; the totals are checked again when the parts come back.
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager

from pypdf import PdfReader, PasswordType, apply_configuration
from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError, PdfReadError
from pypdf.generic import ArrayObject, StreamObject

from qa.documents.document import DocumentText, Span
from qa.documents import errors
from qa.documents.errors import (
    DocumentError, DocumentReadError, DocumentTooLargeError, EncryptedDocumentError, NoTextError,
)
from qa.documents.limits import DocumentLimits, too_many_chars
from qa.documents.pdf_text import clean_pages
from qa.documents.sniff import check_pdf
from qa.documents.text_reader import normalize_text

log = logging.getLogger(__name__)

MAX_STREAM_TOKENS = 500_000  # operands and operators in one content stream (pypdf: 2 M); a text page has ~10 k
WATCHED_PAGE_BYTES = 256 * 1024  # a page with more content than this is watched for the deadline while read
SPARSE_PAGE_CHARS = 50  # a page with fewer non-space characters "carries almost no text"
PARALLEL_MIN_PAGES = 16  # fewer pages are read in the calling thread (a pool's round trip is not worth it)
MAX_WORKERS = 4
_OCR_HINT = "Run it through OCR first (for example `ocrmypdf in.pdf out.pdf`) and upload the result."


def read_pdf(filename: str, data: bytes, limits: DocumentLimits) -> DocumentText:
    check_pdf(filename, data)
    deadline = time.monotonic() + limits.max_seconds
    with _reading(filename, limits):
        reader = _open(filename, data)
        count = _page_count(filename, reader, limits)
        parts = _ranges(count)
        if len(parts) == 1:
            pages, skipped, chars, unpacked = _extract(filename, reader, limits, 0, count, deadline)
    if len(parts) > 1:
        pages, skipped, chars, unpacked = _in_workers(filename, data, limits, parts, deadline)
    if unpacked > limits.max_unpacked_bytes:
        raise _too_unpacked(filename, limits)
    if chars > limits.max_chars:
        raise too_many_chars(filename, limits)
    return _document(filename, pages, skipped)


@contextmanager
def _reading(filename: str, limits: DocumentLimits):
    """pypdf's own bounds set for this read, and whatever pypdf raises turned into a DocumentError."""
    stream_cap = min(limits.max_unpacked_bytes, 75_000_000)
    try:
        with apply_configuration(zlib_maximum_output_length=stream_cap, lzw_maximum_output_length=stream_cap,
                                 run_length_maximum_output_length=stream_cap,
                                 brotli_maximum_output_length=stream_cap,
                                 array_based_stream_maximum_output_length=stream_cap,
                                 stream_parsing_work_maximum_count=MAX_STREAM_TOKENS):
            yield
    except DocumentError:
        raise
    except LimitReachedError as exc:
        raise DocumentTooLargeError(
            f"{filename!r} has a part larger than this server unpacks ({exc}). If the PDF is genuine, "
            "print it to a new PDF or split it, then upload that.") from exc
    except FileNotDecryptedError as exc:
        raise _encrypted(filename) from exc
    except Exception as exc:  # pypdf raises many types on damaged input; none of them is a server fault
        log.info("unreadable PDF %r: %s: %s", filename, type(exc).__name__, exc)
        raise DocumentReadError(
            f"{filename!r} could not be read as a PDF ({type(exc).__name__}); the file may be damaged. "
            "Open it in a PDF viewer and save or print it to a new PDF, then upload that.") from exc


def _ranges(count: int) -> list[tuple[int, int]]:
    """Contiguous page ranges, one per worker, or the whole document when it is short or there is one core."""
    workers = min(MAX_WORKERS, os.cpu_count() or 1)
    if count < PARALLEL_MIN_PAGES or workers < 2:
        return [(0, count)]
    step = -(-count // workers)
    return [(start, min(start + step, count)) for start in range(0, count, step)]


_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _workers() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=min(MAX_WORKERS, os.cpu_count() or 1),
                                        mp_context=multiprocessing.get_context("forkserver"))
        return _pool


def _in_workers(filename: str, data: bytes, limits: DocumentLimits, parts: list[tuple[int, int]],
                deadline: float) -> tuple[list[str], list[int], int, int]:
    global _pool
    try:
        futures = [_workers().submit(_extract_part, filename, data, limits, a, b, deadline) for a, b in parts]
        results = [future.result(timeout=max(0.0, deadline - time.monotonic()) + 30) for future in futures]
    except BrokenProcessPool:  # a worker died (killed, out of memory): start a new pool next time, read here now
        log.warning("the PDF reader's worker processes stopped; reading %r in this process", filename)
        with _pool_lock:
            _pool = None
        with _reading(filename, limits):
            return _extract(filename, _open(filename, data), limits, 0, parts[-1][1], deadline)
    pages: list[str] = []
    skipped: list[int] = []
    chars = unpacked = 0
    for result in results:
        if result[0] == "error":
            raise getattr(errors, result[1])(result[2])
        _, part_pages, part_skipped, part_chars, part_unpacked = result
        pages += part_pages
        skipped += part_skipped
        chars += part_chars
        unpacked += part_unpacked
    return pages, skipped, chars, unpacked


def _extract_part(filename: str, data: bytes, limits: DocumentLimits, start: int, stop: int, deadline: float):
    """In a worker process: pages [start, stop) as ("ok", pages, skipped, chars, unpacked) or ("error", class, message)."""
    try:
        with _reading(filename, limits):
            return ("ok", *_extract(filename, _open(filename, data), limits, start, stop, deadline))
    except DocumentError as exc:
        return "error", type(exc).__name__, exc.message


def _open(filename: str, data: bytes) -> PdfReader:
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")  # an owner password alone (print/copy restrictions) opens with ""
        except DependencyError as exc:
            raise EncryptedDocumentError(
                f"{filename!r} is encrypted with AES, which this server cannot decrypt (the `cryptography` "
                "package is not installed). Save an unencrypted copy (print to PDF) and upload that.") from exc
        if opened == PasswordType.NOT_DECRYPTED:
            raise _encrypted(filename)
    return reader


def _encrypted(filename: str) -> EncryptedDocumentError:
    return EncryptedDocumentError(
        f"{filename!r} is password-protected. Open it with its password and save an unprotected copy "
        "(for example print it to PDF, or `qpdf --decrypt --password=... in.pdf out.pdf`), then upload that.")


class _OutOfTime(BaseException):
    """Raised from inside pypdf's extraction loop; a BaseException so pypdf's own `except Exception` lets it through."""


def _deadline_visitor(deadline: float):
    calls = 0

    def visit(operator, operands, cm, tm) -> None:
        nonlocal calls
        calls += 1
        if not calls & 1023 and time.monotonic() > deadline:
            raise _OutOfTime

    return visit


def _page_count(filename: str, reader: PdfReader, limits: DocumentLimits) -> int:
    count = len(reader.pages)
    if count == 0:
        raise DocumentReadError(f"{filename!r} has no pages. Check that the file is complete and upload it again.")
    if count > limits.max_pages:
        raise DocumentTooLargeError(
            f"{filename!r} has {count:,} pages; the limit is {limits.max_pages:,} (setting max_document_pages). "
            "Split the PDF into smaller files.")
    return count


def _extract(filename: str, reader: PdfReader, limits: DocumentLimits, start: int, stop: int,
             deadline: float) -> tuple[list[str], list[int], int, int]:
    """The text of pages [start, stop), the numbers of pages skipped because a part of them is over pypdf's
    bounds, and the characters and unpacked bytes read (each range within the bounds; the caller sums them)."""
    pages: list[str] = []
    skipped: list[int] = []
    chars = unpacked = 0
    for number in range(start + 1, stop + 1):
        page = reader.pages[number - 1]
        try:
            size = _content_size(page)
        except LimitReachedError:
            skipped.append(number)
            pages.append("")
            continue
        unpacked += size
        if unpacked > limits.max_unpacked_bytes:
            raise _too_unpacked(filename, limits)
        if time.monotonic() > deadline:
            raise _too_slow(filename, limits)
        # pypdf skips the content of figure-only pages unless a visitor watches, so only a big page gets one
        visitor = _deadline_visitor(deadline) if size > WATCHED_PAGE_BYTES else None
        try:
            text = normalize_text(page.extract_text(extraction_mode="plain", visitor_operand_before=visitor))
        except _OutOfTime:
            raise _too_slow(filename, limits) from None
        except LimitReachedError:
            skipped.append(number)
            text = ""
        chars += len(text)
        if chars > limits.max_chars:
            raise too_many_chars(filename, limits)
        pages.append(text)
    return pages, skipped, chars, unpacked


def _too_unpacked(filename: str, limits: DocumentLimits) -> DocumentTooLargeError:
    return DocumentTooLargeError(
        f"{filename!r}'s pages unpack to more than {limits.max_unpacked_bytes:,} bytes (setting "
        "max_unpacked_bytes). Split the PDF into smaller files.")


def _too_slow(filename: str, limits: DocumentLimits) -> DocumentTooLargeError:
    return DocumentTooLargeError(
        f"Reading {filename!r} took more than {limits.max_seconds:g} s (setting max_read_seconds): the PDF is very "
        "large or unusually built. Split it, or print it to a new PDF, and upload that.")


def _content_size(page) -> int:
    """Decoded bytes of the page's content streams (pypdf keeps the decoded data, so text extraction reuses it)."""
    contents = page.get("/Contents")
    if contents is None:
        return 0
    contents = contents.get_object()
    streams = contents if isinstance(contents, ArrayObject) else [contents]
    size = 0
    for stream in streams:
        stream = stream.get_object()
        if isinstance(stream, StreamObject):
            size += len(stream.get_data())
    return size


def _document(filename: str, pages: list[str], skipped: list[int]) -> DocumentText:
    text, spans = clean_pages(pages)
    page_chars = [len("".join(text[a:b].split())) for a, b in spans]
    too_big = (f"Page(s) {_page_list(skipped)} of {filename!r} are too large or complex to read (a content stream "
               "over this server's bounds)")
    if skipped and not any(page_chars):
        raise DocumentTooLargeError(too_big + ". If the PDF is genuine, print it to a new PDF and upload that.")
    if not any(page_chars):
        raise NoTextError(
            f"{filename!r} has no extractable text in its {len(pages)} page(s): it is probably scanned images. "
            + _OCR_HINT)
    warnings: list[str] = [too_big + " and were left out."] if skipped else []
    read = {n: chars for n, chars in enumerate(page_chars, 1) if n not in skipped}
    sparse = [n for n, chars in read.items() if chars < SPARSE_PAGE_CHARS]
    if len(sparse) * 2 >= len(read):
        warnings.append(
            f"{len(sparse)} of {len(read)} pages carry almost no text (fewer than {SPARSE_PAGE_CHARS} characters "
            f"each, {sum(read.values())} in all): the PDF is probably scanned images, and only a few words were "
            "read. " + _OCR_HINT)
    elif any(chars == 0 for chars in read.values()):
        empty = [n for n, chars in read.items() if chars == 0]
        warnings.append(f"Page(s) {_page_list(empty)} have no text (images or blank pages); their content, "
                        "if any, is not in the chunks.")
    return DocumentText(text=text, kind="pdf", pages=len(pages), warnings=tuple(warnings),
                        spans=tuple(Span("page", n, a, b) for n, (a, b) in enumerate(spans, 1)))


def _page_list(numbers: list[int], most: int = 20) -> str:
    shown = ", ".join(map(str, numbers[:most]))
    return shown + (f" and {len(numbers) - most} more" if len(numbers) > most else "")
