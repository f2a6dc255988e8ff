#!/usr/bin/env python3
"""How fast the admin page's models page shows its first page with 100,000 deployments (issue 15).

What it measures, in headless Chromium (Debian's ``/usr/bin/chromium`` driven by Playwright for
Python, 1280×900, a new browser context for every run, so no HTTP cache, no session and no
compiled script is carried from one run to the next):

- **Cold first render**: ``/ui`` opened with the master key already in ``sessionStorage``
  (``modelcatalog.key``, put there by ``context.add_init_script`` before the page's scripts run),
  just after a write (``PATCH /model/{id}/update`` of one deployment far down the list), so the
  server's response cache holds no ``/v2/model/info`` page and builds it for this request. The
  figure is the browser's own clock, ``performance.now()`` (milliseconds since navigation start),
  taken by a ``MutationObserver`` of the script's own at the moment ``#models tbody tr`` holds the
  first page's 50 rows ("in the DOM"), and again in the first task after the next animation
  frame ("painted": the frame that shows them has been produced). The target is judged on
  "painted". No Playwright round trip is in either figure.
- **Warm**: the same, right after, in a new context: the server answers from its response cache.
- **Sign-in path**: ``/ui`` without a key, the key typed into the form, "Sign in" clicked; from
  the form's ``submit`` event (``performance.now()`` in a capture listener) to the 50 rows
  painted. Cold server cache, as in the first measure.
- **The ``/v2/model/info`` request itself**, from the Resource Timing API of the cold and warm
  runs: its duration (request start to the last byte), its waiting time (request sent to the first
  byte: the server's work plus loopback) and its sizes (the browser asks for gzip, and gets it).
- **The server's own figure** for ``GET /v2/model/info?page=1&size=50`` with the master key, from
  Python (``http.client``, a new connection per request, like ``curl``; connect to last byte):
  uncached (just after a write, as above) and cached (the same request again), with and without
  ``Accept-Encoding: gzip``.
- **Search at 100,000**: in the page of the cold run, ``gpt-4o-mini`` typed into the Search box
  (its label) key by key; from the last keystroke's ``input`` event to the moment the table's
  caption shows the search's total (rows and caption are replaced in the same task). The page
  waits 250 ms after the last keystroke before it asks (debounce): the figure includes those
  250 ms. The server's cache holds no answer for the search (a write came before the run).

Every run checks that the page logged no JavaScript error (``pageerror``, console errors): the
script fails if one did. Percentiles are nearest-rank over the runs.

Set-up, all on 127.0.0.1 (the script starts and stops everything itself):

- ``model-catalog serve --host 127.0.0.1 --port P --data-dir <tmp>`` (``--binary``; say which
  build you used): the embedded PostgreSQL in a temporary directory (as root, it runs as user
  postgres), ``LITELLM_MASTER_KEY`` and ``CATALOG_SECRET_KEY`` of the script's own, default
  pool and logging.
- 100,000 deployments seeded with plain SQL (psycopg, over the embedded server's Unix socket
  ``<data-dir>/postgres/.s.PGSQL.5432``, as user postgres) in one transaction, change-log
  triggers on, while the server runs: 10,000 tenants ``t00000``…``t09999``, 10 deployments each,
  real cost-map models in rotation (``openai/gpt-4o``, ``anthropic/claude-sonnet-4-5``,
  ``openai/gpt-4o-mini``, ``gemini/gemini-2.5-pro``, ``mistral/mistral-large-latest``,
  ``deepseek/deepseek-chat``, ``openai/text-embedding-3-small``), ``os.environ/`` key
  references, ``rpm``. The server is NOT restarted: the script waits until its
  ``/v2/model/info?size=1`` reports ``total_count`` 100,000 (its replica catches up through the
  change log and LISTEN) and reports how long that took.
- At the end the server gets SIGTERM (SIGKILL after 30 s); if the embedded PostgreSQL is still
  running then, the script stops it itself (SIGINT to the pid in ``postmaster.pid``) and says so
  on stderr.

Run (from the repository, with the venv the admin page's tests make: playwright==1.52.0,
psycopg[binary])::

    swift build -c release --product model-catalog
    .build/ui-venv/bin/python bench/admin-page/bench.py --binary .build/release/model-catalog > admin-page.md

It prints a markdown fragment (a set-up paragraph, a table of p50 / p90 / max per measure, the
target line) on stdout, progress on stderr.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import platform
import secrets
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from harness import Child, Client, free_port, log, percentile, wait_http  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage"]
SEARCH = "gpt-4o-mini"
TARGET_MS = 1000.0

# (model_name, litellm_params.model, env var of the key): real cost-map models, in rotation.
TEMPLATES = [
    ("gpt-4o", "openai/gpt-4o", "OPENAI_API_KEY"),
    ("claude-sonnet-4-5", "anthropic/claude-sonnet-4-5", "ANTHROPIC_API_KEY"),
    ("gpt-4o-mini", "openai/gpt-4o-mini", "OPENAI_API_KEY"),
    ("gemini-2.5-pro", "gemini/gemini-2.5-pro", "GEMINI_API_KEY"),
    ("mistral-large", "mistral/mistral-large-latest", "MISTRAL_API_KEY"),
    ("deepseek-chat", "deepseek/deepseek-chat", "DEEPSEEK_API_KEY"),
    ("text-embedding-3-small", "openai/text-embedding-3-small", "OPENAI_API_KEY"),
]

# Runs before the page's own scripts in every document of a context. Times are performance.now():
# milliseconds since this document's navigation start.
INIT_SCRIPT = """
(() => {
  const config = %s;
  if (config.key) { try { sessionStorage.setItem("modelcatalog.key", config.key); } catch (error) {} }
  const bench = window.__bench = { rows: null, painted: null, submit: null, lastInput: null,
                                   searchRows: null, searchPainted: null };
  const afterPaint = (set) => requestAnimationFrame(() => setTimeout(() => set(performance.now()), 0));
  document.addEventListener("submit", () => { if (bench.submit === null) bench.submit = performance.now(); }, true);
  document.addEventListener("input", (event) => {
    if (event.target && event.target.id === "search") bench.lastInput = performance.now();
  }, true);
  new MutationObserver(() => {
    if (bench.rows === null && document.querySelectorAll("#models tbody tr").length >= config.rows) {
      bench.rows = performance.now();
      afterPaint((now) => { bench.painted = now; });
    }
    if (bench.lastInput !== null && bench.searchRows === null) {
      const caption = document.querySelector("#models caption");
      if (caption && caption.textContent === config.searchCaption) {
        bench.searchRows = performance.now();
        afterPaint((now) => { bench.searchPainted = now; });
      }
    }
  }).observe(document, { childList: true, subtree: true, characterData: true });
})();
"""

# What the page's Performance API says about the run that just ended.
TIMINGS = """
() => {
  const pick = (entry) => entry && ({ start: entry.startTime, requestStart: entry.requestStart,
    responseStart: entry.responseStart, end: entry.responseEnd, duration: entry.duration,
    transfer: entry.transferSize, encoded: entry.encodedBodySize, decoded: entry.decodedBodySize });
  const resources = performance.getEntriesByType("resource");
  const first = (part) => pick(resources.find((entry) => entry.name.includes(part)));
  const navigation = performance.getEntriesByType("navigation")[0];
  return { bench: window.__bench, list: first("/v2/model/info?page=1&size=50"), key: first("/key/info"),
           script: first("/ui/app.js"), html: navigation ? navigation.responseEnd : null,
           rows: document.querySelectorAll("#models tbody tr").length };
}
"""


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def timed_get(port: int, key: str, path: str, gzip: bool) -> tuple[float, int]:
    """Milliseconds from connect to the last byte of one GET on a new connection, and the body's size."""
    headers = {"Authorization": f"Bearer {key}"}
    if gzip:
        headers["Accept-Encoding"] = "gzip"
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
    finally:
        connection.close()
    if response.status != 200:
        raise RuntimeError(f"GET {path}: {response.status} {body[:300]!r}")
    if gzip and response.getheader("Content-Encoding") != "gzip":
        raise RuntimeError(f"GET {path} with Accept-Encoding: gzip came back as {response.getheader('Content-Encoding')!r}")
    return elapsed, len(body)


def seed(conninfo: str, deployments: int, tenants: int) -> None:
    """One transaction of plain SQL, change-log triggers on (as an operator's script would)."""
    import psycopg

    values = ", ".join(f"({k}, '{name}', '{model}', '{env}')" for k, (name, model, env) in enumerate(TEMPLATES))
    with psycopg.connect(conninfo, autocommit=False) as connection:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO tenants (id) SELECT 't' || lpad(n::text, 5, '0') FROM generate_series(0, %s) n",
                           (tenants - 1,))
            cursor.execute(f"""
                WITH tmpl (k, name, model, env) AS (VALUES {values})
                INSERT INTO models (id, tenant_id, model_name, litellm_params, model_info, source)
                SELECT 'bench-' || lpad(g::text, 6, '0'),
                       't' || lpad((g %% %(tenants)s)::text, 5, '0'),
                       tmpl.name,
                       jsonb_build_object('model', tmpl.model, 'api_key', 'os.environ/' || tmpl.env, 'rpm', 100 + g %% 900),
                       '{{}}'::jsonb,
                       'api'
                FROM generate_series(0, %(last)s) g JOIN tmpl ON tmpl.k = g %% {len(TEMPLATES)}
                ORDER BY g""", {"tenants": tenants, "last": deployments - 1})
        connection.commit()
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute("ANALYZE")


def total_count(admin: Client, search: str | None = None) -> int:
    path = "/v2/model/info?size=1" + (f"&search={search}" if search else "")
    status, body = admin.request("GET", path)
    if status != 200:
        raise RuntimeError(f"GET {path}: {status} {body[:300]!r}")
    return int(json.loads(body)["total_count"])


class Invalidator:
    """A write that every admin read depends on: the next /v2/model/info is built, not cached."""

    def __init__(self, admin: Client, model_id: str) -> None:
        self.admin, self.model_id, self.count = admin, model_id, 0

    def __call__(self) -> None:
        self.count += 1
        status, body = self.admin.request("PATCH", f"/model/{self.model_id}/update",
                                          {"litellm_params": {"rpm": 1000 + self.count}})
        if status != 200:
            raise RuntimeError(f"PATCH /model/{self.model_id}/update: {status} {body[:300]!r}")


def stop_orphaned_postgres(data_dir: Path) -> None:
    """Stops the embedded PostgreSQL when the server did not (killed after it ignored SIGTERM):
    a fast shutdown (SIGINT) of the postmaster named in postmaster.pid."""
    pid_file = data_dir / "postgres" / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    if not Path(f"/proc/{pid}/cmdline").exists() or str(data_dir) not in Path(f"/proc/{pid}/cmdline").read_text(errors="replace"):
        return
    log(f"the embedded PostgreSQL (pid {pid}) is still running: stopping it")
    os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + 30
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.2)


def wait_for(page, field: str, timeout: float = 120) -> None:
    """Polls the page until window.__bench[field] is set. (Not page.wait_for_function: the page's
    Content-Security-Policy forbids the eval it needs. The figures come from the page's own clock,
    so the polling's round trips are in none of them.)"""
    deadline = time.monotonic() + timeout
    while page.evaluate("(field) => window.__bench ? window.__bench[field] : null", field) is None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the page did not set {field} within {timeout} s")
        time.sleep(0.02)


def main() -> int:
    parser = argparse.ArgumentParser(description="How fast the admin page shows its first page of 100,000 deployments")
    parser.add_argument("--binary", default=str(ROOT / ".build/release/model-catalog"), help="the model-catalog executable")
    parser.add_argument("--build", default=None, help="how --binary was built, for the report (default: guessed from its path)")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--deployments", type=int, default=100_000)
    parser.add_argument("--tenants", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=15, help="runs of each browser measure (a new context each)")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured runs of each browser measure first")
    parser.add_argument("--server-runs", type=int, default=None, help="requests per server figure (default: --runs)")
    parser.add_argument("--keep-logs", action="store_true", help="keep the temporary directory with the server's log")
    options = parser.parse_args()

    binary = Path(options.binary).resolve()
    if not binary.is_file():
        parser.error(f"no model-catalog at {binary}: build it first (swift build -c release --product model-catalog)")
    if options.deployments < 50 or options.tenants < 1 or options.tenants > 100_000:
        parser.error("--deployments must be at least 50 and --tenants between 1 and 100000")
    build = options.build or ("release" if "/release/" in str(binary) else "debug" if "/debug/" in str(binary) else "unknown")
    server_runs = options.server_runs or options.runs
    from playwright.sync_api import sync_playwright
    from importlib.metadata import version
    playwright_version = version("playwright")

    load_at_start = load_average()
    log(f"load average at start: {load_at_start}")
    work = Path(tempfile.mkdtemp(prefix="admin-page-bench-"))
    # Run as root, the embedded PostgreSQL runs as user postgres, which must reach its data directory.
    work.chmod(0o755)
    data_dir = work / "data"
    children: list[Child] = []
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "LITELLM_MASTER_KEY", "CATALOG_SECRET_KEY", "LITELLM_SALT_KEY",
                          "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"}}
    env.update({"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"})
    try:
        master_key = "sk-bench-" + secrets.token_hex(16)
        catalog_env = env | {"LITELLM_MASTER_KEY": master_key,
                             "CATALOG_SECRET_KEY": base64.b64encode(secrets.token_bytes(32)).decode()}
        port = free_port()
        log(f"starting the catalog ({build} build) on 127.0.0.1:{port}")
        catalog = Child("catalog", [str(binary), "serve", "--host", "127.0.0.1", "--port", str(port),
                                    "--data-dir", str(data_dir)], catalog_env, str(work), work)
        children.append(catalog)
        wait_http(port, "/health/readiness", 180, catalog)
        admin = Client(port, master_key)

        conninfo = f"host={data_dir / 'postgres'} port=5432 user=postgres dbname=model_catalog"
        log(f"seeding {options.deployments:,} deployments across {options.tenants:,} tenants with SQL")
        started = time.perf_counter()
        seed(conninfo, options.deployments, options.tenants)
        seeded_s = time.perf_counter() - started
        log(f"  seeded in {seeded_s:.1f} s; waiting for the server to report {options.deployments:,}")
        started = time.perf_counter()
        deadline = time.monotonic() + 600
        while (count := total_count(admin)) != options.deployments:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server still reports {count} deployments after 600 s")
            time.sleep(0.1)
        caught_up_s = time.perf_counter() - started
        log(f"  the server reports {options.deployments:,} after {caught_up_s:.1f} s more")
        invalidate = Invalidator(admin, f"bench-{options.deployments - 1:06d}")
        search_total = total_count(admin, SEARCH)
        page_rows = 50

        # The server's own figures: uncached (just after a write) and cached, identity and gzip.
        log(f"server: {server_runs} × uncached and cached GET /v2/model/info?page=1&size=50, identity and gzip")
        list_path = "/v2/model/info?page=1&size=50"
        server: dict[str, list[float]] = {"uncached identity": [], "cached identity": [], "uncached gzip": [], "cached gzip": []}
        sizes: dict[str, int] = {}
        for _ in range(server_runs):
            for encoding, gzip in (("identity", False), ("gzip", True)):
                invalidate()
                for state in ("uncached", "cached"):
                    elapsed, size = timed_get(port, master_key, list_path, gzip)
                    server[f"{state} {encoding}"].append(elapsed)
                    sizes[encoding] = size

        errors: list[str] = []
        samples: dict[str, list[float]] = {name: [] for name in (
            "cold painted", "cold rows", "warm painted", "warm rows", "signin painted", "signin rows",
            "search rows", "search painted", "cold list duration", "cold list waiting", "warm list duration",
            "warm list waiting", "cold list start", "cold after list", "cold paint after rows", "cold html",
            "cold script end", "cold key start", "cold key duration", "warm list start")}
        transfer: dict[str, tuple[int, int, int]] = {}

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=options.chromium, args=CHROMIUM_ARGS)
            browser_version = browser.version

            def run(kind: str, measured: bool) -> None:
                with_key = kind != "signin"
                config = {"key": master_key if with_key else None, "rows": page_rows,
                          "searchCaption": f"{search_total} deployments"}
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                try:
                    context.add_init_script(INIT_SCRIPT % json.dumps(config))
                    page = context.new_page()
                    page.on("pageerror", lambda error: errors.append(f"{kind}: pageerror: {error}"))
                    page.on("console", lambda message: errors.append(f"{kind}: console.{message.type}: {message.text}")
                            if message.type == "error" else None)
                    page.goto(f"http://127.0.0.1:{port}/ui", wait_until="commit")
                    if kind == "signin":
                        page.get_by_label("API key").fill(master_key)
                        page.get_by_role("button", name="Sign in").click()
                    wait_for(page, "painted")
                    if kind == "cold":
                        page.get_by_label("Search").press_sequentially(SEARCH)
                        wait_for(page, "searchPainted")
                    found = page.evaluate(TIMINGS)
                finally:
                    context.close()
                bench, listed = found["bench"], found["list"]
                if found["rows"] < page_rows and kind != "cold":
                    raise RuntimeError(f"{kind}: {found['rows']} rows at the end")
                if not measured:
                    return
                origin = bench["submit"] if kind == "signin" else 0.0
                samples[f"{kind} painted"].append(bench["painted"] - origin)
                samples[f"{kind} rows"].append(bench["rows"] - origin)
                if kind in ("cold", "warm"):
                    samples[f"{kind} list duration"].append(listed["duration"])
                    samples[f"{kind} list waiting"].append(listed["responseStart"] - listed["requestStart"])
                    transfer[kind] = (listed["transfer"], listed["encoded"], listed["decoded"])
                if kind in ("cold", "warm"):
                    samples[f"{kind} list start"].append(listed["start"])
                if kind == "cold":
                    samples["cold html"].append(found["html"])
                    samples["cold script end"].append(found["script"]["end"])
                    samples["cold key start"].append(found["key"]["start"])
                    samples["cold key duration"].append(found["key"]["duration"])
                    samples["cold after list"].append(bench["rows"] - listed["end"])
                    samples["cold paint after rows"].append(bench["painted"] - bench["rows"])
                    samples["search rows"].append(bench["searchRows"] - bench["lastInput"])
                    samples["search painted"].append(bench["searchPainted"] - bench["lastInput"])

            total = options.warmup + options.runs
            log(f"browser: {options.warmup} warm-up + {options.runs} runs each of cold (+ search), warm, sign-in")
            for index in range(total):
                measured = index >= options.warmup
                invalidate()
                run("cold", measured)
                run("warm", measured)
                invalidate()
                run("signin", measured)
                if measured:
                    log(f"  {index + 1 - options.warmup}/{options.runs}: cold {samples['cold painted'][-1]:.0f} ms, "
                        f"warm {samples['warm painted'][-1]:.0f} ms, sign-in {samples['signin painted'][-1]:.0f} ms, "
                        f"search {samples['search painted'][-1]:.0f} ms")
            browser.close()

        load_at_end = load_average()
        log(f"load average at the end: {load_at_end}")
        if errors:
            log("the page logged JavaScript errors:\n  " + "\n  ".join(errors[:50]))
            return 1

        def row(label: str, values: list[float]) -> str:
            return f"| {label} | {len(values)} | {percentile(values, 0.5):.0f} | {percentile(values, 0.9):.0f} | {max(values):.0f} |"

        def row2(label: str, values: list[float]) -> str:
            return f"| {label} | {len(values)} | {percentile(values, 0.5):.2f} | {percentile(values, 0.9):.2f} | {max(values):.2f} |"

        median = lambda name: percentile(samples[name], 0.5)  # noqa: E731
        print(f"`model-catalog serve` ({build} build, embedded PostgreSQL in a temporary directory, default pool and "
              f"cache) with {options.deployments:,} deployments across {options.tenants:,} tenants, seeded with plain SQL "
              f"in {seeded_s:.1f} s (the running server reported them all {caught_up_s:.1f} s later, through the change "
              f"log); headless Chromium {browser_version} (Debian's, Playwright {playwright_version}), 1280×900, a new "
              f"context per run, master key; all on 127.0.0.1, {os.cpu_count()} CPUs, Python {platform.python_version()}. "
              f"{options.runs} runs of each browser measure after {options.warmup} warm-up; \"cold\" runs come just after "
              f"a write (`PATCH /model/{{id}}/update`), so the server builds the page (`/v2/model/info?page=1&size=50`) "
              f"instead of answering from its response cache. Times are the page's `performance.now()` (from navigation "
              f"start, or from the event named); \"painted\": the first task after the next animation frame once the 50 "
              f"rows are in the DOM. Load average (1, 5, 15 min) at the start / at the end: {load_at_start} / {load_at_end}.")
        print()
        print("| measure | runs | p50 ms | p90 ms | max ms |")
        print("|---|---:|---:|---:|---:|")
        print(row("**cold: navigation start → first page (50 rows) painted**", samples["cold painted"]))
        print(row("cold: navigation start → 50 rows in the DOM", samples["cold rows"]))
        print(row("warm server cache: navigation start → 50 rows painted", samples["warm painted"]))
        print(row("sign-in: the form's submit → 50 rows painted (cold)", samples["signin painted"]))
        print(row2("`/v2/model/info` in the page, cold: duration (Resource Timing)", samples["cold list duration"]))
        print(row2("… of which waiting (request sent → first byte)", samples["cold list waiting"]))
        print(row2("`/v2/model/info` in the page, warm: duration (Resource Timing)", samples["warm list duration"]))
        print(row2("… of which waiting (request sent → first byte)", samples["warm list waiting"]))
        for name in ("uncached identity", "uncached gzip", "cached identity", "cached gzip"):
            state, encoding = name.split()
            print(row2(f"server: `GET /v2/model/info?page=1&size=50`, {state}, {encoding} ({sizes[encoding]:,} bytes), "
                       f"from Python", server[name]))
        print(row(f"search: last keystroke of `{SEARCH}` → rows updated ({search_total:,} found; includes the 250 ms "
                  f"debounce)", samples["search rows"]))
        print(row("… → painted", samples["search painted"]))
        print()
        cold_transfer, warm_transfer = transfer["cold"], transfer["warm"]
        print(f"Where the cold time goes (medians, ms since navigation start): the HTML is in at "
              f"{median('cold html'):.0f} ms, `app.js` at {median('cold script end'):.0f} ms; the page asks for "
              f"`/key/info` at {median('cold key start'):.0f} ms ({median('cold key duration'):.0f} ms) and for "
              f"`/v2/model/info` at {median('cold list start'):.0f} ms (warm runs: "
              f"{median('warm list start'):.0f} ms); that request takes "
              f"{median('cold list duration'):.0f} ms, the rows are in the DOM {median('cold after list'):.0f} ms after "
              f"its last byte (JSON parse and DOM building) and painted {median('cold paint after rows'):.0f} ms after "
              f"that. The page's `/v2/model/info` transfer: {cold_transfer[0]:,} bytes (body {cold_transfer[1]:,} "
              f"gzipped, {cold_transfer[2]:,} decoded); warm: {warm_transfer[0]:,} bytes.")
        print()
        cold = samples["cold painted"]
        verdict = "met" if max(cold) <= TARGET_MS else "missed"
        print(f"first page of {options.deployments:,} deployments ≤ 1 s: **{verdict}** "
              f"(p50 {percentile(cold, 0.5):.0f} ms, max {max(cold):.0f} ms; cold, navigation start → painted, "
              f"{len(cold)} runs)")
        return 0
    finally:
        for child in reversed(children):
            child.stop()
        stop_orphaned_postgres(data_dir)
        if options.keep_logs:
            log(f"logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
