"""`GET /api/models`: the configured models, whether each is usable now, and a local model's dtype and why."""

from flask import Blueprint, jsonify

from webapp.openapi import endpoint
from webapp.state import state

bp = Blueprint("models_api", __name__)


def _dtype(model) -> dict | None:
    """{"dtype", "reason"} for a local model: what it computes in and why (auto picks by hardware)."""
    choice = getattr(model, "dtype_choice", None)
    return choice() if choice else None


@bp.get("/api/models")
@endpoint("The configured models, whether each is usable now, and the generation defaults", tags=("models",))
def list_models():
    data = []
    for model in state().registry:
        available, reason = model.availability()
        data.append({"id": model.model_id, "name": model.display_name, "backend": model.settings.backend,
                     "family": model.preset_family, "language": model.settings.language,
                     "available": available, "reason": reason, "note": model.note(),
                     "in_flight": model.in_flight(), "dtype": _dtype(model)})
    return jsonify({"data": data, "defaults": {"max_tokens": state().config.max_tokens,
                                               "temperature": state().config.temperature}})
