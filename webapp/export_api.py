"""`/api/export`: the dataset (GET, by filters) or the chat page's pairs (POST) as a streamed file in any export format.

Both call `qa.export`, so the page, the API and `python -m qa export` write the same
bytes. Formats LLaMA-Factory reads (alpaca, sharegpt, openai, explain) come as a zip
with its `dataset_info.json` unless `zip=false`; the others as the file itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from flask import Blueprint, Response, jsonify, stream_with_context
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from qa.export import FORMATS, ExportOptions, ExportPair, default_file_name, export_zip, get_format, stream_export
from qa.review import SORTS, PairFilter, catch_up, export_pairs
from webapp.openapi import endpoint
from webapp.state import state

bp = Blueprint("export_api", __name__)

PAGE_PAIRS_MAX = 500
TEXT_MAX = 20_000
CHUNK_MAX = 100_000
FORMAT_PATTERN = "^(" + "|".join(FORMATS) + ")$"
#: what an export may come back as: each format's own media type, or a zip with its dataset_info.json
EXPORT_MEDIA = tuple(dict.fromkeys([f.media_type.split(";")[0] for f in FORMATS.values()] + ["application/zip"]))
FILE_RESPONSE = {200: {"format": "binary",  # no "type": a json export is an array, the others are bytes
                       "description": "The export file (or a zip with dataset_info.json)"}}


class PagePair(BaseModel):
    """A pair as the chat page shows it."""
    model_config = ConfigDict(extra="ignore")
    question: StrictStr = Field(max_length=TEXT_MAX)
    answer: StrictStr = Field(max_length=TEXT_MAX)
    grounded: bool | None = None
    support: float | None = Field(None, ge=0.0, le=1.0)
    evidence: StrictStr = Field("", max_length=TEXT_MAX)


class PageExport(BaseModel):
    """The chat page's pairs of one reply, with the passage they came from."""
    model_config = ConfigDict(extra="forbid")
    format: str = Field(pattern=FORMAT_PATTERN, description="One of the export formats")
    pairs: list[PagePair] = Field(min_length=1, max_length=PAGE_PAIRS_MAX)
    chunk: StrictStr = Field("", max_length=CHUNK_MAX, description="The passage the pairs came from")
    model: StrictStr = Field("", max_length=100)
    prompt: StrictStr = Field("", max_length=100, description="The prompt's name")
    document: StrictStr = Field("", max_length=255)
    provenance: bool = True
    with_input: bool = False
    system: StrictStr | None = Field(None, max_length=TEXT_MAX)
    zip: bool = False


class DatasetExport(PairFilter):
    """The filter of the pairs to export, and the export's shape."""
    format: str = Field("jsonl", pattern=FORMAT_PATTERN, description="One of the export formats")
    provenance: bool = Field(False, description="Each record also carries `source`")
    with_input: bool = Field(False, description="The chunk goes into the prompt (alpaca/explain `input`)")
    system: str | None = Field(None, max_length=TEXT_MAX, description="A system prompt for every record")
    zip: bool = Field(True, description="alpaca, sharegpt, openai, explain: a zip with dataset_info.json")
    sort: str = Field("id", pattern="^(" + "|".join(SORTS) + ")$")


def send_export(pairs: Iterable[ExportPair], format: str, options: ExportOptions, as_zip: bool,
                stem: str = "qa_pairs") -> Response:
    """The export as a streamed download; a zip with dataset_info.json when asked and the format has one."""
    chosen = get_format(format)
    name = default_file_name(format).replace("qa_pairs", stem, 1)
    if as_zip and chosen.has_dataset_info:
        body: Iterator[bytes] = export_zip(pairs, format, options, file_name=name)
        name, media = name.rsplit(".", 1)[0] + ".zip", "application/zip"
    else:
        body, media = stream_export(pairs, format, options), chosen.media_type
    response = Response(stream_with_context(body), mimetype=media.split(";")[0])
    if "charset" in media:
        response.charset = "utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


class FormatOut(BaseModel):
    name: str
    description: str
    extension: str
    dataset_info: bool


class FormatList(BaseModel):
    data: list[FormatOut]


@bp.get("/api/export/formats")
@endpoint("The export formats", responses={200: FormatList}, tags=("export",))
def formats():
    return jsonify({"data": [{"name": f.name, "description": f.description, "extension": f.extension,
                              "dataset_info": f.has_dataset_info} for f in FORMATS.values()]})


@bp.get("/api/export")
@endpoint("The dataset's pairs (those matching the filter) as an export file, streamed", query=DatasetExport,
          responses=FILE_RESPONSE, produces=EXPORT_MEDIA, tags=("export",))
def export_dataset(query: DatasetExport):
    app_state = state()
    catch_up(app_state.db, app_state.config.duplicate_threshold)  # a `duplicate` filter sees the newest pairs
    where = PairFilter(**query.model_dump(include=set(PairFilter.model_fields)))
    db = app_state.db

    def pairs() -> Iterator[ExportPair]:
        with db.session() as session:
            yield from export_pairs(session, where, query.sort)

    options = ExportOptions(provenance=query.provenance, with_input=query.with_input, system=query.system)
    return send_export(pairs(), query.format, options, query.zip)


@bp.post("/api/export")
@endpoint("The chat page's pairs as an export file (the same writers as the dataset's export)", body=PageExport,
          responses=FILE_RESPONSE, produces=EXPORT_MEDIA, tags=("export",))
def export_page_pairs(body: PageExport):
    get_format(body.format)
    shared = {"chunk": body.chunk, "document": body.document, "model": body.model, "prompt": body.prompt,
              "chunk_start": 0, "chunk_end": len(body.chunk)}
    pairs = [{**shared, **pair.model_dump()} for pair in body.pairs]
    options = ExportOptions(provenance=body.provenance, with_input=body.with_input, system=body.system)
    return send_export(pairs, body.format, options, body.zip)
