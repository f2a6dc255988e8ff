#!/usr/bin/env python3
"""Write-to-routable latency through two stock LiteLLM proxies fed by the catalog (issue 13).

What it measures: for each of N writes (``POST /model/new`` of a fresh deployment name, pointing
at a fake OpenAI-compatible upstream), the time from the catalog's 200 to the first successful
routed ``POST /chat/completions`` for that name through EACH of two LiteLLM proxies
(``litellm[proxy]==1.108.7`` loading ``integrations/litellm/modelcatalog_litellm.py``). Each proxy
is polled on its own thread, over one keep-alive connection, every ``--poll-ms`` (default 2 ms)
from the moment the catalog answered; a poll is a real chat call (400 "Invalid model name" until
the deployment is there). The figure is taken when the first 200 arrives, so it includes that one
routed call (LiteLLM's own overhead plus the upstream's answer); the time the successful call was
SENT is reported beside it (the change was applied before then, or during it), and so is the
time of one routed call for a deployment that is already there (LiteLLM's own call time). After each
sample the deployment is deleted again, so the routers keep the same size.

Set-up, all on 127.0.0.1 (the script starts and stops everything itself):

- ``model-catalog serve`` (``--binary``; say which build you used) on an embedded PostgreSQL in a
  temporary ``--data-dir`` (or ``--database-url``), ``LITELLM_MASTER_KEY`` and
  ``CATALOG_SECRET_KEY`` of the script's own;
- a gateway key (``POST /key/generate {"role": "gateway"}``) for the proxies;
- ``integrations/litellm/tests/fake_upstream.py`` as the upstream;
- two ``litellm --config <tmp>/config.yaml --host 127.0.0.1 --port 0`` with
  ``callbacks: ["modelcatalog_litellm.catalog_feed"]``, ``CATALOG_URL``, ``CATALOG_GATEWAY_KEY``,
  ``PYTHONPATH=integrations/litellm``, ``LITELLM_LOCAL_MODEL_COST_MAP=True``.

Run (from the repository; the venv is the one ``swift test --filter LiteLLMGatewayTests`` makes,
or any venv with ``litellm[proxy]==1.108.7``)::

    swift build -c release --product model-catalog
    .build/litellm-proxy-venv/bin/python bench/litellm-gateway/bench.py \\
        --binary .build/release/model-catalog --writes 200 > litellm-gateway.md

It prints a markdown fragment (a table of p50 / p99 / max per proxy, and the catalog's own write
latency) on stdout, progress on stderr. Percentiles are nearest-rank over all samples.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import secrets
import shutil
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from harness import Child, Client, free_port, log, percentile, wait_http  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
INTEGRATION = ROOT / "integrations" / "litellm"


class Poller(threading.Thread):
    """Polls one proxy with chat calls for a model name until one succeeds."""

    def __init__(self, name: str, port: int, key: str, poll_seconds: float) -> None:
        super().__init__(daemon=True, name=name)
        self.client = Client(port, key)
        self.poll_seconds = poll_seconds
        self.start_signal = threading.Event()
        self.done_signal = threading.Event()
        self.model = ""
        self.deadline = 0.0
        self.result: tuple[float, float, int] | None = None  # (succeeded at, sent at, polls)
        self.stopping = False

    def measure(self, model: str, timeout: float) -> None:
        self.model, self.deadline, self.result = model, time.perf_counter() + timeout, None
        self.done_signal.clear()
        self.start_signal.set()

    def run(self) -> None:
        while not self.stopping:
            if not self.start_signal.wait(0.2):
                continue
            self.start_signal.clear()
            polls = 0
            body = {"model": self.model, "messages": [{"role": "user", "content": "ping"}], "max_tokens": 1}
            while time.perf_counter() < self.deadline:
                sent = time.perf_counter()
                status, _ = self.client.request("POST", "/chat/completions", body)
                polls += 1
                if status == 200:
                    self.result = (time.perf_counter(), sent, polls)
                    break
                time.sleep(self.poll_seconds)
            self.done_signal.set()


def main() -> int:
    parser = argparse.ArgumentParser(description="Write-to-routable latency through two LiteLLM proxies fed by the catalog")
    parser.add_argument("--binary", default=str(ROOT / ".build/release/model-catalog"), help="the model-catalog executable")
    parser.add_argument("--build", default=None, help="how --binary was built, for the report (default: guessed from its path)")
    parser.add_argument("--litellm", default=None, help="the litellm executable (default: next to this python)")
    parser.add_argument("--database-url", default=None, help="an external PostgreSQL (default: embedded, in a temporary directory)")
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--poll-ms", type=float, default=2.0)
    parser.add_argument("--keep-logs", action="store_true", help="keep the temporary directory with every child's log")
    options = parser.parse_args()

    binary = Path(options.binary).resolve()
    if not binary.is_file():
        parser.error(f"no model-catalog at {binary}: build it first (swift build -c release --product model-catalog)")
    litellm = options.litellm or str(Path(sys.executable).parent / "litellm")
    if not os.access(litellm, os.X_OK):
        parser.error(f"no litellm executable at {litellm}: pass --litellm or run with a litellm[proxy]==1.108.7 venv's python")
    build = options.build or ("release" if "/release/" in str(binary) else "debug" if "/debug/" in str(binary) else "unknown")

    work = Path(tempfile.mkdtemp(prefix="litellm-gateway-bench-"))
    # Run as root, the embedded PostgreSQL runs as user postgres, which must reach its data directory.
    work.chmod(0o755)
    children: list[Child] = []
    base_env = {key: value for key, value in os.environ.items()
                if key not in {"DATABASE_URL", "LITELLM_MASTER_KEY", "CATALOG_SECRET_KEY", "LITELLM_SALT_KEY",
                               "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"}}
    base_env.update({"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost", "PYTHONDONTWRITEBYTECODE": "1"})
    try:
        master_key = "sk-bench-" + secrets.token_hex(16)
        catalog_env = base_env | {"LITELLM_MASTER_KEY": master_key,
                                  "CATALOG_SECRET_KEY": base64.b64encode(secrets.token_bytes(32)).decode()}
        catalog_port = free_port()
        database = ["--database-url", options.database_url] if options.database_url else ["--data-dir", str(work / "catalog-data")]
        log(f"starting the catalog ({build} build) on 127.0.0.1:{catalog_port}")
        catalog = Child("catalog", [str(binary), "serve", "--host", "127.0.0.1", "--port", str(catalog_port), *database],
                        catalog_env, str(work), work)
        children.append(catalog)
        wait_http(catalog_port, "/health/readiness", 120, catalog)
        admin = Client(catalog_port, master_key)
        status, body = admin.request("POST", "/key/generate", {"role": "gateway", "key_alias": "bench-litellm"})
        if status != 200:
            raise RuntimeError(f"/key/generate role gateway: {status} {body[:300]!r}")
        gateway_key = json.loads(body)["key"]

        python_env = base_env | {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "PYTHONNOUSERSITE": "1"}
        upstream = Child("upstream", [sys.executable, str(INTEGRATION / "tests/fake_upstream.py"), "--port", "0", "--name", "bench"],
                         python_env, str(work), work)
        children.append(upstream)
        upstream_port = int(upstream.wait_for(r"listening on 127\.0\.0\.1:(\d+)", 60).group(1))

        config = work / "config.yaml"
        config.write_text('model_list: []\nlitellm_settings:\n  callbacks: ["modelcatalog_litellm.catalog_feed"]\n')
        proxy_key = "sk-proxy-" + secrets.token_hex(16)
        proxy_env = python_env | {"CATALOG_URL": f"http://127.0.0.1:{catalog_port}", "CATALOG_GATEWAY_KEY": gateway_key,
                                  "LITELLM_MASTER_KEY": proxy_key, "PYTHONPATH": str(INTEGRATION), "HOME": str(work)}
        proxies = []
        for index in (1, 2):
            children.append(Child(f"proxy {index}", [litellm, "--config", str(config), "--host", "127.0.0.1", "--port", "0"],
                                  proxy_env, str(work), work))
            proxies.append(children[-1])
        log("starting two LiteLLM proxies (LiteLLM takes 15 s and more to start)")
        ports = [int(proxy.wait_for(r"Uvicorn running on http://127\.0\.0\.1:(\d+)", 300).group(1)) for proxy in proxies]
        for port, proxy in zip(ports, proxies):
            wait_http(port, "/health/liveliness", 60, proxy)

        # For reference: a routed call for a deployment that is already there (LiteLLM's own time
        # for one call through it to the upstream), to read the figures below against.
        steady = {"model_name": f"bench-steady-{secrets.token_hex(4)}",
                  "litellm_params": {"model": "openai/bench-steady", "api_base": f"http://127.0.0.1:{upstream_port}/v1",
                                     "api_key": "sk-bench-upstream-" + secrets.token_hex(8)}}
        status, body = admin.request("POST", "/model/new", steady)
        if status != 200:
            raise RuntimeError(f"/model/new: {status} {body[:300]!r}")
        steady_ms: list[list[float]] = []
        for port in ports:
            client, timings = Client(port, proxy_key), []
            call = {"model": steady["model_name"], "messages": [{"role": "user", "content": "ping"}], "max_tokens": 1}
            deadline = time.monotonic() + 30
            while client.request("POST", "/chat/completions", call)[0] != 200:
                if time.monotonic() > deadline:
                    raise RuntimeError("the steady deployment never became routable")
                time.sleep(0.01)
            for _ in range(options.writes):
                started = time.perf_counter()
                status, _ = client.request("POST", "/chat/completions", call)
                timings.append((time.perf_counter() - started) * 1000)
                if status != 200:
                    raise RuntimeError(f"a call for the steady deployment failed: {status}")
            steady_ms.append(timings)

        pollers = [Poller(f"proxy {index + 1}", port, proxy_key, options.poll_ms / 1000) for index, port in enumerate(ports)]
        for poller in pollers:
            poller.start()
        run_id = uuid.uuid4().hex[:8]
        samples: list[list[float]] = [[] for _ in pollers]
        sent_samples: list[list[float]] = [[] for _ in pollers]
        write_ms: list[float] = []
        polls: list[int] = []
        total = options.warmup + options.writes
        log(f"{options.warmup} warm-up writes, then {options.writes} measured")
        for index in range(total):
            name = f"bench-{run_id}-{index}"
            model_id = f"bench-{run_id}-{index}"
            params = {"model": f"openai/{name}", "api_base": f"http://127.0.0.1:{upstream_port}/v1",
                      "api_key": "sk-bench-upstream-" + secrets.token_hex(8)}
            started = time.perf_counter()
            status, body = admin.request("POST", "/model/new",
                                         {"model_name": name, "litellm_params": params, "model_info": {"id": model_id}})
            answered = time.perf_counter()
            if status != 200:
                raise RuntimeError(f"/model/new: {status} {body[:300]!r}")
            for poller in pollers:
                poller.measure(name, timeout=30)
            for poller in pollers:
                poller.done_signal.wait(40)
            for position, poller in enumerate(pollers):
                if poller.result is None:
                    raise RuntimeError(f"{poller.name} never routed {name} within 30 s")
                if index >= options.warmup:
                    succeeded, sent, count = poller.result
                    samples[position].append((succeeded - answered) * 1000)
                    sent_samples[position].append(max(0.0, sent - answered) * 1000)
                    polls.append(count)
            if index >= options.warmup:
                write_ms.append((answered - started) * 1000)
            status, body = admin.request("POST", "/model/delete", {"id": model_id})
            if status != 200:
                raise RuntimeError(f"/model/delete: {status} {body[:300]!r}")
            if (index + 1) % 50 == 0:
                log(f"  {index + 1}/{total}")
        for poller in pollers:
            poller.stopping = True

        def row(label: str, values: list[float]) -> str:
            return (f"| {label} | {len(values)} | {percentile(values, 0.5):.1f} | {percentile(values, 0.99):.1f} "
                    f"| {max(values):.1f} |")

        both = [max(pair) for pair in zip(*samples)]
        print(f"Catalog: `model-catalog serve` ({build} build, embedded PostgreSQL"
              f"{'' if not options.database_url else ' → external database'}); two `litellm[proxy]==1.108.7` proxies "
              f"with `integrations/litellm` (routing view, gateway key); fake OpenAI upstream; all on 127.0.0.1, "
              f"{os.cpu_count()} CPUs, Python {platform.python_version()}. {options.writes} writes after "
              f"{options.warmup} warm-up, each a fresh deployment name, deleted after its sample; each proxy polled "
              f"every {options.poll_ms:g} ms with a real chat call.")
        print()
        print("| from the catalog's 200 on `POST /model/new` to … | writes | p50 ms | p99 ms | max ms |")
        print("|---|---:|---:|---:|---:|")
        for position, poller in enumerate(pollers):
            print(row(f"the first successful routed `/chat/completions` through {poller.name}", samples[position]))
        print(row("… through both proxies (the later of the two)", both))
        for position, poller in enumerate(pollers):
            print(row(f"sending the call that succeeded, {poller.name}", sent_samples[position]))
        print(row("(the write itself: `POST /model/new` request to its 200)", write_ms))
        for position, poller in enumerate(pollers):
            print(row(f"(one routed call, back to back, for a deployment already there, {poller.name})", steady_ms[position]))
        print()
        print(f"Polls per proxy and write: median {percentile([float(p) for p in polls], 0.5):.0f}, "
              f"max {max(polls)}. LiteLLM's own propagation, for comparison: its database mode polls every "
              f"`proxy_config_reload_interval_seconds` (30 s by default); not measured here (it needs Prisma's engines).")
        return 0
    finally:
        for child in reversed(children):
            child.stop()
        if options.keep_logs:
            log(f"logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
