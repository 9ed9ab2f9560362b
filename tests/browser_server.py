"""Helpers for the browser test: the app in a real HTTP server thread, and headless Debian chromium."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


class LiveServer:
    """Serve `app` on a free port of 127.0.0.1 from a background thread, threaded like production."""

    def __init__(self, app: Flask):
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.host, self.port = "127.0.0.1", self._server.server_port
        self.url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "LiveServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def launch_chromium(playwright):
    """Headless Debian chromium (Playwright cannot download its own browsers here)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


@pytest.fixture(scope="module")
def browser():
    """One headless chromium for a test module; import this fixture into the module that uses it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        yield launched
        launched.close()
