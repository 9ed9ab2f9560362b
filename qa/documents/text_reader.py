"""Read a .txt or .md file: find its encoding (BOM, UTF-8, UTF-16, GB18030, Windows-1252) and normalise line ends."""

from __future__ import annotations

import codecs
import re

from prompts.language import CJK_RANGES
from qa.documents.document import DocumentKind, DocumentText, Span
from qa.documents.errors import DocumentTypeMismatchError
from qa.documents.limits import DocumentLimits, check_text_size
from qa.documents.segments import paragraph_spans
from qa.documents.sniff import check_text

_BOMS = (  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CJK = re.compile(f"[{CJK_RANGES}]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_LINE_ENDS = re.compile(r"\r\n?")
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")  # keeps \t, \n, \f and \r (made \n above)


def decode_text(data: bytes) -> tuple[str, str, list[str]]:
    """(text, encoding, warnings): a BOM wins; else UTF-8; else UTF-16 told by its NUL bytes;
    else GB18030 when it yields mostly Chinese; else Windows-1252, with a warning."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode_or_replace(data[len(bom):], encoding)
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError:
        pass
    utf16 = _utf16_without_bom(data)
    if utf16:
        return _decode_or_replace(data, utf16)
    if b"\x00" in data:
        raise DocumentTypeMismatchError(
            "The file has NUL bytes, so it is binary data rather than text. Upload the document itself "
            "(.pdf, .docx) or save it as UTF-8 text.")
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None and len(_CJK.findall(text)) >= 0.5 * len(_NON_ASCII.findall(text)):
        return text, "gb18030", []
    try:
        text = data.decode("cp1252")
        encoding = "cp1252"
    except UnicodeDecodeError:
        text, encoding = data.decode("latin-1"), "latin-1"
    return text, encoding, [
        "The file is not UTF-8; it was read as Windows-1252 (Western European). If some letters look wrong, "
        "save the file as UTF-8 and upload it again."]


def _decode_or_replace(data: bytes, encoding: str) -> tuple[str, str, list[str]]:
    try:
        return data.decode(encoding), encoding, []
    except UnicodeDecodeError:
        text = data.decode(encoding, errors="replace")
        bad = text.count("\ufffd")
        return text, encoding, [
            f"{bad} invalid byte sequence(s) for {encoding} were replaced by \ufffd; save the file again as "
            "UTF-8 if the text looks wrong."]


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text of mostly ASCII or Latin letters has a NUL in every other byte."""
    head = data[:4096]
    pairs = len(head) // 2
    if pairs < 2 or len(data) % 2:
        return None
    even, odd = head[0:pairs * 2:2].count(0), head[1:pairs * 2:2].count(0)
    if odd > 0.3 * pairs and even < 0.05 * pairs:
        return "utf-16-le"
    if even > 0.3 * pairs and odd < 0.05 * pairs:
        return "utf-16-be"
    return None


def normalize_text(text: str) -> str:
    """"\\r\\n" and "\\r" become "\\n"; a stray BOM and control characters other than tab, newline and
    form feed go; lone surrogates (which pypdf can leave) become U+FFFD and split pairs join, so the
    text encodes as UTF-8 and stores in any database."""
    text = _LINE_ENDS.sub("\n", text).replace("\ufeff", "")
    if _SURROGATE.search(text):
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return _CONTROL.sub("", text)


def read_text(filename: str, data: bytes, kind: DocumentKind, limits: DocumentLimits) -> DocumentText:
    check_text(filename, data)
    text, encoding, warnings = decode_text(data)
    return _document(filename, text, kind, limits, encoding, warnings)


def text_document(name: str, text: str, limits: DocumentLimits | None = None) -> DocumentText:
    """A document from text sent as text (`POST /api/documents` with JSON `{"name", "text"}`):
    the same normalisation, bounds and paragraph spans as a .txt upload; kind "md" when the
    name ends in .md, else "txt"."""
    kind: DocumentKind = "md" if name.lower().endswith(".md") else "txt"
    return _document(name, text, kind, limits or DocumentLimits(), None, [])


def _document(filename: str, text: str, kind: DocumentKind, limits: DocumentLimits,
              encoding: str | None, warnings: list[str]) -> DocumentText:
    text = normalize_text(text)
    check_text_size(filename, text, limits)
    spans = tuple(Span("paragraph", n, start, end) for n, (start, end) in enumerate(paragraph_spans(text), 1))
    return DocumentText(text=text, kind=kind, spans=spans, encoding=encoding, warnings=tuple(warnings))
