#!/usr/bin/env python3
"""ModelCatalog at scale: restarts, memory, writes and tenant reads with 1,000,000 deployments.

What it measures (all traffic to 127.0.0.1; a request's time is ``time.perf_counter`` around one
request on a keep-alive HTTP/1.1 connection of ``http.client``: the server's work plus loopback;
percentiles are nearest-rank):

- **Ready**: ``--restarts`` starts of ``model-catalog serve`` on the same seeded database, from just
  before the process is spawned to the first 200 of ``GET /health/readiness`` (polled every 5 ms,
  a new connection per poll). At that moment: the process's CPU time (utime + stime of
  ``/proc/PID/stat``, all its threads) and its ``VmRSS`` / ``VmHWM`` (``/proc/PID/status``). Every
  start but the last is ended with SIGTERM.
- On the last start, in this order, each request checked for a 200:
  - warm-up: 3 × ``GET /model/info`` with each of the two tenant keys (not measured);
  - **cached tenant read**: 50 × ``GET /model/info`` by a ``tenant_member`` key of t0002;
  - **writes**: ``--writes`` × ``POST /model/new`` by the master key, one after the other, each a new
    deployment of tenant t0001 (``openai/gpt-4o``, an ``os.environ/`` key reference): p50/p99/max;
  - **read after a write**: min(W, 50) rounds of one ``POST /model/new`` (t0001), then at once
    ``GET /model/info`` by a ``tenant_admin`` key of t0001 (the write made its cached answer stale:
    the tenant's own read right after its write; the new id must be in it), then ``GET /model/info``
    by the t0002 key (another tenant's read after a write: it may still come from the cache);
  - **PATCH**: 20 × ``PATCH /model/{id}/update`` ``{"litellm_params": {"rpm": N}}`` of one seeded
    deployment of t0001; **delete**: 20 × ``POST /model/delete`` ``{"id"}`` of deployments the
    write phase made;
  - ``VmRSS`` / ``VmHWM`` after all that.
- With ``--compare-binary``, the two binaries take turns on the same database: every restart round
  starts (and stops) the first, then the second; in the last round each runs the phases above
  before it is stopped. Deployment ids carry the binary's label and the run's time, so none collide.

Set-up: a private PostgreSQL (``initdb`` of ``pg_config --bindir``, run as user postgres; Unix
socket only, ``max_connections = 200``, every other setting initdb's durable default), one database,
``BINARY migrate`` (each binary's), then ``bench/bench.py seed-sql`` piped to ``psql`` (one
transaction, change-log triggers on, then ANALYZE: the "seed" time; ids t0001…t9999, t10000;
bench-000001…bench-1000000), two API keys inserted with SQL, then VACUUM
ANALYZE and CHECKPOINT (untimed: so that autovacuum and the seed's checkpoint stay out of the
figures). ``serve`` runs with ``LITELLM_MASTER_KEY=sk-bench`` and its default pool, cache, logging.
``--keep-db DIR`` keeps the seeded cluster in DIR and reuses it when run again with the same
--deployments/--tenants/--shared (deployments written by earlier runs are first deleted with SQL).

Run (from the repository, as root: PostgreSQL runs as user postgres through ``runuser``; the
release binary needs its ``*.resources`` bundles beside it)::

    python3 bench/scale/bench.py --binary BIN/model-catalog --keep-db /work/scale-db > scale.md
    python3 bench/scale/bench.py --binary OLD/model-catalog --compare-binary NEW/model-catalog \\
        --labels old,new --keep-db /work/scale-db --json scale.json > scale.md

It prints a markdown fragment (a set-up paragraph, a table with one column per binary, the summary
as JSON) on stdout, unedited for BENCHMARKS.md; progress on stderr.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import pwd
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from harness import Child, Client, free_port, log, percentile  # noqa: E402

BENCH = Path(__file__).resolve().parents[1]
MASTER_KEY = "sk-bench"
ADMIN_KEY, MEMBER_KEY = "sk-scale-t0001-admin", "sk-scale-t0002-member"
DATABASE = "catalog"
MARKER = "scale-bench.json"  # in a --keep-db directory: what was seeded there, and how long it took
KEYS_SQL = f"""INSERT INTO api_keys (key_hash, key_alias, role, tenant_id) VALUES
    (sha256(convert_to('{ADMIN_KEY}', 'UTF8')), 'scale-t0001-admin', 'tenant_admin', 't0001'),
    (sha256(convert_to('{MEMBER_KEY}', 'UTF8')), 'scale-t0002-member', 'tenant_member', 't0002')
ON CONFLICT (key_hash) DO NOTHING;"""


class Postgres:
    """A private cluster in ROOT/data, its Unix socket in ROOT, run as user postgres."""

    def __init__(self, root: Path) -> None:
        self.root, self.data = root, root / "data"
        self.bin = Path(subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip())
        self.conninfo = f"host={root} dbname={DATABASE} user=postgres"

    def _as_postgres(self, *argv: object) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *map(str, argv)], check=True, timeout=600,
                       stdout=subprocess.DEVNULL)

    def init(self) -> None:
        self._as_postgres(self.bin / "initdb", "-D", self.data, "-U", "postgres", "-A", "trust")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"listen_addresses = ''\nunix_socket_directories = '{self.root}'\nmax_connections = 200\n")

    def start(self) -> None:
        self._as_postgres(self.bin / "pg_ctl", "start", "-D", self.data, "-l", self.root / "pg.log", "-w", "-s", "-t", "300")

    def stop(self) -> None:
        self._as_postgres(self.bin / "pg_ctl", "stop", "-D", self.data, "-m", "fast", "-s", "-t", "120")

    def psql(self, sql: str, database: str = DATABASE, timeout: float = 7200) -> str:
        done = subprocess.run(["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", str(self.root),
                               "-U", "postgres", "-d", database], input=sql, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"psql exited {done.returncode}: {done.stderr[-3000:]}")
        return done.stdout.strip()


def seed_sql(deployments: int, tenants: int, shared: int) -> str:
    """bench/bench.py seed-sql's SQL."""
    return subprocess.run([sys.executable, str(BENCH / "bench.py"), "seed-sql", "--deployments", str(deployments),
                          "--tenants", str(tenants), "--shared", str(shared)],
                         capture_output=True, text=True, check=True, timeout=60).stdout


def cpu_ms(pid: int) -> float:
    """User + system CPU time of a process so far (all its threads), in milliseconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS (resident now) and VmHWM (the resident peak so far) in MB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) / 1024
    return found


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def start_server(binary: str, name: str, conninfo: str, env: dict[str, str], logs: Path, timeout: float,
                 children: list[Child]) -> tuple[Child, int, dict[str, float]]:
    """Starts serve and polls readiness every 5 ms; the figures taken at the first 200."""
    port = free_port()
    argv = [binary, "serve", "--host", "127.0.0.1", "--port", str(port), "--database-url", conninfo]
    started = time.perf_counter()
    child = Child(name, argv, env, str(logs), logs)
    children.append(child)
    while True:
        if child.process.poll() is not None:
            raise RuntimeError(f"{name} exited ({child.process.returncode}):\n{child.output()[-4000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                connection.request("GET", "/health/readiness")
                response = connection.getresponse()
                response.read()
            finally:
                connection.close()
            if response.status == 200:
                break
        except (OSError, http.client.HTTPException):
            pass
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"{name} not ready after {timeout} s:\n{child.output()[-4000:]}")
        time.sleep(0.005)
    ready_ms = (time.perf_counter() - started) * 1000
    cpu = cpu_ms(child.process.pid)
    memory = memory_mb(child.process.pid)
    return child, port, {"ready_ms": ready_ms, "cpu_ms": cpu, "rss_ready_mb": memory["VmRSS"], "hwm_ready_mb": memory["VmHWM"]}


def timed(client: Client, method: str, path: str, body: object | None = None) -> tuple[float, bytes]:
    started = time.perf_counter()
    status, data = client.request(method, path, body)
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200:
        raise RuntimeError(f"{method} {path}: {status} {data[:500]!r}")
    return elapsed, data


def new_model(model_id: str, index: int) -> dict:
    return {"model_name": f"scale-{index}",
            "litellm_params": {"model": "openai/gpt-4o", "api_key": "os.environ/OPENAI_API_KEY"},
            "model_info": {"id": model_id, "team_id": "t0001"}}


def phases(port: int, run: str, writes: int, patch_id: str) -> dict[str, list[float]]:
    """Step 3 on a ready server: the request figures (milliseconds), in the order of the docstring."""
    master, admin, member = Client(port, MASTER_KEY), Client(port, ADMIN_KEY), Client(port, MEMBER_KEY)
    for _ in range(3):
        timed(admin, "GET", "/model/info")
        timed(member, "GET", "/model/info")
    samples: dict[str, list[float]] = {"cached_read": [], "write": [], "own_read_after_write": [],
                                       "other_read_after_write": [], "patch": [], "delete": []}
    for _ in range(50):
        samples["cached_read"].append(timed(member, "GET", "/model/info")[0])
    for index in range(writes):
        samples["write"].append(timed(master, "POST", "/model/new", new_model(f"scale-{run}-{index}", index))[0])
    for index in range(writes, writes + min(writes, 50)):
        model_id = f"scale-{run}-{index}"
        timed(master, "POST", "/model/new", new_model(model_id, index))
        elapsed, body = timed(admin, "GET", "/model/info")
        samples["own_read_after_write"].append(elapsed)
        samples["other_read_after_write"].append(timed(member, "GET", "/model/info")[0])
        if model_id not in {(entry.get("model_info") or {}).get("id") for entry in json.loads(body)["data"]}:
            raise RuntimeError(f"t0001's GET /model/info right after the write lacks {model_id}")
    for index in range(20):
        samples["patch"].append(timed(master, "PATCH", f"/model/{patch_id}/update", {"litellm_params": {"rpm": 100 + index}})[0])
    for index in range(min(writes, 20)):
        samples["delete"].append(timed(master, "POST", "/model/delete", {"id": f"scale-{run}-{index}"})[0])
    return samples


def summary(figures: dict) -> dict:
    """The reported figures of one binary (milliseconds, MB), from its raw figures."""
    def spread(name: str, *fractions: float) -> list[float]:
        return [round(percentile(figures[name], f), 2) for f in fractions] if figures[name] else []
    return {"ready_ms_median": round(statistics.median(figures["ready_ms"]), 1),
            "ready_ms": [round(v, 1) for v in figures["ready_ms"]],
            "cpu_ms_at_ready_median": round(statistics.median(figures["cpu_ms"])),
            "cpu_ms_at_ready": [round(v) for v in figures["cpu_ms"]],
            "rss_ready_mb_median": round(statistics.median(figures["rss_ready_mb"]), 1),
            "hwm_ready_mb_median": round(statistics.median(figures["hwm_ready_mb"]), 1),
            "rss_end_mb": round(figures["rss_end_mb"], 1), "hwm_end_mb": round(figures["hwm_end_mb"], 1),
            "write_p50_p99_max": spread("write", 0.5, 0.99, 1.0),
            "own_read_after_write_p50_p99": spread("own_read_after_write", 0.5, 0.99),
            "other_read_after_write_p50_p99": spread("other_read_after_write", 0.5, 0.99),
            "cached_read_p50_p99": spread("cached_read", 0.5, 0.99),
            "patch_p50_p99": spread("patch", 0.5, 0.99), "delete_p50_p99": spread("delete", 0.5, 0.99)}


def table(summaries: dict[str, dict], writes: int, restarts: int) -> str:
    def ms(values: list[float]) -> str:
        return " / ".join(f"{v:.1f}" for v in values)
    rows = [
        (f"ready, ms (median of {restarts})", lambda s: f"{s['ready_ms_median']:.0f}"),
        ("ready, ms (each start)", lambda s: ", ".join(f"{v:.0f}" for v in s["ready_ms"])),
        ("CPU at ready, ms (median; each start)",
         lambda s: f"{s['cpu_ms_at_ready_median']} ({', '.join(str(v) for v in s['cpu_ms_at_ready'])})"),
        ("RSS when ready, MB (VmRSS / VmHWM, medians)", lambda s: f"{s['rss_ready_mb_median']:.0f} / {s['hwm_ready_mb_median']:.0f}"),
        ("RSS at the end, MB (VmRSS / VmHWM)", lambda s: f"{s['rss_end_mb']:.0f} / {s['hwm_end_mb']:.0f}"),
        (f"POST /model/new, ms p50 / p99 / max ({writes}, sequential)", lambda s: ms(s["write_p50_p99_max"])),
        ("tenant's GET /model/info right after its write, ms p50 / p99", lambda s: ms(s["own_read_after_write_p50_p99"])),
        ("other tenant's GET /model/info after a write, ms p50 / p99", lambda s: ms(s["other_read_after_write_p50_p99"])),
        ("cached tenant GET /model/info, ms p50 / p99 (50)", lambda s: ms(s["cached_read_p50_p99"])),
        ("PATCH /model/{id}/update, ms p50 / p99 (20)", lambda s: ms(s["patch_p50_p99"])),
        ("POST /model/delete, ms p50 / p99", lambda s: ms(s["delete_p50_p99"])),
    ]
    lines = ["| measure | " + " | ".join(summaries) + " |", "|---|" + "---:|" * len(summaries)]
    lines += [f"| {name} | " + " | ".join(cell(s) for s in summaries.values()) + " |" for name, cell in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description="ModelCatalog at scale: restarts, memory, writes, tenant reads")
    parser.add_argument("--binary", required=True, help="the release model-catalog (its *.resources beside it)")
    parser.add_argument("--compare-binary", help="a second model-catalog, measured in turn with --binary")
    parser.add_argument("--labels", help="column names, FIRST,SECOND (default: each binary's directory name)")
    parser.add_argument("--deployments", type=int, default=1_000_000)
    parser.add_argument("--tenants", type=int, default=10_000)
    parser.add_argument("--shared", type=int, default=0, help="deployments of no tenant (seeded first)")
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--restarts", type=int, default=3)
    parser.add_argument("--ready-timeout", type=float, default=900, help="seconds a start may take to be ready")
    parser.add_argument("--keep-db", help="directory of a seeded cluster to keep, and reuse when it exists")
    parser.add_argument("--json", help="write the raw figures here")
    options = parser.parse_args()

    paths = [str(Path(p).resolve()) for p in (options.binary, options.compare_binary) if p]
    for path in paths:
        if not Path(path).is_file():
            parser.error(f"no model-catalog at {path}")
    labels = options.labels.split(",") if options.labels else [Path(p).parent.name for p in paths]
    if len(set(labels[:len(paths)])) < len(paths):  # too few, or the same name twice
        if options.labels:
            parser.error("--labels needs one distinct name per binary")
        labels = ["old", "new"]
    binaries = list(zip([re.sub(r"[^A-Za-z0-9_.-]+", "-", label) for label in labels], paths))
    if options.tenants < 2 or options.deployments <= options.shared + 1 or options.writes < 1 or options.restarts < 1:
        parser.error("needs --tenants >= 2, --deployments > --shared + 1, --writes >= 1, --restarts >= 1")

    # SIGTERM ends the script like Ctrl-C does: through the finally below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    load_at_start = load_average()
    log(f"load average at start: {load_at_start}")
    keep = Path(options.keep_db).resolve() if options.keep_db else None
    root = keep or Path(tempfile.mkdtemp(prefix="scale-bench-"))
    logs = Path(tempfile.mkdtemp(prefix="scale-bench-logs-"))
    postgres = Postgres(root)
    children: list[Child] = []
    running, finished = False, False
    seeded = {"deployments": options.deployments, "tenants": options.tenants, "shared": options.shared}
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "LITELLM_MASTER_KEY", "CATALOG_SECRET_KEY",
           "LITELLM_SALT_KEY", "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"}}
    env.update({"LITELLM_MASTER_KEY": MASTER_KEY, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"})
    try:
        marker = root / MARKER
        reuse = marker.exists()
        if reuse:
            earlier = json.loads(marker.read_text())
            if {k: earlier[k] for k in seeded} != seeded:
                raise SystemExit(f"{root} holds a cluster seeded with {earlier}, not {seeded}: use another --keep-db")
        elif postgres.data.exists():
            raise SystemExit(f"{postgres.data} exists but its seeding never finished: remove {root}")
        root.mkdir(parents=True, exist_ok=True)
        root.chmod(0o755)  # PostgreSQL (user postgres) writes its socket and log here
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
        if not reuse:
            postgres.init()
        postgres.start()
        running = True
        if not reuse:
            postgres.psql(f"CREATE DATABASE {DATABASE}", database="postgres")
        for label, binary in binaries:
            migrated = subprocess.run([binary, "migrate", "--database-url", postgres.conninfo], env=env, timeout=600,
                                      capture_output=True, text=True)
            if migrated.returncode != 0:
                raise RuntimeError(f"{label} migrate exited {migrated.returncode}:\n{migrated.stdout}{migrated.stderr}")
        if reuse:
            seed_s = earlier["seed_s"]
            gone = postgres.psql("WITH gone AS (DELETE FROM models WHERE id LIKE 'scale-%' RETURNING 1) SELECT count(*) FROM gone")
            log(f"reusing the cluster in {root} (seeded in {seed_s:.0f} s); deleted {gone} deployments of earlier runs")
        else:
            log(f"seeding {options.deployments:,} deployments, {options.tenants:,} tenants, {options.shared:,} shared")
            sql = seed_sql(options.deployments, options.tenants, options.shared)
            started = time.perf_counter()
            postgres.psql(sql)
            seed_s = time.perf_counter() - started
            log(f"  seeded in {seed_s:.1f} s; keys, VACUUM ANALYZE, CHECKPOINT")
            postgres.psql(KEYS_SQL)
            postgres.psql("VACUUM ANALYZE")
            postgres.psql("CHECKPOINT")
            if keep:
                marker.write_text(json.dumps(seeded | {"seed_s": seed_s}) + "\n")
        models = int(postgres.psql("SELECT count(*) FROM models"))
        pg_version = postgres.psql("SHOW server_version")
        patch_id = f"bench-{options.shared + 1:06d}"  # the first seeded deployment of t0001

        # Steps 2 and 3, the binaries in turn; the last start of each runs the phases.
        raw = {label: {"path": path, "ready_ms": [], "cpu_ms": [], "rss_ready_mb": [], "hwm_ready_mb": []}
               for label, path in binaries}
        stamp = time.strftime("%Y%m%d%H%M%S")
        for round_ in range(1, options.restarts + 1):
            for label, binary in binaries:
                child, port, ready = start_server(binary, f"{label} start {round_}", postgres.conninfo, env, logs,
                                                  options.ready_timeout, children)
                for name, value in ready.items():
                    raw[label][name].append(value)
                log(f"{label} start {round_}: ready in {ready['ready_ms']:.0f} ms, CPU {ready['cpu_ms']:.0f} ms, "
                    f"RSS {ready['rss_ready_mb']:.0f} MB (peak {ready['hwm_ready_mb']:.0f})")
                if round_ == options.restarts:
                    log(f"{label}: reads, {options.writes} writes, reads after writes, PATCH, delete")
                    raw[label].update(phases(port, f"{label}-{stamp}", options.writes, patch_id))
                    memory = memory_mb(child.process.pid)
                    raw[label].update(rss_end_mb=memory["VmRSS"], hwm_end_mb=memory["VmHWM"])
                child.stop()
        load_at_end = load_average()
        log(f"load average at the end: {load_at_end}")

        summaries = {label: summary(figures) for label, figures in raw.items()}
        setup = {**seeded, "models_at_start": models, "seed_s": round(seed_s, 1), "seed_reused": reuse,
                 "postgres": pg_version, "nproc": os.cpu_count(), "load_start": load_at_start, "load_end": load_at_end,
                 "writes": options.writes, "restarts": options.restarts,
                 "binaries": {label: path for label, path in binaries}}
        built = "; ".join(f"{label}: `{path}`" for label, path in binaries)
        print(f"{options.deployments:,} deployments across {options.tenants:,} tenants ({options.shared:,} shared; "
              f"{models:,} in the catalog at the start), seeded with plain SQL (bench/bench.py seed-sql into psql: one "
              f"transaction, change-log triggers on, ANALYZE) in {seed_s:.0f} s"
              f"{' (in an earlier run; the cluster was reused)' if reuse else ''}, in a private PostgreSQL {pg_version} "
              f"(Unix socket, max_connections = 200, durable defaults) on the same machine; `model-catalog serve` "
              f"(release; {built}) with its default pool and cache, started {options.restarts} times"
              f"{', the binaries in turn' if len(binaries) > 1 else ''}; on the last start, sequential requests on "
              f"keep-alive connections from Python: {options.writes} writes, {min(options.writes, 50)} rounds of a write "
              f"then reads by the writing tenant's key and another tenant's, 50 cached reads, 20 PATCH, "
              f"{min(options.writes, 20)} deletes. {os.cpu_count()} cores; load average {load_at_start} at the start, "
              f"{load_at_end} at the end.\n")
        print(table(summaries, options.writes, options.restarts))
        print("\n```json\n" + json.dumps({"setup": setup, "results": summaries}) + "\n```")
        if options.json:
            Path(options.json).write_text(json.dumps({"setup": setup, "raw": raw}, indent=1) + "\n")
        finished = True
        return 0
    finally:
        for child in children:
            child.stop()
        if running:
            try:
                postgres.stop()
            except (subprocess.SubprocessError, OSError) as error:
                log(f"stopping PostgreSQL failed: {error}")
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
        if finished:
            shutil.rmtree(logs, ignore_errors=True)
        else:
            log(f"the servers' logs are in {logs}" + (f"; PostgreSQL's in {root / 'pg.log'}" if keep else ""))


if __name__ == "__main__":
    sys.exit(main())
