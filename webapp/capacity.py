"""How many requests the server must hold at once, derived from the config, so a full queue answers 503.

Each local model holds up to `max_batch_size` running and `max_queue` waiting
requests, each remote model `max_concurrent`; beyond those a request gets 503
with Retry-After at once. A thread-per-request server (gunicorn's gthread) needs
a thread for each of them plus room for the page and the JSON endpoints, or its
threads run out first: then requests wait in the accept queue, the promised 503
never comes, and the page stops loading behind long generations.
"""

from __future__ import annotations

from qa.settings import Settings

PAGE_ROOM = 16  # threads left for the page, /api and /openapi.json when every model is full


def required_threads(settings: Settings) -> int:
    """Threads that hold every request the models admit, plus room for the page."""
    held = 0
    for model in settings.models.values():
        held += model.max_batch_size + model.max_queue if model.backend == "local" else model.max_concurrent
    return held + PAGE_ROOM
