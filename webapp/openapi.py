"""OpenAPI 3.1 for every route at `/openapi.json`, built from the pydantic models the routes validate with.

A route says what it reads and answers with `@endpoint(...)` under its Flask
route decorator. The decorator validates the JSON (or form) body and the query
string with those models and hands the results to the view as `body=` and
`query=`, and it records them for the description, so what is documented and what
is checked cannot drift apart. `GET /openapi.json` walks the app's URL map: a
route without `@endpoint` is still listed (a test insists every route has one).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from llms.errors import InvalidRequestError

bp = Blueprint("openapi", __name__)

ERROR_SCHEMA = {
    "type": "object", "required": ["error"],
    "properties": {"error": {
        "type": "object", "required": ["message", "type", "param"],
        "properties": {"message": {"type": "string"}, "type": {"type": "string"},
                       "param": {"type": ["string", "null"]}}}},
}
SSE_EVENT = {"type": "object", "description": "One Server-Sent Event; `data` is JSON text (or [DONE] on /v1).",
             "properties": {"event": {"type": "string"}, "data": {"type": "string"}}}
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
SSE = "text/event-stream"


@dataclass
class Operation:
    """What one route reads and answers, for validation and for the description."""

    summary: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    #: status -> a pydantic model, a JSON schema, or None (no body); 4xx errors are added for every route.
    responses: dict[int, Any] = field(default_factory=dict)
    #: media types the body may come in (the first is the usual one)
    body_media: tuple[str, ...] = (JSON,)
    #: the multipart fields of an upload, as a JSON schema's properties
    upload: dict | None = None
    #: the 200 answer may be Server-Sent Events (when the body asks for a stream)
    stream: bool = False
    #: the successful answer's media type(s), when not JSON (an HTML page, a file in one of several formats)
    produces: str | tuple[str, ...] | None = None
    tags: tuple[str, ...] = ()
    description: str | None = None


def endpoint(summary: str, *, body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
             responses: dict[int, Any] | None = None, form: bool = False, upload: dict | None = None,
             stream: bool = False, produces: str | tuple[str, ...] | None = None, tags: tuple[str, ...] = (),
             description: str | None = None):
    """Validate the route's body and query with pydantic models and describe the route in /openapi.json.

    `body`: the JSON object's model (with `form=True` a form-encoded body too; an `upload` route takes a
    multipart form whose fields `upload` describes, and the view reads it itself when one comes).
    `query`: the query string's model. The view receives `body=` and/or `query=` as keyword arguments.
    """
    media = (JSON,) + ((FORM,) if form else ()) + ((MULTIPART,) if upload else ())
    operation = Operation(summary, body, query, dict(responses or {200: {"type": "object"}}), media, upload,
                          stream, produces, tags, description)

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if query is not None:
                kwargs["query"] = query.model_validate(request.args.to_dict())
            if body is not None:
                if upload and request.mimetype == MULTIPART:
                    kwargs["body"] = None
                else:  # a JSON body must have the types described; a form's fields are text, read leniently
                    is_form = form and request.mimetype == FORM
                    kwargs["body"] = body.model_validate(read_body(form=form), strict=not is_form)
            return view(*args, **kwargs)

        wrapper.openapi = operation
        return wrapper

    return decorate


def read_body(form: bool = False) -> dict:
    """The request's fields as a dict: a JSON object, or (when `form`) a form-encoded body."""
    if form and request.mimetype in (FORM, MULTIPART):
        return request.form.to_dict()
    if not request.get_data(cache=True):
        return {}
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidRequestError("The body must be a JSON object.")
    return body


# -- the description ---------------------------------------------------------------------

_CONVERTERS = {"int": {"type": "integer", "minimum": 0}, "float": {"type": "number"}}
_RULE_ARG = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def build_spec(app: Flask) -> dict:
    """The OpenAPI 3.1 document of every route of `app` (static files excepted)."""
    models: set[type[BaseModel]] = set()
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        operation: Operation = getattr(view, "openapi", None) or Operation(rule.endpoint.replace("_", " "))
        path = _RULE_ARG.sub(r"{\2}", rule.rule)
        params = [{"name": name, "in": "path", "required": True,
                   "schema": _CONVERTERS.get(converter or "", {"type": "string", "minLength": 1})}
                  for converter, name in _RULE_ARG.findall(rule.rule)]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(operation, rule.endpoint, params, models)
    definitions = models_json_schema([(model, "validation") for model in sorted(models, key=lambda m: m.__name__)],
                                     ref_template="#/components/schemas/{model}")[1].get("$defs", {})
    return {
        "openapi": "3.1.0",
        "info": {"title": "qapair", "version": "1.0",
                 "description": "Turn text into question-answer pairs with chat models. Every error is "
                                "`{\"error\": {\"message\", \"type\", \"param\"}}`."},
        "paths": paths,
        "components": {"schemas": {**definitions, "Error": ERROR_SCHEMA},
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                      "description": "Needed when the server sets an API token."}}},
    }


def _schema(value: Any, models: set) -> dict | None:
    if value is None:
        return None
    if isinstance(value, type) and issubclass(value, BaseModel):
        models.add(value)
        return {"$ref": f"#/components/schemas/{value.__name__}"}
    return value


def form_schema(model: type[BaseModel]) -> dict:
    """The model as form fields: every field is text, and a list or object field is JSON text."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    properties = {}
    for name, prop in schema.get("properties", {}).items():
        kinds = {p.get("type") for p in prop.get("anyOf", [prop])} | ({"object"} if "$ref" in str(prop) else set())
        if kinds & {"array", "object"}:
            prop = {"type": "string", "contentMediaType": JSON,
                    "description": f"{prop.get('description', name)} (as JSON text)"}
        properties[name] = prop
    return {**schema, "properties": properties, "title": f"{schema.get('title', model.__name__)} (form)"}


def _operation(op: Operation, endpoint_name: str, path_params: list[dict], models: set) -> dict:
    out: dict[str, Any] = {"operationId": endpoint_name.replace(".", "_"), "summary": op.summary}
    if op.description:
        out["description"] = op.description
    if op.tags:
        out["tags"] = list(op.tags)
    params = list(path_params)
    if op.query is not None:
        schema = op.query.model_json_schema(ref_template="#/components/schemas/{model}")
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    if params:
        out["parameters"] = params
    if op.body is not None or op.upload:
        content = {}
        if op.body is not None:
            for media in op.body_media:
                if media == JSON:
                    content[media] = {"schema": _schema(op.body, models)}
                elif media == FORM:
                    content[media] = {"schema": form_schema(op.body)}
        if op.upload:
            content[MULTIPART] = {"schema": {"type": "object", "properties": op.upload,
                                             "required": [k for k, v in op.upload.items() if v.get("x-required")]}}
        out["requestBody"] = {"required": True, "content": content}
    responses: dict[str, Any] = {}
    for status, value in op.responses.items():
        schema = _schema(value, models)
        entry: dict[str, Any] = {"description": "OK" if status < 300 else "Error"}
        if schema is not None:
            media = (op.produces or JSON) if status < 300 else JSON
            entry["content"] = {m: {"schema": schema} for m in ((media,) if isinstance(media, str) else media)}
            if op.stream and status == 200:
                entry["content"][SSE] = {"schema": SSE_EVENT}
        responses[str(status)] = entry
    responses["4XX"] = {"description": "A bad request, in the one error shape",
                        "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}}
    responses["5XX"] = {"description": "A failure upstream or a busy model, in the one error shape",
                        "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}}
    out["responses"] = responses
    out["security"] = [{}, {"bearer": []}]
    return out


@bp.get("/openapi.json")
@endpoint("This description", produces=JSON, tags=("meta",))
def openapi_json():
    return jsonify(build_spec(current_app))
