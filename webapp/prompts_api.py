"""`/api/prompts`: the preset prompts (read-only files) and the user's saved prompts (SQLite)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from pydantic import BaseModel, ConfigDict, Field

import prompts
from llms.errors import ConflictError, InvalidRequestError, NotFoundError
from qa.store import NAME_MAX, TEXT_MAX, DuplicateName
from webapp.openapi import endpoint
from webapp.state import state

bp = Blueprint("prompts_api", __name__)


class PromptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=NAME_MAX, pattern=r"\S")
    text: str = Field(min_length=1, max_length=TEXT_MAX)


class PromptPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=NAME_MAX, pattern=r"\S")
    text: str | None = Field(None, min_length=1, max_length=TEXT_MAX)


def presets() -> list[dict]:
    out = []
    for name in prompts.preset_names():
        family, language = name.split("_")
        out.append({"id": name, "name": name, "text": prompts.load_preset(name), "preset": True,
                    "family": family, "language": language})
    return out


class PromptOut(BaseModel):
    id: int | str
    name: str
    text: str
    preset: bool
    family: str | None = None
    language: str | None = None
    updated_at: str | None = None


class PromptList(BaseModel):
    data: list[PromptOut]


@bp.get("/api/prompts")
@endpoint("The preset and saved prompts", responses={200: PromptList}, tags=("prompts",))
def list_prompts():
    return jsonify({"data": presets() + state().prompts.list()})


@bp.get("/api/prompts/<prompt_id>")
@endpoint("One preset or saved prompt", responses={200: PromptOut}, tags=("prompts",))
def get_prompt(prompt_id: str):
    for preset in presets():
        if preset["id"] == prompt_id:
            return jsonify(preset)
    found = state().prompts.get(_saved_id(prompt_id))
    if found is None:
        raise NotFoundError(f"No prompt {prompt_id!r}.", param="id")
    return jsonify(found)


@bp.post("/api/prompts")
@endpoint("Save a prompt", body=PromptIn, responses={201: PromptOut}, tags=("prompts",))
def create_prompt(body: PromptIn):
    data = body
    try:
        return jsonify(state().prompts.add(data.name.strip(), data.text)), 201
    except DuplicateName as exc:
        raise ConflictError(str(exc), param="name") from None


@bp.put("/api/prompts/<prompt_id>")
@endpoint("Rename or edit a saved prompt", body=PromptPatch, responses={200: PromptOut}, tags=("prompts",))
def update_prompt(prompt_id: str, body: PromptPatch):
    data = body
    try:
        updated = state().prompts.update(_saved_id(prompt_id), data.name and data.name.strip(), data.text)
    except DuplicateName as exc:
        raise ConflictError(str(exc), param="name") from None
    if updated is None:
        raise NotFoundError(f"No saved prompt {prompt_id!r}.", param="id")
    return jsonify(updated)


@bp.delete("/api/prompts/<prompt_id>")
@endpoint("Delete a saved prompt", responses={204: None}, tags=("prompts",))
def delete_prompt(prompt_id: str):
    if not state().prompts.delete(_saved_id(prompt_id)):
        raise NotFoundError(f"No saved prompt {prompt_id!r}.", param="id")
    return "", 204


def _saved_id(prompt_id: str) -> int:
    if prompt_id in prompts.preset_names():
        raise InvalidRequestError(f"{prompt_id!r} is a preset: presets are files in prompts/ and read-only here; "
                                  "save an edited copy under a new name.", param="id")
    # "²".isdigit() is true and int() refuses it; ids beyond 64 bits are none of ours (SQLite refuses them)
    if not (prompt_id.isascii() and prompt_id.isdigit() and len(prompt_id) <= 18):
        raise NotFoundError(f"No saved prompt {prompt_id!r}.", param="id")
    return int(prompt_id)
