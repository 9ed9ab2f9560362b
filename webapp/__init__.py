"""The Flask app factory: layered config, one blueprint per concern.

Config layers, later wins: built-in defaults; the file named by QAPAIR_CONFIG
(or ./cfg.json when present), the same file the CLI reads; then `overrides`
(tests pass a Settings or a path as "QAPAIR_CONFIG" and an "INSTANCE" folder).
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter

from qa.settings import Settings, load_settings
from llms.registry import Registry
from qa.store import PromptStore, import_legacy_prompts, open_database, resolve_url
from webapp import security
from webapp.state import AppState

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 2 * 1024 * 1024


class Int64Converter(IntegerConverter):
    """`<int:id>` up to the largest 64-bit id: a longer number is a 404, never an overflow in the database."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


def config_path_from_env() -> str | None:
    path = os.environ.get("QAPAIR_CONFIG")
    if path:
        return path
    return "cfg.json" if Path("cfg.json").is_file() else None


def create_app(overrides: dict | None = None) -> Flask:
    root = Path(__file__).resolve().parent.parent
    app = Flask(__name__, template_folder=str(root / "templates"), static_folder=str(root / "static"),
                instance_path=str(Path(os.environ.get("QAPAIR_INSTANCE", root / "instance")).resolve()))
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY_BYTES, QAPAIR_MAX_UPLOAD_BYTES=MAX_BODY_BYTES,
                      QAPAIR_CONFIG=config_path_from_env())
    app.json.sort_keys = False
    app.url_map.converters["int"] = Int64Converter
    app.config.update(overrides or {})
    app.config["SECRET_KEY"] = _secret_key(app)

    qapair = app.config["QAPAIR_CONFIG"]
    config = qapair if isinstance(qapair, Settings) else load_settings(qapair)
    token = os.environ.get("QAPAIR_API_TOKEN") or (config.api_token.get_secret_value() if config.api_token else None)
    security.init_app(app, config.allowed_hosts, token)
    app.config["QAPAIR_MAX_UPLOAD_BYTES"] = max(config.max_upload_bytes, MAX_BODY_BYTES)
    db = open_database(resolve_url(config.database_url, config.prompts_db, app.instance_path))
    if not config.prompts_db:  # earlier versions kept saved prompts alone in the instance folder
        import_legacy_prompts(db, Path(app.instance_path) / "prompts.sqlite")
    app.extensions["qapair"] = AppState(config=config, registry=Registry(config), prompts=PromptStore(db), db=db)

    from webapp import ask, documents_api, errors, jobs_api, models_api, openai_api, openapi, pages, prompts_api
    from webapp import export_api, judge_api, pairs_api  # review and export

    errors.register(app)
    for module in (pages, ask, models_api, prompts_api, documents_api, jobs_api, pairs_api, export_api, judge_api,
                   openai_api, openapi):
        app.register_blueprint(module.bp)
    if config.jobs_in_app:  # jobs left running by a process that stopped resume here and now
        from qa.jobs import Runner

        app.extensions["qapair_runner"] = Runner(db, app.extensions["qapair"].registry, config).start()
    from webapp import train_api

    train_api.init_app(app)
    return app


def _secret_key(app: Flask) -> str:
    """SECRET_KEY from the environment; outside development a random per-process key stands in."""
    key = os.environ.get("SECRET_KEY") or app.config.get("SECRET_KEY")
    if key:
        return key
    if app.debug or app.testing:
        return "dev"
    log.warning("SECRET_KEY is not set; using a random key for this process.")
    return secrets.token_hex(32)
