"""A fake OpenAI-compatible upstream on 127.0.0.1, for the integration's tests and the end-to-end
test: it answers ``POST /chat/completions`` (and ``/v1/chat/completions``) with a valid
chat.completion and records each request's ``Authorization`` header and ``model``.

``GET /_requests`` answers the records as JSON, ``DELETE /_requests`` clears them.

Run: ``python fake_upstream.py [--port 0] [--name NAME]``; it prints
``fake upstream NAME listening on 127.0.0.1:PORT`` once it listens, and serves until SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Upstream:
    """The server and what it recorded."""

    def __init__(self, port: int = 0, name: str = "upstream") -> None:
        self.name = name
        self.records: list[dict] = []
        self.lock = threading.Lock()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
                pass

            def _send(self, status: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/_requests":
                    with upstream.lock:
                        self._send(200, list(upstream.records))
                else:
                    self._send(404, {"error": {"message": "not found"}})

            def do_DELETE(self) -> None:  # noqa: N802
                with upstream.lock:
                    upstream.records.clear()
                self._send(200, {"cleared": True})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                model = body.get("model")
                with upstream.lock:
                    upstream.records.append({
                        "upstream": upstream.name, "path": self.path, "model": model,
                        "authorization": self.headers.get("Authorization"), "at": time.time(),
                    })
                self._send(200, {
                    "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
                    "model": model or "fake",
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": f"hello from {upstream.name}"}}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 3, "total_tokens": 4},
                })

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name=f"upstream-{name}", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Upstream":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def requests(self) -> list[dict]:
        with self.lock:
            return list(self.records)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--name", default="upstream")
    options = parser.parse_args()
    upstream = Upstream(options.port, options.name)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    upstream.start()
    print(f"fake upstream {options.name} listening on 127.0.0.1:{upstream.port}", flush=True)
    stopped.wait()
    upstream.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
