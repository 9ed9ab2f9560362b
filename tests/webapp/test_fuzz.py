"""Generated requests against the running app (schemathesis): no 5xx, every 4xx in the error shape.

A small run for CI (a few valid and invalid requests per operation); the full run
with thousands of requests is `python -m bench.api_fuzz` (figures in bench/README.md).
"""

from __future__ import annotations

import pytest

from tests.browser_server import LiveServer
from tests.conftest import make_config
from tests.fuzz_api import run
from webapp import create_app


@pytest.fixture(scope="module")
def live(tmp_path_factory, tiny_model_path, openai_server):
    config = make_config(tiny_model_path, openai_server.base_url,
                         prompts_db=str(tmp_path_factory.mktemp("fuzz") / "p.sqlite"))
    with LiveServer(create_app({"TESTING": True, "QAPAIR_CONFIG": config})) as server:
        yield server


def test_generated_requests_get_no_5xx_and_errors_in_one_shape(live, openai_stub):
    tally = run(live.url, examples=10, derandomize=True)
    assert tally.requests >= 100
    assert not tally.failures, "\n".join(tally.failures[:10])
    assert not [status for status in tally.statuses if status >= 500]
    assert any(400 <= status < 500 for status in tally.statuses)  # invalid requests were made and refused
