"""Cancel a generation when its client hangs up before the reply's first byte is sent.

A streamed reply notices a departed client when writing to it fails; before the
first write (a plain JSON reply, or a stream whose request still waits in the
engine's queue) nothing is written, so without this a request would wait and then
run to max_tokens for nobody, holding its place. While the block runs, the
request's socket (gunicorn and Werkzeug put it in the WSGI environ) is watched by
one shared thread with the operating system's poller (`selectors`: epoll here, no
descriptor limit, no polling interval): readable with nothing to read means the
peer closed it. The body has been read by then, so other readable data means a
pipelined request, and the socket is simply no longer watched.
"""

from __future__ import annotations

import selectors
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import request

SOCKET_KEYS = ("gunicorn.socket", "werkzeug.socket")


class _Watcher:
    """One thread that waits on every watched socket at once and calls a socket's `cancel` when its peer leaves."""

    def __init__(self):
        self._selector = selectors.DefaultSelector()
        self._lock = threading.Lock()
        self._wake_read, self._wake_write = socket.socketpair()
        self._wake_read.setblocking(False)
        self._selector.register(self._wake_read, selectors.EVENT_READ, None)
        self._thread: threading.Thread | None = None

    def watch(self, sock: socket.socket, cancel: Callable[[], None]) -> bool:
        with self._lock:
            try:
                self._selector.register(sock, selectors.EVENT_READ, cancel)
            except (KeyError, ValueError, OSError):  # already watched, or already closed
                return False
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="disconnect-watch", daemon=True)
                self._thread.start()
        self._wake_write.send(b"\0")  # pollers that cannot see a registration made while they wait
        return True

    def unwatch(self, sock: socket.socket) -> None:
        with self._lock:
            try:
                self._selector.unregister(sock)
            except (KeyError, ValueError, OSError):  # the watcher already let it go
                pass

    def _run(self) -> None:
        while True:
            for key, _ in self._selector.select():
                if key.data is None:  # the wake-up pair
                    try:
                        self._wake_read.recv(4096)
                    except BlockingIOError:
                        pass
                    continue
                sock, cancel = key.fileobj, key.data
                closed = _closed_by_peer(sock)
                self.unwatch(sock)
                if closed:
                    cancel()


_watcher = _Watcher()


@contextmanager
def cancel_if_client_leaves(cancel: Callable[[], None]) -> Iterator[None]:
    """Call `cancel()` if the client closes its connection before the block ends."""
    sock = next((request.environ[key] for key in SOCKET_KEYS if key in request.environ), None)
    if not isinstance(sock, socket.socket) or not _watcher.watch(sock, cancel):
        yield
        return
    try:
        yield
    finally:
        _watcher.unwatch(sock)


def _closed_by_peer(sock: socket.socket) -> bool:
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except (OSError, ValueError):  # reset by the peer, or already closed
        return True
