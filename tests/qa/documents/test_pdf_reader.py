"""PDF reading on real PDFs built with reportlab: running lines dropped, hyphens undone, paragraphs kept, refusals with 4xx."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, NameObject

from qa.documents import pdf_reader
from qa.documents import (
    DocumentLimits, DocumentReadError, DocumentTooLargeError, EncryptedDocumentError, NoTextError, read_document,
)
from tests.qa.documents.files import CJK_FONT, corpus_paragraphs, encrypted_pdf, flowing_pdf, lines_pdf

PAGE_1 = [
    "Quarterly figures show that the new extraction service handled every single exam-",
    "ple document we gave it, including scanned forms, long tables and a well-known",
    "benchmark that other teams use. The numbers were checked by two reviewers, and the well-",
    "known problems of earlier versions did not come back during the whole COVID-",
    "19 period. This paragraph ends here.",
    "A second paragraph starts on the first page and runs on to the next page without",
    "a break in the middle of its sentence, so the reader must join the two halves of",
]
PAGE_2 = [
    "the sentence across the page boundary. It then ends with a short line.",
    "Short heading",
    "The last paragraph of the document has a line of ordinary text that runs long and",
    "a second line that ends it.",
]
PAGE_3 = ["A third page keeps the running header and footer company: every page has them."]
EXPECTED = (
    "Quarterly figures show that the new extraction service handled every single example document we gave it, "
    "including scanned forms, long tables and a well-known benchmark that other teams use. The numbers were "
    "checked by two reviewers, and the well-known problems of earlier versions did not come back during the whole "
    "COVID-19 period. This paragraph ends here.\n\n"
    "A second paragraph starts on the first page and runs on to the next page without a break in the middle of "
    "its sentence, so the reader must join the two halves of the sentence across the page boundary. It then ends "
    "with a short line.\n\n"
    "Short heading\n\n"
    "The last paragraph of the document has a line of ordinary text that runs long and a second line that ends it."
    "\n\n"
    "A third page keeps the running header and footer company: every page has them."
)


@pytest.fixture(scope="module")
def report_pdf() -> bytes:
    return lines_pdf([PAGE_1, PAGE_2, PAGE_3], header="ACME Corp Annual Report 2024", footer="Page {n} of 3")


def test_pages_become_clean_paragraphs(report_pdf):
    document = read_document("report.pdf", report_pdf)
    assert document.kind == "pdf" and document.pages == 3 and document.warnings == ()
    assert document.text == EXPECTED
    assert "ACME" not in document.text and "Page" not in document.text


def test_page_spans_point_into_the_text(report_pdf):
    document = read_document("report.pdf", report_pdf)
    assert [span.number for span in document.spans] == [1, 2, 3]
    first, second, third = document.spans
    assert document.text[first.start:first.end].startswith("Quarterly figures")
    assert document.text[first.start:first.end].endswith("join the two halves of")
    assert document.text[second.start:second.end].startswith("the sentence across")
    assert document.text[third.start:third.end] == PAGE_3[0]
    assert document.page_at(document.text.index("COVID")) == 1
    assert document.page_at(document.text.index("Short heading")) == 2
    assert document.page_at(len(document.text) - 1) == 3


def test_chinese_lines_join_without_spaces():
    paragraph = next(p for p in corpus_paragraphs("cmrc2018_dev.json") if len(p) > 400 and " " not in p)
    lines = [paragraph[i:i + 38] for i in range(0, len(paragraph), 38)]
    pages = [lines[:len(lines) // 2], lines[len(lines) // 2:]]
    document = read_document("zh.pdf", lines_pdf(pages, font=CJK_FONT, header="年度报告 2018"))
    assert document.text == paragraph


def test_a_typeset_report_keeps_every_paragraph_and_drops_header_and_footer():
    paragraphs = corpus_paragraphs("squad_dev_sample.json")[:12]
    document = read_document("squad.pdf", flowing_pdf(paragraphs, header="Super Bowl 50 Review", footer="Page {n}"))
    assert document.pages >= 2
    assert "Super Bowl 50 Review" not in document.text and "Page 2" not in document.text
    flat = " ".join(document.text.split())
    for paragraph in paragraphs:
        assert " ".join(paragraph.split()) in flat


def test_password_protected_pdf_is_refused(report_pdf):
    with pytest.raises(EncryptedDocumentError) as err:
        read_document("secret.pdf", encrypted_pdf(report_pdf, user_password="s3cret"))
    assert err.value.status == 422 and err.value.type == "encrypted_document" and err.value.param == "file"
    assert "password-protected" in err.value.message and "unprotected copy" in err.value.message


def test_owner_password_alone_still_reads(report_pdf):
    document = read_document("restricted.pdf", encrypted_pdf(report_pdf, user_password=""))
    assert document.text == EXPECTED


def test_scanned_images_without_text_are_refused_with_ocr_advice():
    with pytest.raises(NoTextError) as err:
        read_document("scan.pdf", lines_pdf([[], []], image=True))
    assert err.value.status == 422 and "OCR" in err.value.message and "2 page(s)" in err.value.message


def test_scan_with_stray_captions_is_accepted_with_a_warning():
    captions = [["Scan of the signed contract"], ["Photo: river bank at dawn"], ["Map 3"]]
    document = read_document("scan.pdf", lines_pdf(captions, image=True))
    assert "Scan of the signed contract" in document.text
    [warning] = document.warnings
    assert "3 of 3 pages carry almost no text" in warning and "OCR" in warning


def test_pages_of_one_near_identical_line_keep_their_text():
    """Each page's only line recurs (digits aside) on every page: it is the content, not a running header."""
    pages = [[f"Chapter {n} of the survey of the Yangtze river delta and its farms"] for n in range(1, 5)]
    document = read_document("chapters.pdf", lines_pdf(pages))
    for n in range(1, 5):
        assert f"Chapter {n} of the survey" in document.text
    assert [document.text[s.start:s.end] for s in document.spans] == [line for [line] in pages]


def test_a_running_header_still_goes_where_the_page_keeps_other_text():
    pages = [["Monthly river notes"], ["Monthly river notes", "The river rose by two metres in the night."],
             ["Monthly river notes", "Farmers moved their rice stores to the hills."]]
    document = read_document("notes.pdf", lines_pdf(pages))
    assert document.text.count("Monthly river notes") == 1  # kept on page 1 only, where it is all there is
    assert "two metres" in document.text and "rice stores" in document.text


def test_a_blank_page_among_text_pages_is_named_in_a_warning(report_pdf):
    pages = [PAGE_1, [], PAGE_2]
    document = read_document("gap.pdf", lines_pdf(pages))
    [warning] = document.warnings
    assert "Page(s) 2 have no text" in warning
    assert document.spans[1].start == document.spans[1].end


def test_damaged_pdf_is_a_read_error():
    with pytest.raises(DocumentReadError) as err:
        read_document("broken.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 50)
    assert err.value.status == 422 and "damaged" in err.value.message or "no pages" in err.value.message


def test_page_count_is_bounded(report_pdf):
    with pytest.raises(DocumentTooLargeError) as err:
        read_document("report.pdf", report_pdf, DocumentLimits(max_pages=2))
    assert err.value.status == 413 and "max_document_pages" in err.value.message


def test_text_length_is_bounded(report_pdf):
    with pytest.raises(DocumentTooLargeError) as err:
        read_document("report.pdf", report_pdf, DocumentLimits(max_chars=300))
    assert "max_document_chars" in err.value.message


def test_unpacked_content_is_bounded(report_pdf):
    with pytest.raises(DocumentTooLargeError) as err:
        read_document("report.pdf", report_pdf, DocumentLimits(max_unpacked_bytes=1500))
    assert err.value.status == 413


def _operator_bomb(repeats: int) -> bytes:
    """A one-page PDF whose few kilobytes of compressed content hold `repeats` text operators."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(lines_pdf([["seed"]]))))
    stream = DecodedStreamObject()
    stream.set_data(b"BT /F1 12 Tf " + b"(abcdefgh) Tj " * repeats + b"ET")
    writer.pages[0][NameObject("/Contents")] = writer._add_object(stream.flate_encode())
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_an_operator_bomb_stops_at_the_stream_token_cap(monkeypatch):
    monkeypatch.setattr(pdf_reader, "MAX_STREAM_TOKENS", 20_000)  # the mechanism, at a size a test can afford
    data = _operator_bomb(1_000_000)  # 14 MB of operators in ~60 kB: minutes of pypdf work
    assert len(data) < 100_000
    with pytest.raises(DocumentTooLargeError) as err:
        read_document("bomb.pdf", data)
    assert err.value.status == 413 and "Page(s) 1 of 'bomb.pdf' are too large or complex" in err.value.message


def test_a_bomb_page_among_text_pages_is_left_out_with_a_warning(monkeypatch):
    monkeypatch.setattr(pdf_reader, "MAX_STREAM_TOKENS", 20_000)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_operator_bomb(1_000_000))))
    writer.append(PdfReader(io.BytesIO(lines_pdf([PAGE_3]))))
    out = io.BytesIO()
    writer.write(out)
    document = read_document("mixed.pdf", out.getvalue())
    assert document.text == PAGE_3[0]
    assert any("Page(s) 1 of 'mixed.pdf' are too large" in warning for warning in document.warnings)


def test_a_slow_page_stops_at_the_deadline():
    data = _operator_bomb(25_000)  # 350 kB of operators: within the token cap, yet seconds of pypdf work
    with pytest.raises(DocumentTooLargeError) as err:
        read_document("slow.pdf", data, DocumentLimits(max_seconds=0.05))
    assert "max_read_seconds" in err.value.message


@pytest.fixture(scope="module")
def long_pdf() -> bytes:
    """Enough pages for the worker processes, typeset from SQuAD paragraphs with a running header and footer."""
    return flowing_pdf((corpus_paragraphs("squad_dev_sample.json") * 3)[:150], header="ACME Corp Annual Report 2024")


def test_a_long_pdf_read_in_worker_processes_equals_the_read_in_one(long_pdf, monkeypatch):
    in_workers = read_document("long.pdf", long_pdf)
    assert in_workers.pages >= pdf_reader.PARALLEL_MIN_PAGES
    assert len(pdf_reader._ranges(in_workers.pages)) > 1 or (pdf_reader.os.cpu_count() or 1) < 2
    monkeypatch.setattr(pdf_reader, "PARALLEL_MIN_PAGES", 10_000)
    in_one = read_document("long.pdf", long_pdf)
    assert in_workers == in_one
    assert "ACME" not in in_workers.text
    assert [span.number for span in in_workers.spans] == list(range(1, in_workers.pages + 1))


def test_bounds_hold_over_the_parts_together(long_pdf):
    total = len(read_document("long.pdf", long_pdf).text)
    with pytest.raises(DocumentTooLargeError) as err:  # within each worker's range, over the limit together
        read_document("long.pdf", long_pdf, DocumentLimits(max_chars=int(total * 0.8)))
    assert "max_document_chars" in err.value.message
    with pytest.raises(DocumentTooLargeError) as err:  # over the limit inside a worker: its error comes back
        read_document("long.pdf", long_pdf, DocumentLimits(max_chars=300))
    assert err.value.status == 413 and "max_document_chars" in err.value.message
