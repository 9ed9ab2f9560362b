"""`/api/pairs`: the dataset's pairs for review: list (filtered, sorted, paged), one with its source, edit, bulk, undo, save from /ask."""

from __future__ import annotations

import logging
import threading
from typing import Annotated, Literal

from flask import Blueprint, jsonify
from pydantic import BaseModel, ConfigDict, Field, StrictStr, model_validator
from sqlalchemy.exc import SQLAlchemyError

from llms.errors import ConflictError, InvalidRequestError, NotFoundError
from qa.review import (IDS_MAX, LIMIT_MAX, SORTS, NothingToUndo, PairFilter, catch_up, edit_pair, get_pair,
                       list_pairs, pair_source, reflag, save_ask_pairs, set_status, undo_last)
from webapp.openapi import endpoint
from webapp.state import state

bp = Blueprint("pairs_api", __name__)
log = logging.getLogger(__name__)

TEXT_MAX = 20_000
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL
TEXT_PATTERN = r"^[^\x00]*[^\s\x00][^\x00]*$"  # not blank, no NUL
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
PASSAGE_MAX = 100_000
SAVE_MAX = 500
Sort = Literal[tuple(SORTS)]


class PairQuery(PairFilter):
    """The filter plus the page: `limit` (1-500), then `offset`, or `after` (the last id seen, for sort=id/-id)."""
    sort: Sort = "id"
    limit: int = Field(50, ge=1, le=LIMIT_MAX)
    offset: int = Field(0, ge=0, le=10_000_000)
    after: int | None = Field(None, ge=0, le=2**63 - 1)


class PairPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: StrictStr | None = Field(None, min_length=1, max_length=TEXT_MAX, pattern=TEXT_PATTERN)
    answer: StrictStr | None = Field(None, min_length=1, max_length=TEXT_MAX, pattern=TEXT_PATTERN)
    status: Literal["new", "accepted", "rejected"] | None = None


class BulkSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["new", "accepted", "rejected"]


class BulkRequest(BaseModel):
    """Either `ids` (at most 10,000) or `filter` (every pair that matches it: "select all matching")."""
    model_config = ConfigDict(extra="forbid")
    ids: list[Id] | None = Field(None, min_length=1, max_length=IDS_MAX)
    filter: PairFilter | None = None
    set: BulkSet

    @model_validator(mode="after")
    def _one_selection(self):
        if (self.ids is None) == (self.filter is None):
            raise ValueError("give either ids or filter")
        return self


class AskPair(BaseModel):
    model_config = ConfigDict(extra="ignore")
    question: StrictStr = Field(min_length=1, max_length=TEXT_MAX, pattern=NO_NUL)
    answer: StrictStr = Field(min_length=1, max_length=TEXT_MAX, pattern=NO_NUL)


class SaveRequest(BaseModel):
    """Pairs from the chat page's /ask with the passage they came from."""
    model_config = ConfigDict(extra="forbid", protected_namespaces=())
    passage: StrictStr = Field(min_length=1, max_length=PASSAGE_MAX, pattern=NO_NUL)
    model: StrictStr = Field(min_length=1, max_length=100)
    prompt: StrictStr | None = Field(None, max_length=TEXT_MAX, pattern=NO_NUL)
    pairs: list[AskPair] = Field(min_length=1, max_length=SAVE_MAX)


class PairPage(BaseModel):
    data: list[dict]
    total: int
    limit: int
    offset: int


@bp.record_once
def _warm(setup) -> None:
    """Index the dataset's questions for duplicate flags in the background, so the first review request
    does not wait for it (about 9 s per 100,000 pairs: bench/README.md); not under tests."""
    app = setup.app
    if app.testing:
        return
    app_state = app.extensions["qapair"]
    threading.Thread(target=catch_up, args=(app_state.db, app_state.config.duplicate_threshold),
                     name="duplicates-index", daemon=True).start()


def _refresh() -> None:
    """Flag duplicates among pairs added since the last look (by jobs, workers or saves). A failure (another
    process writing the same flags at once, say) is logged: the pairs are listed all the same."""
    try:
        catch_up(state().db, state().config.duplicate_threshold)
    except SQLAlchemyError:
        log.warning("duplicate flags not brought up to date", exc_info=True)


def _one(pair_id: int) -> dict:
    with state().db.session() as session:
        found = get_pair(session, pair_id)
    if found is None:
        raise NotFoundError(f"No pair {pair_id}.", param="id")
    return found


@bp.get("/api/pairs")
@endpoint("Pairs for review: filtered, sorted and paged on the server, with the total that match",
          query=PairQuery, responses={200: PairPage}, tags=("pairs",))
def list_all(query: PairQuery):
    _refresh()
    where = PairFilter(**query.model_dump(include=set(PairFilter.model_fields)))
    with state().db.session() as session:
        data, total = list_pairs(session, where, sort=query.sort, limit=query.limit, offset=query.offset,
                                 after=query.after)
    return jsonify({"data": data, "total": total, "limit": query.limit, "offset": query.offset})


@bp.get("/api/pairs/<int:pair_id>")
@endpoint("One pair", responses={200: {"type": "object"}}, tags=("pairs",))
def get_one(pair_id: int):
    return jsonify(_one(pair_id))


@bp.get("/api/pairs/<int:pair_id>/source")
@endpoint("A pair's source chunk, with the evidence's offsets in it", responses={200: {"type": "object"}},
          tags=("pairs",))
def source(pair_id: int):
    with state().db.session() as session:
        found = pair_source(session, pair_id)
    if found is None:
        raise NotFoundError(f"No pair {pair_id}.", param="id")
    return jsonify(found)


@bp.patch("/api/pairs/<int:pair_id>")
@endpoint("Edit a pair's question, answer or status; a new text is grounded again; returns the pair",
          body=PairPatch, responses={200: {"type": "object"}}, tags=("pairs",))
def patch(pair_id: int, body: PairPatch):
    config = state().config
    if body.question is None and body.answer is None and body.status is None:
        raise InvalidRequestError("Nothing to change: give question, answer or status.")
    found, question_changed = edit_pair(state().db, pair_id, question=body.question, answer=body.answer,
                                        status=body.status, threshold=config.grounding_threshold)
    if not found:
        raise NotFoundError(f"No pair {pair_id}.", param="id")
    if question_changed:
        reflag(state().db, [pair_id], config.duplicate_threshold)
    return jsonify(_one(pair_id))


@bp.post("/api/pairs/bulk")
@endpoint("Set the status of many pairs, by ids or by a filter; returns how many changed", body=BulkRequest,
          responses={200: {"type": "object", "properties": {"changed": {"type": "integer"}}}}, tags=("pairs",))
def bulk(body: BulkRequest):
    changed = set_status(state().db, body.set.status, ids=body.ids, where=body.filter)
    return jsonify({"changed": changed})


@bp.post("/api/pairs/undo")
@endpoint("Undo the last review action (edit or status change); 409 when there is none",
          responses={200: {"type": "object"}}, tags=("pairs",))
def undo():
    try:
        done = undo_last(state().db)
    except NothingToUndo as exc:
        raise ConflictError(f"Nothing to undo: {exc}.") from None
    if done.pop("text_changed"):
        reflag(state().db, done["ids"], state().config.duplicate_threshold)
    return jsonify(done)


@bp.post("/api/pairs")
@endpoint("Save pairs from the chat page into the dataset (origin 'ask'), with the passage as their source",
          body=SaveRequest, responses={201: {"type": "object"}}, tags=("pairs",))
def save(body: SaveRequest):
    app_state = state()
    if body.model not in app_state.registry.ids():
        raise InvalidRequestError(f"Unknown model {body.model!r}.", param="model")
    ids = save_ask_pairs(app_state.db, passage=body.passage, model=body.model, prompt=body.prompt,
                         pairs=[p.model_dump() for p in body.pairs], threshold=app_state.config.grounding_threshold)
    _refresh()
    with app_state.db.session() as session:
        saved = [get_pair(session, i) for i in ids]
    return jsonify({"data": saved}), 201
