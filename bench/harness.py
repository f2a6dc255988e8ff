"""What the benchmark scripts share: started processes, a keep-alive HTTP client, ports, percentiles.

Imported by ``bench/litellm-gateway/bench.py`` and ``bench/admin-page/bench.py`` (each puts
``bench/`` on ``sys.path``). Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import http.client
import json
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Child:
    """A started process whose output goes to a file (read to find its port, or to report a failure)."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], cwd: str, logs: Path) -> None:
        self.name = name
        self.log_path = logs / f"{re.sub(r'[^a-z0-9]+', '-', name.lower())}.log"
        self.log_file = open(self.log_path, "wb")
        self.process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=self.log_file, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.output())
            if found:
                return found
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not print /{pattern}/ (exit {self.process.poll()}):\n{self.output()[-4000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            started = time.monotonic()
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
                log(f"{self.name} stopped in {time.monotonic() - started:.1f} s (exit {self.process.returncode})")
            except subprocess.TimeoutExpired:
                log(f"{self.name} did not stop within 30 s of SIGTERM: killed")
                self.process.kill()
                self.process.wait(timeout=10)
        self.log_file.close()


class Client:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1:port."""

    def __init__(self, port: int, key: str | None = None) -> None:
        self.port = port
        self.key = key
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: object | None = None) -> tuple[int, bytes]:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            try:
                self.connection.request(method, path, body=data, headers=headers)
                response = self.connection.getresponse()
                return response.status, response.read()
            except (ConnectionError, http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def wait_http(port: int, path: str, timeout: float, child: Child) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise RuntimeError(f"{child.name} exited ({child.process.poll()}):\n{child.output()[-4000:]}")
        try:
            if Client(port).request("GET", path)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{child.name}: 127.0.0.1:{port}{path} did not answer 200 within {timeout} s:\n{child.output()[-4000:]}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    rank = max(1, int(-(-fraction * len(ordered) // 1)))  # nearest rank: ceil(p * n)
    return ordered[min(rank, len(ordered)) - 1]
