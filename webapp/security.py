"""What keeps other sites and other hosts out: Host allow-list, Origin check, JSON-only APIs, API token, headers.

qapair runs beside the user's browser and holds their model keys, so any page
they visit could otherwise post to it. Every request passes `check_request`:
- a Host header outside the allow-list (localhost, 127.0.0.1, [::1] and the
  configured `allowed_hosts`) is answered 400, so DNS rebinding reaches nothing;
- a request that changes data or calls a model (POST, PUT, PATCH, DELETE) is
  refused 403 when it carries `Sec-Fetch-Site: cross-site` or an Origin other
  than the app's own; scripts that send no Origin (curl, the SDKs) pass;
- such a request with a body must send JSON (415 otherwise), except where a
  route takes uploads (multipart) and `/ask`, which also takes form fields from
  scripts (the original design's clients);
- with an API token configured, `/ask`, `/api/` and `/v1/` need
  `Authorization: Bearer <token>` (compared in constant time; 401 otherwise).
Every response gets a Content-Security-Policy without inline script or style,
`nosniff`, `frame-ancestors 'none'` and `Referrer-Policy: same-origin`.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from flask import Flask, current_app, request

from llms.errors import LLMError

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
PROTECTED_PREFIXES = ("/ask", "/api/", "/v1/")

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
    "connect-src 'self'", "font-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'",
    "frame-ancestors 'none'",
])
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class ForbiddenError(LLMError):
    status = 403
    type = "forbidden"


class BadHostError(LLMError):
    status = 400
    type = "invalid_host"


class UnsupportedMediaTypeError(LLMError):
    status = 415
    type = "unsupported_media_type"


class UnauthorizedError(LLMError):
    status = 401
    type = "authentication_error"


def host_name(host: str) -> str:
    """The name part of a Host header value: "127.0.0.1:5000" -> "127.0.0.1", "[::1]:5000" -> "::1"."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def check_request() -> None:
    """Refuse what another site or host may not do; see the module's docstring."""
    allowed = current_app.config["QAPAIR_ALLOWED_HOSTS"]
    if host_name(request.host) not in allowed:
        raise BadHostError(f"Host {request.host!r} is not served here; add it to allowed_hosts in the config "
                           "if the app is meant to answer to that name.", param="Host")
    if request.method in UNSAFE_METHODS:
        _check_origin()
        _check_media_type()
        operation = getattr(current_app.view_functions.get(request.endpoint or ""), "openapi", None)
        if operation is not None and operation.upload:  # uploads may be larger than other bodies
            request.max_content_length = current_app.config["QAPAIR_MAX_UPLOAD_BYTES"]
    token = current_app.config.get("QAPAIR_API_TOKEN")
    if token and request.path.startswith(PROTECTED_PREFIXES):
        given = request.headers.get("Authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
            raise UnauthorizedError("This server needs its API token: send 'Authorization: Bearer <token>'.",
                                    param="Authorization")


def _check_origin() -> None:
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        raise ForbiddenError("Requests from other sites may not change data or call models here.")
    origin = request.headers.get("Origin")
    if origin is None:
        return  # a script, not a browser page
    parts = urlsplit(origin)
    if origin == "null" or not parts.netloc or parts.netloc.lower() != request.host.lower():
        raise ForbiddenError("Requests from other origins may not change data or call models here.",
                             param="Origin")


def _check_media_type() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    operation = getattr(view, "openapi", None)
    media = operation.body_media if operation else ("application/json",)
    has_body = bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if not has_body and not request.mimetype:
        return
    if request.is_json or request.mimetype in media:
        return
    raise UnsupportedMediaTypeError(
        f"Send the body as {' or '.join(media)} (Content-Type was {request.mimetype or 'missing'!r}).",
        param="Content-Type")


def add_headers(response):
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_app(app: Flask, allowed_hosts: list[str], api_token: str | None) -> None:
    app.config["QAPAIR_ALLOWED_HOSTS"] = {host_name(h) for h in (*LOCAL_HOSTS, *allowed_hosts)}
    app.config["QAPAIR_API_TOKEN"] = api_token or None
    app.before_request(check_request)
    app.after_request(add_headers)
