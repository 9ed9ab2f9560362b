"""Measure document ingest: PDF and DOCX text extraction, chunking, and both together, in MB of text per second.

Documents are built in memory from the reference corpora in ../shared/data (read in
place): the SQuAD paragraphs repeated to a 100+ page English report and all CMRC 2018
paragraphs as a Chinese one, typeset by reportlab with a running header and a "Page N"
footer (Flate-compressed streams, as Word and LaTeX write them, not reportlab's default
ASCII85 on top), and the same paragraphs as DOCX (python-docx) with a table every 20
paragraphs. MB is 10^6 bytes of the extracted text in UTF-8 (a Chinese character is 3);
characters per second are given too. Each figure is the best of --repeats runs, timed by
the process's CPU time (the work is single-threaded).

For PDFs the table also shows pypdf alone (`page.extract_text()` in its "plain" and
"layout" modes, no cleaning), which is where the time goes.

Run from the repository root: `python -m bench.ingest_bench` (options: --help).
"""

from __future__ import annotations

import argparse
import io
import time

from reportlab import rl_config

from qa.documents import chunk_text, read_document
from tests.qa.documents.files import corpus_paragraphs, flowing_pdf, make_docx


def build_documents(copies: int) -> dict[str, tuple[str, bytes]]:
    rl_config.useA85 = 0
    english = corpus_paragraphs("squad_dev_sample.json") * copies
    chinese = corpus_paragraphs("cmrc2018_dev.json")
    docs = {}
    for lang, paragraphs in (("en", english), ("zh", chinese)):
        docs[f"PDF {lang}"] = (f"report-{lang}.pdf", flowing_pdf(
            paragraphs, header="Reference corpus report", footer="Page {n}", chinese=lang == "zh"))
        blocks: list = []
        for i, paragraph in enumerate(paragraphs):
            blocks.append(paragraph)
            if i % 20 == 19:
                blocks.append([["Item", "Value", "Note"]] + [[f"row {r}", str(r * 7), "checked"] for r in range(5)])
        docs[f"DOCX {lang}"] = (f"report-{lang}.docx", make_docx(blocks))
    return docs


def best(fn, repeats: int) -> tuple[float, object]:
    """The least wall time over `repeats` runs (wall, not this process's CPU time: a long PDF is read by
    worker processes, whose time the caller's CPU clock would not count; run it alone: `cpulock -x`)."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def pypdf_alone(data: bytes, mode: str) -> str:
    from pypdf import PdfReader
    return "\n".join(page.extract_text(extraction_mode=mode) for page in PdfReader(io.BytesIO(data)).pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=14, help="SQuAD repeats in the English documents")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--chunk-size", type=int, default=2000,
                        help="chunk size in characters; the last column also chunks at a quarter of it with overlap")
    args = parser.parse_args()

    docs = build_documents(args.copies)
    small = f"{args.chunk_size // 4}/{args.chunk_size // 20}"
    print(f"| document | pages | file | text | extract MB/s | chunk MB/s | both MB/s | both chars/s | chunks "
          f"| chunk MB/s at {small} |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    pypdf_rows = []
    for label, (name, data) in docs.items():
        extract_s, document = best(lambda: read_document(name, data), args.repeats)
        chunk_s, chunks = best(lambda: chunk_text(document.text, max_size=args.chunk_size), args.repeats)
        small_s, _ = best(lambda: chunk_text(document.text, max_size=args.chunk_size // 4,
                                             overlap=args.chunk_size // 20), args.repeats)
        mb = len(document.text.encode("utf-8")) / 1e6
        chars = len(document.text)
        print(f"| {label} | {document.pages or '-'} | {len(data) / 1e6:.2f} MB | {mb:.2f} MB ({chars:,} chars) "
              f"| {mb / extract_s:.2f} | {mb / chunk_s:.1f} | {mb / (extract_s + chunk_s):.2f} "
              f"| {chars / (extract_s + chunk_s) / 1e6:.2f} M | {len(chunks)} | {mb / small_s:.1f} |")
        if label.startswith("PDF"):
            for mode in ("plain", "layout"):
                seconds, text = best(lambda: pypdf_alone(data, mode), args.repeats)
                pypdf_rows.append(f"| {label} | pypdf `{mode}` alone | {len(text.encode('utf-8')) / 1e6 / seconds:.2f} "
                                  f"| {len(text) / seconds / 1e6:.2f} M |")
            pypdf_rows.append(f"| {label} | read_document (pypdf plain + cleaning) | {mb / extract_s:.2f} "
                              f"| {chars / extract_s / 1e6:.2f} M |")
    print()
    print("| document | extraction | MB/s | chars/s |")
    print("| --- | --- | ---: | ---: |")
    print("\n".join(pypdf_rows))


if __name__ == "__main__":
    main()
