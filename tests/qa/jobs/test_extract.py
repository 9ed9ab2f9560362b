"""Which errors a job retries, and how long it waits before each retry."""

from __future__ import annotations

import random

from llms.errors import (
    BackendAuthError, BackendBadRequestError, BackendConnectionError, BackendError, BackendRateLimitError,
    BackendTimeoutError, ContextLengthError, ServerBusyError,
)
from qa.jobs import Backoff, is_transient


def test_transient_errors_are_429_5xx_timeouts_and_connections():
    for exc in (BackendRateLimitError("429"), BackendError("500 upstream"), BackendTimeoutError("slow"),
                BackendConnectionError("refused"), ServerBusyError("full"), TimeoutError(), ConnectionResetError()):
        assert is_transient(exc), exc
    for exc in (BackendAuthError("key"), BackendBadRequestError("bad"), ContextLengthError("long"), ValueError()):
        assert not is_transient(exc), exc


def test_backoff_doubles_with_jitter_and_a_cap():
    backoff = Backoff(attempts=8, base=0.5, cap=4.0)
    rng = random.Random(7)
    for retry in range(1, 8):
        full = min(4.0, 0.5 * 2 ** (retry - 1))
        delays = [backoff.delay(retry, rng) for _ in range(200)]
        assert all(full / 2 <= d <= full for d in delays)
        assert len({round(d, 6) for d in delays}) > 100  # jittered: retries of many chunks do not line up
