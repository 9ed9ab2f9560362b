"""The export formats by name: media type, file extension, streamed writer, and LLaMA-Factory's dataset_info entry."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from llms.errors import InvalidRequestError
from qa.export import shapes
from qa.export.records import SOURCE_FIELDS, ExportOptions, ExportPair, source
from qa.export.streams import csv_rows, json_array, json_lines, text_lines

Shape = Callable[[ExportPair, ExportOptions], dict]
JSON_LINES = "application/x-ndjson"


@dataclass(frozen=True)
class Format:
    """One export format."""
    name: str
    media_type: str
    extension: str  # of the file, without the dot
    description: str
    write: Callable[[Iterable[ExportPair], ExportOptions], Iterator[bytes]]
    llamafactory: Callable[[bool], dict] | None = None  # (records carry `system`?) -> dataset_info entry body

    @property
    def has_dataset_info(self) -> bool:
        return self.llamafactory is not None


def _records(shape: Shape, pairs: Iterable[ExportPair], options: ExportOptions) -> Iterator[dict]:
    for pair in pairs:
        record = shape(pair, options)
        if options.provenance:
            record["source"] = source(pair)
        yield record


def _lines(shape: Shape):
    return lambda pairs, options: json_lines(_records(shape, pairs, options))


def _array(shape: Shape):
    return lambda pairs, options: json_array(_records(shape, pairs, options))


def _csv(pairs: Iterable[ExportPair], options: ExportOptions) -> Iterator[bytes]:
    if not options.provenance:
        return csv_rows(("question", "answer"), ((p["question"], p["answer"]) for p in pairs))
    rows = ((p["question"], p["answer"], *source(p).values()) for p in pairs)
    return csv_rows(("question", "answer", *SOURCE_FIELDS), rows)


def _questions(pairs: Iterable[ExportPair], options: ExportOptions) -> Iterator[bytes]:
    return text_lines(p["question"] for p in pairs)


def _alpaca_entry(system: bool) -> dict:
    columns = {"prompt": "instruction", "query": "input", "response": "output"}
    return {"formatting": "alpaca", "columns": columns | ({"system": "system"} if system else {})}


def _sharegpt_entry(system: bool) -> dict:
    return {"formatting": "sharegpt",
            "columns": {"messages": "conversations"} | ({"system": "system"} if system else {}),
            "tags": {"role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt"}}


def _openai_entry(system: bool) -> dict:
    # the system prompt is the first message, found by its role, so there is no system column
    return {"formatting": "sharegpt", "columns": {"messages": "messages"},
            "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user",
                     "assistant_tag": "assistant", "system_tag": "system"}}


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("jsonl", JSON_LINES, "jsonl", "JSON Lines: question, answer", _lines(shapes.plain)),
    Format("json", "application/json", "json", "a JSON array of {question, answer}", _array(shapes.plain)),
    Format("csv", "text/csv; charset=utf-8", "csv", "CSV (UTF-8 with BOM, spreadsheet-safe): question, answer", _csv),
    Format("alpaca", JSON_LINES, "jsonl", "Alpaca: instruction, input, output, optional system",
           _lines(shapes.alpaca), _alpaca_entry),
    Format("sharegpt", JSON_LINES, "jsonl", "ShareGPT: conversations (human, gpt), optional system",
           _lines(shapes.sharegpt), _sharegpt_entry),
    Format("openai", JSON_LINES, "jsonl", "OpenAI / GLM-4 fine-tuning: messages (system, user, assistant)",
           _lines(shapes.openai), _openai_entry),
    Format("chatglm", JSON_LINES, "jsonl", "ChatGLM-6B fine-tuning: context, target", _lines(shapes.chatglm)),
    Format("chatglm-ptuning", JSON_LINES, "jsonl", "ChatGLM P-Tuning v2: content, summary",
           _lines(shapes.chatglm_ptuning)),
    Format("explain", JSON_LINES, "jsonl", "Alpaca with output \" EXPLAIN: <evidence> CONCLUSION: <answer>\"",
           _lines(shapes.explain), _alpaca_entry),
    Format("questions", "text/plain; charset=utf-8", "txt", "questions only, one a line", _questions),
)}


def get_format(name: str) -> Format:
    """The format called `name`; InvalidRequestError (400) naming the known ones otherwise."""
    try:
        return FORMATS[name]
    except KeyError:
        raise InvalidRequestError(f"unknown export format {name!r}; use one of: {', '.join(FORMATS)}",
                                  param="format") from None


def stream_export(pairs: Iterable[ExportPair], format: str, options: ExportOptions = ExportOptions()
                  ) -> Iterator[bytes]:
    """The export of `pairs` in `format` as UTF-8 byte chunks, read from `pairs` as it goes.
    An unknown format raises here, before anything is read or sent."""
    return get_format(format).write(pairs, options)


def dataset_info_entry(format: str, file_name: str, dataset_name: str, *, system: bool = False) -> dict[str, dict]:
    """LLaMA-Factory's dataset_info.json content for one exported file: {dataset_name: {"file_name", "formatting",
    "columns", ["tags"]}}, per its data/README.md. `system`: the records carry a `system` column
    (ExportOptions.system was set). Formats without an entry (see Format.has_dataset_info) raise."""
    chosen = get_format(format)
    if chosen.llamafactory is None:
        raise InvalidRequestError(f"LLaMA-Factory reads no {format} files; export alpaca, sharegpt, openai "
                                  "or explain", param="format")
    return {dataset_name: {"file_name": file_name, **chosen.llamafactory(system)}}
