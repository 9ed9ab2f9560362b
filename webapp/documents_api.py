"""`/api/documents`: upload a file or send text, list, read, page through chunks, re-chunk, delete."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError, field_validator

from llms.errors import ConflictError, InvalidRequestError, NotFoundError
from llms.options import invalid_request
from qa import ingest
from qa.documents import SUPPORTED_SUFFIXES, ChunkSettings
from qa.documents.budget import MAX_CHUNK_SIZE, MIN_CHUNK_SIZE
from qa.store import Document
from qa.store import documents as store
from qa.store.models import DOCUMENT_NAME_MAX, MODEL_ID_MAX
from webapp.openapi import endpoint
from webapp.state import state

bp = Blueprint("documents_api", __name__)

PAGE_MAX = 200


class ChunkOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())
    chunk_size: int | None = Field(None, ge=MIN_CHUNK_SIZE, le=MAX_CHUNK_SIZE,
                                   description="Largest chunk (characters; tokens when `model` is a local model).")
    chunk_overlap: int | None = Field(None, ge=0, le=MAX_CHUNK_SIZE // 2,
                                      description="Tail of a chunk repeated at the start of the next.")
    model: str | None = Field(None, min_length=1, max_length=MODEL_ID_MAX,
                              description="Size chunks for this model: its tokenizer and context when local.")


class DocumentIn(ChunkOptions):
    name: StrictStr = Field(min_length=1, max_length=DOCUMENT_NAME_MAX)
    text: StrictStr = Field(min_length=1)

    @field_validator("name", "text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value


class Page(BaseModel):
    model_config = ConfigDict(extra="forbid")
    offset: int = Field(0, ge=0, le=10_000_000)
    limit: int = Field(50, ge=1, le=PAGE_MAX)


class DocumentOut(BaseModel):
    id: int
    name: str
    kind: str
    chars: int
    pages: int | None
    chunks: int
    chunk_size: int
    chunk_overlap: int
    warnings: list[str]
    created_at: str


class ChunkDefaults(BaseModel):
    chunk_size: int
    chunk_overlap: int


class DocumentList(BaseModel):
    data: list[DocumentOut]
    total: int
    defaults: ChunkDefaults


class ChunkOut(BaseModel):
    index: int
    start: int
    end: int
    text: str


class ChunkPage(BaseModel):
    data: list[ChunkOut]
    total: int
    offset: int
    limit: int


UPLOAD = {
    "file": {"type": "string", "format": "binary", "x-required": True,
             "description": f"The document: {', '.join(sorted(SUPPORTED_SUFFIXES))}."},
    "chunk_size": {"type": "integer", "minimum": MIN_CHUNK_SIZE, "maximum": MAX_CHUNK_SIZE},
    "chunk_overlap": {"type": "integer", "minimum": 0},
    "model": {"type": "string", "maxLength": MODEL_ID_MAX},
}


def document_json(doc: Document, chunks: int) -> dict:
    return {"id": doc.id, "name": doc.name, "kind": doc.kind, "chars": doc.chars, "pages": doc.pages,
            "chunks": chunks, "chunk_size": doc.chunk_size, "chunk_overlap": doc.chunk_overlap,
            "warnings": list(doc.warnings or []), "created_at": doc.created_at.isoformat()}


def _chunking(options: ChunkOptions, current: Document | None = None):
    """The settings (the document's or the config's, overridden by the request) and the model's measure."""
    config = state().config
    size = options.chunk_size or (current.chunk_size if current else config.chunk_size)
    overlap = options.chunk_overlap if options.chunk_overlap is not None else (
        current.chunk_overlap if current else config.chunk_overlap)
    try:
        settings = ChunkSettings(size=size, overlap=min(overlap, size // 2) if options.chunk_overlap is None
                                 else overlap)
    except ValidationError as exc:
        raise invalid_request(exc) from None
    model = state().registry.get(options.model) if options.model else None
    measure, limit = ingest.model_measure(model, max_tokens=config.max_tokens)
    return settings, measure, limit


@bp.post("/api/documents")
@endpoint("Add a document: a multipart `file` (.txt, .md, .pdf, .docx) or JSON {name, text}; it is read and chunked",
          body=DocumentIn, upload=UPLOAD, responses={201: DocumentOut}, tags=("documents",))
def create_document(body: DocumentIn | None):
    config = state().config
    if body is None:  # multipart
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise InvalidRequestError("Send the document as the multipart field 'file'.", param="file")
        try:
            options = ChunkOptions.model_validate({k: v for k, v in request.form.items() if v != ""})
        except ValidationError as exc:
            raise invalid_request(exc) from None
        name = upload.filename[-DOCUMENT_NAME_MAX:]
        data = upload.read(config.max_upload_bytes + 1)
        settings, measure, limit = _chunking(options)
        doc, count = ingest.ingest(state().db, name, data=data, settings=settings, limits=config.document_limits(),
                                   measure=measure, limit=limit)
    else:
        settings, measure, limit = _chunking(body)
        doc, count = ingest.ingest(state().db, body.name.strip(), text=body.text, settings=settings,
                                   limits=config.document_limits(), measure=measure, limit=limit)
    return jsonify(document_json(doc, count)), 201


@bp.get("/api/documents")
@endpoint("The documents, newest first", query=Page, responses={200: DocumentList}, tags=("documents",))
def list_documents(query: Page):
    rows, total = store.list_documents(state().db, offset=query.offset, limit=query.limit)
    config = state().config
    return jsonify({"data": [document_json(doc, n) for doc, n in rows], "total": total,
                    "defaults": {"chunk_size": config.chunk_size, "chunk_overlap": config.chunk_overlap}})


def _found(document_id: int) -> tuple[Document, int]:
    found = store.get_document(state().db, document_id)
    if found is None:
        raise NotFoundError(f"No document {document_id}.", param="id")
    return found


@bp.get("/api/documents/<int:document_id>")
@endpoint("One document", responses={200: DocumentOut}, tags=("documents",))
def get_document(document_id: int):
    return jsonify(document_json(*_found(document_id)))


@bp.get("/api/documents/<int:document_id>/chunks")
@endpoint("A page of the document's chunks, with their character offsets in its text", query=Page,
          responses={200: ChunkPage}, tags=("documents",))
def get_chunks(document_id: int, query: Page):
    total = store.chunk_count(state().db, document_id)
    if total is None:
        raise NotFoundError(f"No document {document_id}.", param="id")
    chunks = store.document_chunks(state().db, document_id, offset=query.offset, limit=query.limit)
    return jsonify({"data": [{"index": c.index, "start": c.start, "end": c.end, "text": c.text} for c in chunks],
                    "total": total, "offset": query.offset, "limit": query.limit})


@bp.patch("/api/documents/<int:document_id>")
@endpoint("Change the document's chunk size or overlap: it is chunked again", body=ChunkOptions,
          responses={200: DocumentOut}, tags=("documents",))
def update_document(document_id: int, body: ChunkOptions):
    current, _ = _found(document_id)
    settings, measure, limit = _chunking(body, current)
    try:
        found = ingest.rechunk(state().db, current, settings, measure=measure, limit=limit)
    except store.DocumentBusy as exc:
        raise ConflictError(f"{exc}: its chunks cannot change while a job reads them.", param="id") from None
    if found is None:
        raise NotFoundError(f"No document {document_id}.", param="id")
    return jsonify(document_json(*found))


@bp.delete("/api/documents/<int:document_id>")
@endpoint("Delete the document with its chunks, jobs and pairs", responses={204: None}, tags=("documents",))
def delete_document(document_id: int):
    try:
        deleted = store.delete_document(state().db, document_id)
    except store.DocumentBusy as exc:
        raise ConflictError(f"{exc}.", param="id") from None
    if not deleted:
        raise NotFoundError(f"No document {document_id}.", param="id")
    return "", 204
