"""Schemathesis hooks of Tests/CatalogServerTests/SchemathesisTests.swift: keep the run on this machine.

POST /reload/model_cost_map downloads the cost map from the `url` it is given. Schemathesis
generates arbitrary URLs there, and the server must never be sent to fetch one of them: this
machine reaches no network but loopback. So, before each call, a `url` that could name a
scheme (it holds a ":") is replaced:

- one that looks like http(s) by a URL of a loopback server started here, which answers 404
  to everything (the server must then answer 400, "answered HTTP 404");
- any other by a non-http URL on loopback (the server must refuse it with 400 without
  fetching anything).

A `url` without ":" names no scheme and is refused by the server as it is, so it is sent as
generated. Every other request is left alone.
"""

import http.server
import threading
import urllib.parse

import schemathesis


class _NotFound(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotFound)
_server.daemon_threads = True
threading.Thread(target=_server.serve_forever, daemon=True).start()
LOOPBACK_404 = "http://127.0.0.1:%d/model_prices_and_context_window.json" % _server.server_address[1]
LOOPBACK_NOT_HTTP = "ftp://127.0.0.1/model_prices_and_context_window.json"


def _local(url):
    if ":" not in url:
        return url
    try:
        scheme = urllib.parse.urlsplit(url.strip()).scheme.lower()
    except ValueError:
        scheme = ""
    return LOOPBACK_404 if scheme in ("http", "https") else LOOPBACK_NOT_HTTP


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.operation.path != "/reload/model_cost_map" or not isinstance(case.body, dict):
        return
    url = case.body.get("url")
    if isinstance(url, str):
        case.body["url"] = _local(url)
