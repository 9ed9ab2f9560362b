"""`GET /api/models`: the configured models and whether each is usable now."""

from flask import Blueprint, jsonify

from webapp.openapi import endpoint
from webapp.state import state

bp = Blueprint("models_api", __name__)


@bp.get("/api/models")
@endpoint("The configured models, whether each is usable now, and the generation defaults", tags=("models",))
def list_models():
    data = []
    for model in state().registry:
        available, reason = model.availability()
        data.append({"id": model.model_id, "name": model.display_name, "backend": model.settings.backend,
                     "family": model.preset_family, "language": model.settings.language,
                     "available": available, "reason": reason, "note": model.note(),
                     "in_flight": model.in_flight()})
    return jsonify({"data": data, "defaults": {"max_tokens": state().config.max_tokens,
                                               "temperature": state().config.temperature}})
