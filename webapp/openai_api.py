"""The OpenAI-compatible `/v1` API over the local model(s)."""

from flask import Blueprint

bp = Blueprint("openai_api", __name__, url_prefix="/v1")
