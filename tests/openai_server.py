"""A small real HTTP server speaking the OpenAI chat-completions protocol, for tests.

It answers `POST /v1/chat/completions` (plain and streaming) with replies the
test chooses, records every request body, and can answer with an error status
so each SDK error path is exercised over a real socket.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients that time out or hang up are part of the tests


class OpenAIServer:
    def __init__(self):
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.replies: list[str] = []
        self.default_reply = "Question 1: What is it?\nAnswer 1: A test."
        self.error: tuple[int, dict] | None = None
        self.delay = 0.0
        self.epoch = 0
        self.chunk_delay = 0.0  # seconds between streamed chunks, so a test can watch a reply grow or stop it
        # when n > 0, every n-th new request answers 500 (a flaky upstream); the retry of a request that failed
        # this way succeeds, so a client with a few attempts always gets through and the tests do not depend on
        # how concurrent calls happen to interleave with the count
        self.fail_every = 0
        self._count = 0
        self._failed: set[str] = set()
        self._count_lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> "OpenAIServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        self.epoch += 1  # requests still running from an earlier test no longer touch this state
        self.requests.clear()
        self.headers.clear()
        self.replies.clear()
        self.error = None
        self.delay = 0.0
        self.chunk_delay = 0.0
        self.fail_every = 0
        self._count = 0
        self._failed.clear()

    def next_reply(self) -> str:
        return self.replies.pop(0) if self.replies else self.default_reply

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                server.requests.append(body)
                server.headers.append({k.lower(): v for k, v in self.headers.items()})
                epoch = server.epoch
                if server.delay:
                    time.sleep(server.delay)
                if epoch != server.epoch:
                    return  # its test is over; its client has gone
                if server.error:
                    status, payload = server.error
                    return self._send(status, payload)
                if server.fail_every:
                    key = json.dumps(body.get("messages"), sort_keys=True)
                    with server._count_lock:
                        if key in server._failed:
                            server._failed.discard(key)
                            flaky = False
                        else:
                            server._count += 1
                            flaky = server._count % server.fail_every == 0
                            if flaky:
                                server._failed.add(key)
                    if flaky:
                        return self._send(500, {"error": {"message": "failing on purpose", "type": "server_error"}})
                reply = server.next_reply()
                words = reply.split(" ")
                pieces = [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
                max_tokens = body.get("max_tokens") or len(pieces)
                finish = "length" if len(pieces) > max_tokens else "stop"
                pieces = pieces[:max_tokens]
                usage = {"prompt_tokens": sum(len(m["content"].split()) for m in body["messages"]),
                         "completion_tokens": len(pieces)}
                usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
                if not body.get("stream"):
                    return self._send(200, {
                        "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()),
                        "model": body["model"], "usage": usage,
                        "choices": [{"index": 0, "finish_reason": finish,
                                     "message": {"role": "assistant", "content": "".join(pieces)}}]})
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                base = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": int(time.time()),
                        "model": body["model"]}
                for piece in pieces:
                    time.sleep(server.chunk_delay)
                    self._event({**base, "choices": [{"index": 0, "delta": {"content": piece},
                                                      "finish_reason": None}]})
                self._event({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
                if (body.get("stream_options") or {}).get("include_usage"):
                    self._event({**base, "choices": [], "usage": usage})
                self.wfile.write(b"data: [DONE]\n\n")

            def _event(self, payload):
                self.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())
                self.wfile.flush()

            def _send(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
