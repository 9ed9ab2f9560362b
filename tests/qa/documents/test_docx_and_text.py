"""DOCX (python-docx) and text readers on real files: order, tables, encodings, bounds."""

from __future__ import annotations

import codecs

import pytest

from qa.documents import (
    DocumentLimits, DocumentReadError, DocumentTooLargeError, EmptyDocumentError, read_document, text_document,
)
from tests.qa.documents.files import corpus_paragraphs, make_docx, with_zip_entry

BLOCKS = [
    ("heading", "Quarterly report"),
    "The first paragraph comes before the table.",
    [["Name", "Role", "Since"], ["Ada", "Engineer", "2019"], ["Grace", "Admiral", "1943"]],
    "",
    "The last paragraph follows the table. 它也有中文。",
]


def test_docx_paragraphs_and_tables_in_document_order():
    document = read_document("report.docx", make_docx(BLOCKS))
    assert document.kind == "docx" and document.pages is None and document.warnings == ()
    assert document.text == (
        "Quarterly report\n\n"
        "The first paragraph comes before the table.\n\n"
        "Name | Role | Since\nAda | Engineer | 2019\nGrace | Admiral | 1943\n\n"
        "The last paragraph follows the table. 它也有中文。")
    kinds = [(span.kind, span.number) for span in document.spans]
    assert kinds == [("paragraph", 1), ("paragraph", 2), ("table", 1), ("paragraph", 3)]
    table = document.spans[2]
    assert document.text[table.start:table.end].startswith("Name | Role")
    assert document.span_at(document.text.index("Grace")) == table


def test_docx_of_a_whole_corpus_keeps_every_paragraph():
    paragraphs = corpus_paragraphs("squad_dev_sample.json")
    document = read_document("squad.docx", make_docx(paragraphs))
    assert document.text == "\n\n".join(paragraphs)


def test_docx_without_text_is_empty():
    with pytest.raises(EmptyDocumentError) as err:
        read_document("blank.docx", make_docx(["", "   "]))
    assert err.value.status == 422


def test_zip_bomb_docx_is_refused_before_unpacking():
    bomb = with_zip_entry(make_docx(["Hello."]), "word/media/zeros.bin", bytes(3_000_000))
    assert len(bomb) < 100_000
    with pytest.raises(DocumentTooLargeError) as err:
        read_document("bomb.docx", bomb, DocumentLimits(max_unpacked_bytes=1_000_000))
    assert err.value.status == 413 and "max_unpacked_bytes" in err.value.message


def test_docx_text_is_bounded():
    with pytest.raises(DocumentTooLargeError):
        read_document("long.docx", make_docx(["x" * 500] * 10), DocumentLimits(max_chars=2000))


def test_docx_with_broken_xml_is_a_read_error():
    import io
    import zipfile
    good = make_docx(["Hello."])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            dst.writestr(item, b"<w:document><unclosed" if item.filename == "word/document.xml" else body)
    with pytest.raises(DocumentReadError) as err:
        read_document("broken.docx", out.getvalue())
    assert err.value.status == 422 and "damaged" in err.value.message


ZH = "长江是亚洲第一长河。\n\n全长约6300公里，流经青海、西藏等省区。"


@pytest.mark.parametrize("encoded,encoding", [
    (ZH.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + ZH.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF16_LE + ZH.encode("utf-16-le"), "utf-16-le"),
    (codecs.BOM_UTF16_BE + ZH.encode("utf-16-be"), "utf-16-be"),
    (codecs.BOM_UTF32_LE + ZH.encode("utf-32-le"), "utf-32-le"),
    (ZH.encode("gb18030"), "gb18030"),
])
def test_text_encodings(encoded, encoding):
    document = read_document("notes.txt", encoded)
    assert document.text == ZH and document.encoding == encoding and document.warnings == ()


def test_utf16_without_bom_is_recognised():
    text = "Plain English notes, saved as UTF-16 by an old editor.\nSecond line."
    assert read_document("notes.txt", text.encode("utf-16-le")).text == text


def test_legacy_western_text_is_read_with_a_warning():
    document = read_document("notes.txt", "Café crème, naïve façade.".encode("cp1252"))
    assert document.text == "Café crème, naïve façade." and document.encoding == "cp1252"
    assert "Windows-1252" in document.warnings[0]


def test_gb18030_corpus_paragraphs_round_trip():
    text = "\n\n".join(corpus_paragraphs("cmrc2018_dev.json")[:40])
    assert read_document("legacy.txt", text.encode("gb18030")).text == text


def test_line_ends_and_paragraph_spans():
    document = read_document("notes.md", b"# Title\r\n\r\nFirst line\r\nsecond line\rthird\n\n\n  Last  \n")
    assert document.kind == "md"
    assert document.text == "# Title\n\nFirst line\nsecond line\nthird\n\n\n  Last  \n"
    assert [document.text[s.start:s.end] for s in document.spans] == [
        "# Title", "First line\nsecond line\nthird", "Last"]


def test_whitespace_only_text_is_empty():
    with pytest.raises(EmptyDocumentError):
        read_document("blank.txt", b" \r\n\t\n")


def test_text_sent_as_text_is_read_like_a_txt_upload():
    document = text_document("notes", "Line one\r\n\r\nLine two\x00")
    assert document.kind == "txt" and document.encoding is None
    assert document.text == "Line one\n\nLine two" == read_document("notes.txt", b"Line one\r\n\r\nLine two").text
    assert [document.text[s.start:s.end] for s in document.spans] == ["Line one", "Line two"]
    assert text_document("readme.md", "# Hi").kind == "md"
    with pytest.raises(EmptyDocumentError):
        text_document("blank", " \n ")
    with pytest.raises(DocumentTooLargeError):
        text_document("long", "x" * 101, DocumentLimits(max_chars=100))
