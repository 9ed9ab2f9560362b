"""Reading a request's fields, shared by the blueprints: JSON or a form, always a dict."""

from __future__ import annotations

from flask import request

from llms.errors import InvalidRequestError


def read_body() -> dict:
    """The request's fields, from JSON or a form."""
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise InvalidRequestError("The body must be a JSON object.")
        return body
    return request.form.to_dict()
