"""Files that are not what their names say, unsupported types, empty and oversized files: each a 4xx error that says what to do."""

from __future__ import annotations

import pytest

from llms.errors import LLMError
from qa.documents import (
    DocumentLimits, DocumentTooLargeError, DocumentTypeMismatchError, EmptyDocumentError, UnsupportedDocumentError,
    read_document,
)
from tests.qa.documents.files import lines_pdf, make_docx, with_zip_entry

OLE_DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


@pytest.fixture(scope="module")
def pdf():
    return lines_pdf([["A small PDF with one line of text on its only page, for the mismatch tests."]])


@pytest.fixture(scope="module")
def docx_file():
    return make_docx(["A small Word document."])


@pytest.mark.parametrize("name", ["sheet.xlsx", "slides.pptx", "page.html", "README", "old.doc"])
def test_unsupported_types_are_415_and_list_the_supported_ones(name):
    with pytest.raises(UnsupportedDocumentError) as err:
        read_document(name, b"whatever")
    assert err.value.status == 415 and err.value.type == "unsupported_document_type"
    assert ".txt, .md, .pdf, .docx" in err.value.message
    if name == "old.doc":
        assert "save them as .docx" in err.value.message


def test_suffix_case_does_not_matter(pdf):
    assert read_document("REPORT.PDF", pdf).kind == "pdf"


def test_a_pdf_named_docx(pdf):
    with pytest.raises(DocumentTypeMismatchError) as err:
        read_document("report.docx", pdf)
    assert err.value.status == 422 and "is a PDF" in err.value.message and "Name it .pdf" in err.value.message


def test_a_docx_named_pdf(docx_file):
    with pytest.raises(DocumentTypeMismatchError) as err:
        read_document("report.pdf", docx_file)
    assert "Word document (DOCX)" in err.value.message and "Name it .docx" in err.value.message


def test_text_named_pdf():
    with pytest.raises(DocumentTypeMismatchError) as err:
        read_document("report.pdf", b"Just some text that someone renamed.")
    assert "is not a PDF" in err.value.message


def test_old_word_file_named_docx():
    with pytest.raises(DocumentTypeMismatchError) as err:
        read_document("letter.docx", OLE_DOC)
    assert "old Word 97-2003" in err.value.message and "save it as .docx" in err.value.message


def test_a_zip_that_is_not_word_named_docx(docx_file):
    import io
    import zipfile
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(DocumentTypeMismatchError) as err:
        read_document("book.docx", out.getvalue())
    assert "Excel workbook" in err.value.message


@pytest.mark.parametrize("data,what", [(PNG, "a PNG image"), (OLE_DOC, "an old Office"), (b"%PDF-1.4\n...", "a PDF")])
def test_binary_files_named_txt(data, what):
    with pytest.raises(DocumentTypeMismatchError) as err:
        read_document("notes.txt", data)
    assert what in err.value.message


def test_binary_without_magic_named_txt():
    with pytest.raises(DocumentTypeMismatchError) as err:
        read_document("data.txt", bytes(range(256)) * 4)
    assert "binary" in err.value.message


@pytest.mark.parametrize("name", ["empty.txt", "empty.pdf", "empty.docx", "empty.md"])
def test_empty_files(name):
    with pytest.raises(EmptyDocumentError) as err:
        read_document(name, b"")
    assert err.value.status == 422 and "empty" in err.value.message


def test_upload_size_is_bounded():
    with pytest.raises(DocumentTooLargeError) as err:
        read_document("big.txt", b"a" * 2000, DocumentLimits(max_bytes=1000))
    assert err.value.status == 413 and "max_upload_bytes" in err.value.message


def test_too_many_zip_entries(docx_file, monkeypatch):
    from qa.documents import docx_reader
    monkeypatch.setattr(docx_reader, "MAX_ZIP_ENTRIES", 20)
    data = docx_file
    for i in range(20):
        data = with_zip_entry(data, f"word/extra{i}.xml", b"<x/>")
    with pytest.raises(DocumentTooLargeError) as err:
        read_document("many.docx", data)
    assert "files inside" in err.value.message


def test_every_error_renders_as_an_openai_style_body():
    with pytest.raises(LLMError) as err:
        read_document("x.xlsx", b"data")
    assert err.value.to_dict() == {"error": {"message": err.value.message, "type": "unsupported_document_type",
                                             "param": "file"}}
