"""Real PDF and DOCX files built in memory for the reader tests and the ingest benchmark (reportlab, pypdf, python-docx)."""

from __future__ import annotations

import html
import io
import json
import zipfile
from pathlib import Path

import docx
from PIL import Image
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

DATA = Path(__file__).resolve().parents[4] / "shared" / "data"
CJK_FONT = "STSong-Light"  # one of reportlab's built-in CID fonts: no font file needed
pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def corpus_paragraphs(name: str) -> list[str]:
    """The contexts of a SQuAD-format file in shared/data ("cmrc2018_dev.json", "squad_dev_sample.json")."""
    data = json.loads((DATA / name).read_text(encoding="utf-8"))
    return [p["context"].strip() for article in data["data"] for p in article["paragraphs"]]


def lines_pdf(pages: list[list[str]], *, header: str | None = None, footer: str | None = None,
              font: str = "Helvetica", size: float = 11, image: bool = False) -> bytes:
    """A PDF whose pages hold exactly these lines, top to bottom ("" leaves a blank line).
    `header` and `footer` ("Page {n}") are drawn on every page; `image` draws a picture first."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    width, height = A4
    for number, lines in enumerate(pages, 1):
        if image:
            pdf.drawInlineImage(_picture(), 72, height - 500, width=400, height=300)
        if header:
            pdf.setFont(font, 9)
            pdf.drawString(72, height - 40, header.format(n=number))
        if footer:
            pdf.setFont(font, 9)
            pdf.drawString(width / 2 - 20, 30, footer.format(n=number))
        pdf.setFont(font, size)
        y = height - 80
        for line in lines:
            if line:
                pdf.drawString(72, y, line)
            y -= size * 1.4
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def _picture() -> Image.Image:
    picture = Image.new("RGB", (64, 48), "white")
    for x in range(64):
        picture.putpixel((x, x * 48 // 64), (0, 0, 0))
    return picture


def flowing_pdf(paragraphs: list[str], *, header: str | None = None, footer: str | None = None,
                chinese: bool = False) -> bytes:
    """A PDF typeset by reportlab from paragraphs (wrapped and paginated as a real report),
    with a running header and a "Page N" footer on every page."""
    out = io.BytesIO()
    styles = getSampleStyleSheet()
    style = styles["BodyText"]
    if chinese:
        style = ParagraphStyle("zh", parent=style, fontName=CJK_FONT, wordWrap="CJK")

    def decorate(pdf, doc):
        pdf.saveState()
        pdf.setFont("Helvetica", 9)
        if header:
            pdf.drawString(72, A4[1] - 40, header)
        if footer:
            pdf.drawString(A4[0] / 2 - 20, 30, footer.format(n=doc.page))
        pdf.restoreState()

    story = []
    for paragraph in paragraphs:
        story += [Paragraph(html.escape(paragraph), style), Spacer(1, 6)]
    SimpleDocTemplate(out, pagesize=A4).build(story, onFirstPage=decorate, onLaterPages=decorate)
    return out.getvalue()


def encrypted_pdf(data: bytes, *, user_password: str, owner_password: str = "owner") -> bytes:
    """`data` encrypted with RC4-128 (no extra crypto package needed); an empty user password
    leaves it readable by anyone, with the owner's restrictions."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_docx(blocks: list) -> bytes:
    """A DOCX from blocks: a str is a paragraph, ("heading", text) a heading, a list of rows a table."""
    document = docx.Document()
    for block in blocks:
        if isinstance(block, str):
            document.add_paragraph(block)
        elif isinstance(block, tuple):
            document.add_heading(block[1], level=1)
        else:
            table = document.add_table(rows=len(block), cols=len(block[0]))
            for r, row in enumerate(block):
                for c, value in enumerate(row):
                    table.cell(r, c).text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def with_zip_entry(data: bytes, name: str, payload: bytes) -> bytes:
    """A copy of the zip `data` with one more (deflated) entry."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr(name, payload)
    return out.getvalue()
