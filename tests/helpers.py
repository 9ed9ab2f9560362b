"""Small helpers shared by the test modules."""

from __future__ import annotations

import threading
import time

QUESTIONS = ["What is the capital of China?", "长江有多长？", "Name three rivers.", "Write a question about foxes."]


def wait_until(condition, timeout: float = 30.0) -> None:
    """Poll `condition` until it holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def in_threads(target, count: int) -> None:
    """Run target(0), ..., target(count - 1) each in its own thread, and wait for all of them."""
    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
_postgres: list = []


def postgres_url() -> tuple[str | None, str]:
    """(URL, "") of the PostgreSQL server the storage tests also run on, or (None, why it is skipped).

    The URL is $DATABASE_URL as the test run began (tests/conftest.py keeps it from the app
    tests, which each use their own SQLite file), else the local server on 127.0.0.1:5432.
    A server named in $DATABASE_URL that does not answer fails the tests instead of skipping them.
    """
    if not _postgres:
        import os

        from sqlalchemy import create_engine, text

        named = os.environ.get("QAPAIR_TEST_POSTGRES_URL")
        url = named or DEFAULT_POSTGRES_URL
        try:
            engine = create_engine(url, connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
            _postgres.append((url, ""))
        except Exception as exc:
            if named:
                raise RuntimeError(f"DATABASE_URL names PostgreSQL at {url}, which does not answer: {exc}") from exc
            _postgres.append((None, f"no PostgreSQL answers at {url} ({type(exc).__name__}); "
                                    "start one or set DATABASE_URL to run the storage tests on it"))
    return _postgres[0]
