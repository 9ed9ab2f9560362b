"""gunicorn settings for a process that holds a model in memory.

One worker, so the model is loaded once; threads serve concurrent requests
(the local engine batches them). There are as many threads as the config's
models admit requests, plus room for the page (webapp/capacity.py), so a full
queue answers 503 instead of leaving requests in the accept queue;
QAPAIR_THREADS may raise that, never lower it. The model loads after the fork,
in the worker, never in the master. Timeouts outlast a long generation.
"""

import logging
import os

from qa.settings import load_settings
from webapp import config_path_from_env
from webapp.capacity import required_threads

bind = os.environ.get("QAPAIR_BIND", "127.0.0.1:5000")
workers = 1
worker_class = "gthread"
_needed = required_threads(load_settings(config_path_from_env()))
threads = max(_needed, int(os.environ.get("QAPAIR_THREADS", "0") or 0))
if int(os.environ.get("QAPAIR_THREADS", "0") or 0) not in (0, threads):
    logging.getLogger("gunicorn.error").warning(
        "QAPAIR_THREADS is below what the models admit; using %d threads", threads)
timeout = 900  # seconds a worker may go silent: a long generation on a CPU
graceful_timeout = 30
keepalive = 5
preload_app = False  # never load models in the master
control_socket_disable = True  # no control socket in the home folder
accesslog = "-"


def post_worker_init(worker):
    """Load the local models in the background and run one token through each, so the first
    request waits neither for the load nor for the first forward pass's one-time setup."""
    import threading

    from webapp.state import AppState

    app_state: AppState = worker.wsgi.extensions["qapair"]

    def warm():
        for model in app_state.registry:
            if hasattr(model, "load") and model.availability()[0]:
                try:
                    model.load()
                    model.request_llm([{"role": "user", "content": "hello"}], max_tokens=1)
                except Exception as exc:  # the page shows the reason via /api/models
                    worker.log.warning("model %s not loaded: %s", model.model_id, exc)

    threading.Thread(target=warm, name="warm-models", daemon=True).start()
