"""Exports of QA pairs: one streamed writer per format (FORMATS), LLaMA-Factory's dataset_info entry, files and zips.

    stream_export(pairs, "alpaca", ExportOptions(provenance=True))  -> Iterator[bytes]
    write_export(pairs, "sharegpt", "out/qa.jsonl")                  -> [out/qa.jsonl, out/dataset_info.json]
    export_zip(pairs, "openai")                                      -> Iterator[bytes] of a zip

`pairs` is any iterable of `ExportPair` dicts (a database query, a generator, a list); it
is read once, as the output is produced, so memory stays bounded whatever its length.
"""

from qa.export.files import DATASET_INFO, default_file_name, export_zip, write_export
from qa.export.legacy import CSV_COLUMNS, to_csv, to_json, to_jsonl
from qa.export.records import NOT_MEASURED, SOURCE_FIELDS, ExportOptions, ExportPair, source
from qa.export.registry import FORMATS, Format, dataset_info_entry, get_format, stream_export
from qa.export.streams import spreadsheet_cell

__all__ = [
    "CSV_COLUMNS", "DATASET_INFO", "FORMATS", "NOT_MEASURED", "SOURCE_FIELDS", "ExportOptions", "ExportPair", "Format",
    "dataset_info_entry", "default_file_name", "export_zip", "get_format", "source", "spreadsheet_cell",
    "stream_export", "to_csv", "to_json", "to_jsonl", "write_export",
]
