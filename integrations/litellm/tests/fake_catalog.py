"""A small fake of the catalog's change stream for the integration's unit tests: GET
/catalog/snapshot and the Server-Sent Events of GET /catalog/stream, as the stream contract
describes them, with knobs to cut connections, answer 410, and stop and restart on one port.

It is only a test double of the wire format; the end-to-end test runs the real catalog.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class FakeCatalog:
    def __init__(self, key: str = "sk-gateway-test", port: int = 0) -> None:
        self.key = key
        self.port = port
        self.condition = threading.Condition()
        # The catalog's state: model id -> entry, aliases, and the log of (seq, event).
        self.models: dict[str, dict] = {}
        self.aliases: dict[str, str] = {}
        self.log: list[tuple[int, dict]] = []
        self.seq = 0
        # Knobs
        self.oldest_kept = 0  # a cursor below this answers 410
        self.generation = 0  # bumped to cut every open stream
        self.snapshot_seq_lag = 0  # the snapshot claims an older seq than its state (allowed)
        # What was asked
        self.requests: list[dict] = []
        self.server: ThreadingHTTPServer | None = None

    # The catalog's writes

    def upsert(self, entry: dict) -> int:
        with self.condition:
            self.models[entry["model_info"]["id"]] = entry
            return self._append({"entity": "model", "op": "upsert", "id": entry["model_info"]["id"], "object": entry})

    def delete(self, model_id: str) -> int:
        with self.condition:
            self.models.pop(model_id, None)
            return self._append({"entity": "model", "op": "delete", "id": model_id})

    def set_aliases(self, aliases: dict[str, str]) -> int:
        with self.condition:
            self.aliases = dict(aliases)
            return self._append({"entity": "alias", "op": "upsert", "id": None, "object": dict(aliases)})

    def append(self, event: dict) -> int:
        with self.condition:
            return self._append(event)

    def _append(self, event: dict) -> int:
        self.seq += 1
        self.log.append((self.seq, {"seq": self.seq, **event}))
        self.condition.notify_all()
        return self.seq

    def cut_streams(self) -> None:
        with self.condition:
            self.generation += 1
            self.condition.notify_all()

    # Inspection

    def stream_requests(self) -> list[dict]:
        with self.condition:
            return [request for request in self.requests if request["path"] == "/catalog/stream"]

    def snapshot_requests(self) -> list[dict]:
        with self.condition:
            return [request for request in self.requests if request["path"] == "/catalog/snapshot"]

    # Serving

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "FakeCatalog":
        catalog = self

        class Handler(BaseHTTPRequestHandler):
            # HTTP/1.0: the stream ends when the connection closes.
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def _json(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
                with catalog.condition:
                    catalog.requests.append({
                        "path": parts.path, "query": query, "authorization": self.headers.get("Authorization"),
                        "last_event_id": self.headers.get("Last-Event-ID"),
                    })
                if self.headers.get("Authorization") != f"Bearer {catalog.key}":
                    self._json(401, {"error": {"message": "bad key", "type": "auth_error", "param": None, "code": "401"}})
                    return
                if parts.path == "/catalog/snapshot":
                    with catalog.condition:
                        body = {"seq": max(0, catalog.seq - catalog.snapshot_seq_lag),
                                "models": list(catalog.models.values()), "credentials": [],
                                "aliases": dict(catalog.aliases)}
                    self._json(200, body, {"X-Catalog-Seq": str(body["seq"])})
                elif parts.path == "/catalog/stream":
                    self._stream(query)
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def _stream(self, query: dict[str, str]) -> None:
                cursor_text = self.headers.get("Last-Event-ID") or query.get("after")
                with catalog.condition:
                    cursor = int(cursor_text) if cursor_text is not None else catalog.seq
                    if cursor < catalog.oldest_kept or cursor > catalog.seq:
                        gone = True
                    else:
                        gone = False
                    generation = catalog.generation
                if gone:
                    self._json(410, {"error": {"message": "take a new snapshot", "type": "gone", "param": None, "code": "410"}})
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                try:
                    self.wfile.write(b"retry: 1000\n: stream from " + str(cursor).encode() + b"\n\n")
                    self.wfile.flush()
                    while True:
                        with catalog.condition:
                            pending = [(seq, event) for seq, event in catalog.log if seq > cursor]
                            if not pending and catalog.generation == generation:
                                catalog.condition.wait(timeout=0.2)
                                pending = [(seq, event) for seq, event in catalog.log if seq > cursor]
                            if catalog.generation != generation:
                                return
                        text = ""
                        for seq, event in pending:
                            text += f"id: {seq}\nevent: change\ndata: {json.dumps(event)}\n\n"
                            cursor = seq
                        text = text or ": heartbeat\n\n"
                        self.wfile.write(text.encode())
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return

        # Restarting on the port it had: the feed reconnects to the same URL.
        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True, name="fake-catalog").start()
        return self

    def stop(self) -> None:
        """Stops listening and cuts every open stream (the state stays, for a restart)."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        self.cut_streams()
        time.sleep(0.05)


def model(model_id: str, name: str = "gpt-test", api_base: str = "http://127.0.0.1:9/v1",
          api_key: str = "sk-upstream-secret", blocked: bool = False, **params: object) -> dict:
    """A routing-view model entry as the catalog sends it."""
    return {
        "model_name": name,
        "litellm_params": {"model": "openai/gpt-4o-mini", "api_base": api_base, "api_key": api_key, **params},
        "model_info": {"id": model_id, "db_model": True, "blocked": blocked, "access_groups": [],
                       "created_at": "2026-01-01T00:00:00Z", "mode": "chat"},
    }
