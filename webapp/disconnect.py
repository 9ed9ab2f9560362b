"""Cancel a non-streaming generation when its client hangs up.

A streamed reply notices a departed client when writing to it fails; a plain
JSON reply writes nothing until generation ends, so without this it would run
to max_tokens for nobody and hold its batch slot. While the block runs, a
watcher thread checks every `interval` seconds whether the request's socket
(gunicorn's and Werkzeug's servers put it in the WSGI environ) has been closed
by the peer: readable with nothing to read. The body has been read by then, so
a readable socket means the client closed it or pipelined another request.
"""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import request

SOCKET_KEYS = ("gunicorn.socket", "werkzeug.socket")


@contextmanager
def cancel_if_client_leaves(cancel: Callable[[], None], interval: float = 0.2) -> Iterator[None]:
    """Call `cancel()` (once) if the client closes its connection before the block ends."""
    sock = next((request.environ[key] for key in SOCKET_KEYS if key in request.environ), None)
    if not isinstance(sock, socket.socket):
        yield
        return
    done = threading.Event()

    def watch() -> None:
        while not done.wait(interval):
            if _closed_by_peer(sock):
                cancel()
                return

    watcher = threading.Thread(target=watch, name="disconnect-watch", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()


def _closed_by_peer(sock: socket.socket) -> bool:
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable) and sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except (OSError, ValueError):  # reset by the peer, or already closed
        return True
