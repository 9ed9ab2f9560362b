"""Schemathesis against the running app: requests generated from `/openapi.json`, valid and invalid.

Shared by the CI test (tests/webapp/test_fuzz.py, a few examples per operation) and
the full run (`python -m bench.api_fuzz`, thousands of requests). Checks: no 5xx,
status codes and content types as described, every body as its schema says, in
particular every 4xx in the one error shape, and invalid input refused with a 4xx.
Generated generation lengths are capped so the tiny local model answers quickly:
a request may ask for up to 8192 tokens, which would only make the run slow.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                               response_schema_conformance, status_code_conformance)
from schemathesis.checks import not_a_server_error

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]
MAX_TOKENS_CAP = 8
# Invalid input must get one of these; 413 included: a body over the size limit is refused before it is read.
REJECTIONS = ["400", "401", "403", "404", "405", "409", "413", "415", "422", "429"]


@dataclass
class Tally:
    """What the run sent and what came back."""

    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    by_operation: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


def _bounded(case) -> None:
    """Cap generation lengths in a valid generated body."""
    body = case.body
    if isinstance(body, dict):
        for key in ("max_tokens", "max_completion_tokens", "param1"):
            value = body.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value > MAX_TOKENS_CAP:
                body[key] = MAX_TOKENS_CAP
        if body.get("stream") is True and isinstance(body.get("max_tokens"), int):
            body["max_tokens"] = min(body["max_tokens"], MAX_TOKENS_CAP)


def run(base_url: str, examples: int, *, derandomize: bool = False, tally: Tally | None = None,
        modes=(GenerationMode.POSITIVE, GenerationMode.NEGATIVE)) -> Tally:
    """Fuzz every operation with up to `examples` cases per mode; collect every failure instead of stopping.
    `derandomize` makes the cases the same on every run (for CI)."""
    tally = tally or Tally()
    config = schemathesis.Config.from_dict({"checks": {"negative_data_rejection": {"expected-statuses": REJECTIONS}}})
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", config=config)
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in modes:
            strategy = operation.as_strategy(generation_mode=mode)

            @settings(max_examples=examples, deadline=None, database=None, derandomize=derandomize,
                      suppress_health_check=list(HealthCheck))
            @given(case=strategy)
            def one(case):
                if mode == GenerationMode.POSITIVE:  # an invalid length must stay invalid
                    _bounded(case)
                tally.requests += 1
                tally.by_operation[f"{operation.method.upper()} {operation.path}"] += 1
                try:
                    response = case.call(base_url=base_url, timeout=60)
                    tally.statuses[response.status_code] += 1
                    case.validate_response(response, checks=CHECKS)
                except (Exception, BaseExceptionGroup) as exc:  # failed checks (a group of them): keep, go on
                    tally.failures.append(f"{operation.method.upper()} {operation.path} [{mode.value}]: "
                                          f"{str(exc).strip()[:600]}")

            try:
                one()
            except Unsatisfiable:  # nothing invalid can be sent to an operation that reads no input
                pass
    return tally
