"""Tell a file's type from its name and its first bytes, and refuse a file that is not what its name says."""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePath

from qa.documents.document import DocumentKind
from qa.documents.errors import (
    SUPPORTED_SUFFIXES, DocumentReadError, DocumentTypeMismatchError, UnsupportedDocumentError,
)

_KINDS: dict[str, DocumentKind] = {".txt": "txt", ".md": "md", ".pdf": "pdf", ".docx": "docx"}
_SUPPORTED = ", ".join(SUPPORTED_SUFFIXES)

# (magic bytes at offset 0, what the file is, the suffix it should have or None)
_MAGIC: tuple[tuple[bytes, str, str | None], ...] = (
    (b"%PDF-", "a PDF", ".pdf"),
    (b"PK\x03\x04", "a zip archive", None),
    (b"PK\x05\x06", "an empty zip archive", None),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office 97-2003 file (.doc, .xls or .ppt)", None),
    (b"{\\rtf", "an RTF document", None),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", None),
    (b"\xff\xd8\xff", "a JPEG image", None),
    (b"GIF8", "a GIF image", None),
    (b"II*\x00", "a TIFF image", None),
    (b"MM\x00*", "a TIFF image", None),
    (b"\x1f\x8b", "a gzip archive", None),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", None),
    (b"Rar!\x1a\x07", "a RAR archive", None),
    (b"\x7fELF", "a program (ELF)", None),
)


def kind_for(filename: str) -> DocumentKind:
    """The reader a file's name asks for; `UnsupportedDocumentError` (415) for any other name."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix in _KINDS:
        return _KINDS[suffix]
    hint = " Word 97-2003 files: save them as .docx first." if suffix == ".doc" else (
        " Save or export the document as one of these." if suffix else "")
    what = f"{suffix!r} files" if suffix else "a file without a type suffix"
    raise UnsupportedDocumentError(f"Cannot read {what} ({filename!r}); supported types are {_SUPPORTED}.{hint}")


def describe(data: bytes) -> tuple[str, str | None] | None:
    """(what the bytes look like, the suffix that fits) from magic bytes, or None when unknown."""
    for magic, what, suffix in _MAGIC:
        if data.startswith(magic):
            if suffix is None and what == "a zip archive":
                return _describe_zip(data)
            return what, suffix
    if b"%PDF-" in data[:1024]:  # the PDF header may follow some junk
        return "a PDF", ".pdf"
    return None


def _describe_zip(data: bytes) -> tuple[str, str | None]:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return "a damaged zip archive", None
    if "word/document.xml" in names:
        return "a Word document (DOCX)", ".docx"
    if "xl/workbook.xml" in names:
        return "an Excel workbook (XLSX)", None
    if "ppt/presentation.xml" in names:
        return "a PowerPoint presentation (PPTX)", None
    if "mimetype" in names and "content.xml" in names:
        return "an OpenDocument file (ODT/ODS)", None
    return "a zip archive", None


def check_pdf(filename: str, data: bytes) -> None:
    if b"%PDF-" not in data[:1024]:
        raise _mismatch(filename, data, "a PDF")


def check_docx(filename: str, data: bytes) -> None:
    """A DOCX is a zip archive holding word/document.xml."""
    if not data.startswith(b"PK\x03\x04"):
        found = describe(data)
        if found and found[0].startswith("an old Office"):
            raise DocumentTypeMismatchError(
                f"{filename!r} is an old Word 97-2003 document, not a DOCX. Open it in Word or LibreOffice, "
                "save it as .docx and upload that.")
        raise _mismatch(filename, data, "a Word document (DOCX)")
    what, suffix = _describe_zip(data)
    if what == "a damaged zip archive":
        raise DocumentReadError(f"{filename!r} is a damaged zip archive, so not a readable DOCX. "
                                "Open and save it again in Word or LibreOffice, then upload it again.")
    if suffix != ".docx":
        raise DocumentTypeMismatchError(
            f"{filename!r} is {what}, not a Word document (DOCX). Save it as .docx, .pdf or .txt and upload that.")


def check_text(filename: str, data: bytes) -> None:
    """A text file must not be one of the binary formats magic bytes tell apart."""
    found = describe(data)
    if found is not None:
        what, suffix = found
        fix = f" Name it {suffix} and upload it again." if suffix else (
            f" Supported types are {_SUPPORTED}.")
        raise DocumentTypeMismatchError(f"{filename!r} is {what}, not text.{fix}")


def _mismatch(filename: str, data: bytes, expected: str) -> DocumentTypeMismatchError:
    found = describe(data)
    if found is None:
        return DocumentTypeMismatchError(
            f"{filename!r} is not {expected}: its content does not start as one does. Check that the "
            f"file is complete and of the type its name says, then upload it again.")
    what, suffix = found
    fix = f" Name it {suffix} and upload it again." if suffix else f" Supported types are {_SUPPORTED}."
    return DocumentTypeMismatchError(f"{filename!r} is not {expected}; it is {what}.{fix}")
