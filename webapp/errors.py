"""Every error as an OpenAI-style JSON body `{"error": {"message", "type", "param"}}`; never a trace."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from llms.errors import LLMError, ServerBusyError, error_body
from llms.options import invalid_request

log = logging.getLogger(__name__)

_HTTP_TYPES = {400: "invalid_request_error", 404: "not_found", 405: "method_not_allowed",
               413: "request_too_large", 415: "invalid_request_error"}


def mid_stream_error(exc: Exception) -> dict:
    """The error body for a failure after a stream began, when only a frame can still be sent;
    an unexpected one is logged with its trace and described without it."""
    if isinstance(exc, LLMError):
        return exc.to_dict()
    log.error("generation failed mid-stream", exc_info=exc)
    return error_body("Generation failed; the server log has the details.", "server_error")


def llm_error_response(exc: LLMError):
    response = jsonify(exc.to_dict())
    response.status_code = exc.status
    if isinstance(exc, ServerBusyError):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def register(app: Flask) -> None:
    @app.errorhandler(LLMError)
    def _llm_error(exc: LLMError):
        return llm_error_response(exc)

    @app.errorhandler(ValidationError)
    def _validation_error(exc: ValidationError):
        return llm_error_response(invalid_request(exc))

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        message = exc.description or exc.name
        if exc.code == 413:
            message = f"The request body is larger than {request.max_content_length // 1024} KiB."
        return jsonify(error_body(message, _HTTP_TYPES.get(exc.code, "server_error"))), exc.code

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return jsonify(error_body("Internal error; the server log has the details.", "server_error")), 500
