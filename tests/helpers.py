"""Small helpers shared by the test modules."""

from __future__ import annotations

import time

QUESTIONS = ["What is the capital of China?", "长江有多长？", "Name three rivers.", "Write a question about foxes."]


def wait_until(condition, timeout: float = 30.0) -> None:
    """Poll `condition` until it holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)
