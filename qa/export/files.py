"""Exports as files: the command line's file with LLaMA-Factory's dataset_info.json beside it, and a streamed zip for the web."""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from llms.errors import InvalidRequestError
from qa.export.records import ExportOptions, ExportPair
from qa.export.registry import dataset_info_entry, get_format, stream_export

DATASET_INFO = "dataset_info.json"


def default_file_name(format: str) -> str:
    """qa_pairs.<extension> for jsonl/json/csv, qa_pairs_<format>.<extension> for the others."""
    chosen = get_format(format)
    plain = chosen.name in ("jsonl", "json", "csv")
    return f"qa_pairs{'' if plain else '_' + chosen.name.replace('-', '_')}.{chosen.extension}"


def write_export(pairs: Iterable[ExportPair], format: str, path: str | Path,
                 options: ExportOptions = ExportOptions(), *, dataset_name: str | None = None) -> list[Path]:
    """Write the export to `path` (a temporary file beside it, renamed once complete). For the formats
    LLaMA-Factory reads, also put its entry (named `dataset_name`, default the file's stem) into
    dataset_info.json in the same folder, created or merged into the one there. Returns the files written."""
    path = Path(path)
    chosen = get_format(format)
    info_path = path.parent / DATASET_INFO
    info = _read_info(info_path) if chosen.has_dataset_info else None  # a broken file stops us before any work
    _atomic_write(path, stream_export(pairs, format, options))
    if info is None:
        return [path]
    info.update(dataset_info_entry(format, path.name, dataset_name or path.stem, system=options.system is not None))
    _atomic_write(info_path, [json.dumps(info, ensure_ascii=False, indent=2).encode() + b"\n"])
    return [path, info_path]


def export_zip(pairs: Iterable[ExportPair], format: str, options: ExportOptions = ExportOptions(), *,
               file_name: str | None = None, dataset_name: str | None = None) -> Iterator[bytes]:
    """A zip of the export (as `file_name`, default `default_file_name`) and, for the formats LLaMA-Factory
    reads, its dataset_info.json, streamed: bytes come out while `pairs` is being read."""
    chosen = get_format(format)
    name = file_name or default_file_name(format)
    info = (dataset_info_entry(format, name, dataset_name or Path(name).stem, system=options.system is not None)
            if chosen.has_dataset_info else None)
    return _zip(name, stream_export(pairs, format, options), info)


def _zip(name: str, chunks: Iterator[bytes], info: dict | None) -> Iterator[bytes]:
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        with archive.open(name, "w", force_zip64=True) as member:
            for chunk in chunks:
                member.write(chunk)
                if data := sink.take():
                    yield data
        if info is not None:
            archive.writestr(DATASET_INFO, json.dumps(info, ensure_ascii=False, indent=2) + "\n")
    yield sink.take()


class _Sink(io.RawIOBase):
    """A write-only, unseekable stream that hands back what was written since the last take()."""

    def __init__(self):
        super().__init__()
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def _read_info(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidRequestError(f"{path} exists but is not readable JSON ({exc}); fix or move it",
                                  param="out") from None
    if not isinstance(info, dict):
        raise InvalidRequestError(f"{path} exists but is not a JSON object; fix or move it", param="out")
    return info


def _atomic_write(path: Path, chunks: Iterable[bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            for chunk in chunks:
                file.write(chunk)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
