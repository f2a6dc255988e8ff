#!/usr/bin/env python3
"""ModelCatalog fan-out: how fast one write reaches many replicas and many change-stream subscribers.

Set-up, all on 127.0.0.1 and started and stopped by the script: a private PostgreSQL (``initdb`` of
``pg_config --bindir`` run as user postgres, Unix socket only, ``max_connections = 500``, durable
defaults), ``BINARY migrate``, ``bench/bench.py seed-sql`` (500 deployments, 10 tenants, 250 shared)
into ``psql``; ``--replicas`` N ``model-catalog serve --pool-size 3`` with ``LITELLM_MASTER_KEY=sk-bench``
(3 pool connections and a LISTEN one each). ``--standby`` adds a hot standby (``pg_basebackup -R -X
stream``, a slot, its own socket directory) and runs the last N/2 replicas with ``--read-database-url``
on it (they poll its change log every ``--follow-interval-ms``); the writer, replica 0, stays on the primary.

Measured, on one clock (``time.perf_counter``, the system-wide monotonic clock, read by this process's threads
and by the subscriber process; nearest-rank):

- ``--baseline-writes`` sequential ``POST /model/new`` on replica 0 while nothing else is connected.
- ``--subscribers`` M clients of ``GET /catalog/stream`` (master key), round-robin over the replicas,
  all in one ``selectors`` loop in a Python process of their own, which reads and stamps every ready
  socket before it parses any (200 threads took turns under one GIL, and an asyncio loop stamped
  each event only once it had parsed the ones before: both made the last subscriber of a write
  wait for Python, not for the catalog); all have their first bytes (``retry:``) before the first write. One poll thread in
  this process with a keep-alive connection to each replica (the writer's too), in a ``selectors`` loop that
  sends a write's requests together and stamps every ready answer before it parses any.
- ``--writes`` W sequential ``POST /model/new`` on replica 0 (a new id ``fanout-RUN-i`` each), each
  followed by a pause of ``--interval-ms``; t0 of a write: the moment the writer has read its 200.
  Per write and subscriber: t0 to the read that brought the ``data:`` line naming the id
  (negative when the event beats the writer's reply). Per write and replica: the poller is handed the
  id at t0 and sends ``GET /model/info?litellm_model_id=ID`` every 2 ms until a 200: t0 to the end
  of that 200 (so up to one poll interval and one request more). Not seen within 10 s: a miss.
- Whether the client keeps up: the writer's round trip and its pause's overrun during the fan-out
  (against the baseline), and the CPU time (``/proc``) during the writes of this process, the
  subscriber process, the replicas, PostgreSQL and the whole machine (the rest: other processes).

On a 2-core machine the replicas, the subscriber process, the pollers and PostgreSQL share the two
cores: the figures are those of one loaded machine, not of a fleet.

Run (from the repository, as root: PostgreSQL runs as user postgres through ``runuser``; the release
binary needs its ``*.resources`` bundles beside it). It prints a markdown fragment (a set-up
paragraph, a table, the summary as JSON) on stdout, unedited for BENCHMARKS.md; progress on stderr::

    python3 -B bench/fanout/bench.py --binary BIN/model-catalog > fanout.md
    python3 -B bench/fanout/bench.py --binary BIN/model-catalog --standby --json fanout.json > fanout.md
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import pwd
import queue
import re
import resource
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from harness import Child, Client, free_port, log, percentile, wait_http  # noqa: E402

BENCH = Path(__file__).resolve().parents[1]
MASTER_KEY, DATABASE = "sk-bench", "catalog"
SEEN_LIMIT_S, POLL_S = 10.0, 0.002
TICK = os.sysconf("SC_CLK_TCK")


class Postgres:
    """A cluster in ROOT/NAME, its Unix socket in ROOT/NAME-socket, its log ROOT/NAME.log, run as user postgres."""

    def __init__(self, root: Path, name: str) -> None:
        self.root, self.name, self.data, self.socket = root, name, root / name, root / f"{name}-socket"
        self.bin = Path(subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip())
        self.conninfo = f"host={self.socket} dbname={DATABASE} user=postgres"
        self.running = False

    def _as_postgres(self, *argv: object) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *map(str, argv)], check=True, timeout=600,
                       stdout=subprocess.DEVNULL, cwd="/")

    def init(self, max_connections: int) -> None:
        owned_by_postgres(self.socket)
        self._as_postgres(self.bin / "initdb", "-D", self.data, "-U", "postgres", "-A", "trust")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"listen_addresses = ''\nunix_socket_directories = '{self.socket}'\nmax_connections = {max_connections}\n")

    def copy_as_standby(self, primary: Postgres) -> None:
        """pg_basebackup -R of the running primary, as Tests/TestSupport/StreamingStandby.swift makes one."""
        owned_by_postgres(self.socket)
        self._as_postgres(primary.bin / "pg_basebackup", "-D", self.data, "-d", f"host={primary.socket} user=postgres",
                          "-R", "-X", "stream", "-C", "-S", "fanout_standby", "-c", "fast", "--no-sync")
        for lock in self.data.glob(".s.PGSQL.*"):  # a copied socket lock file names the primary's live pid
            lock.unlink()
        with open(self.data / "postgresql.auto.conf", "a") as conf:  # read after postgresql.conf: its socket wins
            conf.write(f"unix_socket_directories = '{self.socket}'\nhot_standby = on\nhot_standby_feedback = on\n")

    def start(self) -> None:
        self._as_postgres(self.bin / "pg_ctl", "start", "-D", self.data, "-l", self.root / f"{self.name}.log", "-w", "-s", "-t", "300")
        self.running = True

    def stop(self) -> None:
        if self.running:
            self._as_postgres(self.bin / "pg_ctl", "stop", "-D", self.data, "-m", "fast", "-s", "-t", "120")
            self.running = False

    def psql(self, sql: str, database: str = DATABASE) -> str:
        done = subprocess.run(["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", str(self.socket),
                               "-U", "postgres", "-d", database], input=sql, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise RuntimeError(f"psql ({self.name}) exited {done.returncode}: {done.stderr[-3000:]}")
        return done.stdout.strip()

    def pids(self) -> list[int]:
        """The postmaster and its children (backends, walsender, walreceiver, ...)."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        return [postmaster] + [int(p.name) for p in Path("/proc").iterdir()
                               if p.name.isdigit() and (_stat(int(p.name)) or ["", ""])[1] == str(postmaster)]


def owned_by_postgres(directory: Path) -> None:
    directory.mkdir(exist_ok=True)
    user = pwd.getpwnam("postgres")
    os.chown(directory, user.pw_uid, user.pw_gid)


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # gone
        return None


def cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds of these processes so far (all their threads; one gone counts 0)."""
    return sum(int(f[11]) + int(f[12]) for f in map(_stat, pids) if f) / TICK


def cpu_now(replicas: list[int], postgres: list[int], subscribers: list[int]) -> list[float]:
    """CPU seconds so far: this process, the subscriber process, replicas, PostgreSQL, the machine; and the clock."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    machine = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]  # less idle, iowait
    return [usage.ru_utime + usage.ru_stime, cpu_s(subscribers), cpu_s(replicas), cpu_s(postgres),
            (sum(machine) - machine[3] - machine[4]) / TICK, time.perf_counter()]


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class Subscriber:
    """One SSE client of /catalog/stream, run in the subscriber process: when each write's event arrived, by write index."""

    def __init__(self, replica: int, writes: int) -> None:
        self.replica = replica
        self.seen: list[float | None] = [None] * writes
        self.error: str | None = None


def _subscribe_all(ports: list[int], pattern: bytes, writes: int, counts, ready, stop, results) -> None:
    """The subscriber process: every subscriber's socket in one ``selectors`` loop, so that they neither take turns
    under one GIL (as 200 threads did, each waking for every event) nor slow the writer's and pollers' clocks in
    the parent. Each round reads every socket that is ready and stamps it (``time.perf_counter``, the system-wide
    monotonic clock the parent reads too) before any of it is parsed: parsing 200 events one after another (as an
    asyncio loop did, stamping each as it got to it) put up to 15 ms of Python between the first read and the last
    stamp of one write."""
    regex = re.compile(pattern)
    seen: list[list[float | None]] = [[None] * writes for _ in ports]
    errors: list[str | None] = [None] * len(ports)
    pending = [b""] * len(ports)
    started = [False] * len(ports)
    selector = selectors.DefaultSelector()
    for i, port in enumerate(ports):
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=30)
            sock.sendall(f"GET /catalog/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {MASTER_KEY}\r\n"
                         f"Accept: text/event-stream\r\n\r\n".encode())
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ, i)
        except OSError as error:
            errors[i] = f"{type(error).__name__}: {error}"
            ready[i] = 1

    def close(key, message: str) -> None:
        errors[key.data] = message
        ready[key.data] = 1
        selector.unregister(key.fileobj)
        key.fileobj.close()

    while not stop.is_set():
        got = []
        for key, _ in selector.select(timeout=0.05):
            try:
                data = key.fileobj.recv(1 << 16)
            except BlockingIOError:
                continue
            except OSError as error:
                close(key, f"{type(error).__name__}: {error}")
                continue
            got.append((key, time.perf_counter(), data))
        for key, now, data in got:
            i = key.data
            if not data:
                close(key, "EOFError: the stream ended")
                continue
            # Raw bytes of the chunked body: chunk-size lines are lines too, and never start with "data:".
            *lines, pending[i] = (pending[i] + data).split(b"\n")
            for line in lines:
                if not started[i]:
                    if b" 200 " not in line:
                        close(key, f"RuntimeError: status line {line[:200]!r}")
                        break
                    started[i] = True
                elif line.startswith(b"retry:"):
                    ready[i] = 1  # the stream's first bytes
                elif line.startswith(b"data:") and (found := regex.search(line)):
                    index = int(found.group(1))
                    if index < writes and seen[i][index] is None:
                        seen[i][index] = now
                        counts[i] += 1
    for key in list(selector.get_map().values()):
        key.fileobj.close()
    results.send({"seen": seen, "errors": errors})


class SubscriberProcess:
    """The subscribers (``Subscriber``, round-robin over the replicas) in a process of their own."""

    def __init__(self, ports: list[int], count: int, pattern: bytes, writes: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.subscribers = [Subscriber(s % len(ports), writes) for s in range(count)]
        self.counts, self.ready = context.Array("i", count, lock=False), context.Array("b", count, lock=False)
        self.stop, (self.receive, send) = context.Event(), context.Pipe(duplex=False)
        self.process = context.Process(target=_subscribe_all, daemon=True, args=(
            [ports[s.replica] for s in self.subscribers], pattern, writes, self.counts, self.ready, self.stop, send))
        self.process.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def all_ready(self) -> bool:
        return all(self.ready)

    def total(self) -> int:
        return sum(self.counts)

    def done(self, writes: int) -> bool:
        return all(c >= writes for c in self.counts)

    def finish(self) -> list[Subscriber]:
        """Stops the streams; the subscribers with their arrival times and errors."""
        self.stop.set()
        if self.receive.poll(30):
            reported = self.receive.recv()
            for subscriber, seen, error in zip(self.subscribers, reported["seen"], reported["errors"]):
                subscriber.seen = seen
                subscriber.error = error and f"replica {subscriber.replica}: {error}"
        else:
            for subscriber in self.subscribers:
                subscriber.error = "the subscriber process reported nothing"
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
        return self.subscribers


class ReplicaPolls:
    """What the poll loop found on one replica: when it first answered 200 for each written id."""

    def __init__(self, replica: int, writes: int) -> None:
        self.replica = replica
        self.seen: list[float | None] = [None] * writes
        self.polls, self.done, self.error = 0, 0, None


def _http_response(buffer: bytes) -> tuple[int, int] | None:
    """(status, length) of the whole HTTP/1.1 response at the start of ``buffer``, or None while it is incomplete."""
    head_end = buffer.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    head = buffer[:head_end].split(b"\r\n")
    status = int(head[0].split(b" ", 2)[1])
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(b":") for line in head[1:])}
    at = head_end + 4
    if b"content-length" in headers:
        end = at + int(headers[b"content-length"])
        return (status, end) if len(buffer) >= end else None
    if headers.get(b"transfer-encoding", b"").lower() != b"chunked":
        raise RuntimeError(f"a response without a length: {buffer[:300]!r}")
    while True:
        line_end = buffer.find(b"\r\n", at)
        if line_end < 0:
            return None
        size = int(buffer[at:line_end].split(b";")[0], 16)
        at = line_end + 2 + size + 2
        if len(buffer) < at:
            return None
        if size == 0:
            return status, at


class PollLoop(threading.Thread):
    """Asks every replica for each written id (handed over at its t0) every 2 ms until a 200, or 10 s past t0. One
    thread and one keep-alive connection per replica: the requests of a write go out together, and each round reads
    and stamps every answer that is ready before it parses any (20 threads each with a blocking client had put tens
    of milliseconds of Python between a replica's answer and its stamp)."""

    def __init__(self, ports: list[int], writes: int) -> None:
        super().__init__(daemon=True)
        self.ports = ports
        self.replicas = [ReplicaPolls(replica, writes) for replica in range(len(ports))]
        self.inbox: queue.Queue = queue.Queue()
        self.wake_read, self.wake_write = os.pipe()

    def hand_over(self, index: int, model_id: str, deadline: float) -> None:
        self.inbox.put((index, model_id, deadline))
        os.write(self.wake_write, b"x")

    def finish(self) -> None:
        self.inbox.put(None)
        os.write(self.wake_write, b"x")
        self.join(10)

    def run(self) -> None:
        try:
            self._loop()
        except Exception as error:
            for replica in self.replicas:
                replica.error = replica.error or f"replica {replica.replica}: poll loop: {type(error).__name__}: {error}"

    def _loop(self) -> None:
        count = len(self.ports)
        selector = selectors.DefaultSelector()
        sockets = []
        for replica, port in enumerate(self.ports):
            sock = socket.create_connection(("127.0.0.1", port), timeout=30)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ, replica)
            sockets.append(sock)
        selector.register(self.wake_read, selectors.EVENT_READ, None)
        waiting: list[list[tuple[int, str, float]]] = [[] for _ in range(count)]  # not yet answered 200, oldest first
        in_flight = [False] * count
        due: list[float | None] = [None] * count
        buffers = [b""] * count
        while True:
            pending = [d for d in due if d is not None]
            timeout = max(0.0, min(pending) - time.perf_counter()) if pending else None
            got = []
            for key, _ in selector.select(timeout):
                if key.data is None:
                    os.read(self.wake_read, 4096)
                    continue
                got.append((key.data, time.perf_counter(), key.fileobj.recv(1 << 16)))
            for replica, now, data in got:
                if not data:
                    raise EOFError(f"replica {replica} closed the connection")
                buffers[replica] += data
                answer = _http_response(buffers[replica])
                if answer is None:
                    continue
                status, length = answer
                buffers[replica] = buffers[replica][length:]
                in_flight[replica] = False
                polls = self.replicas[replica]
                polls.polls += 1
                index, model_id, deadline = waiting[replica][0]
                if status not in (200, 404):
                    raise RuntimeError(f"GET /model/info?litellm_model_id={model_id} on replica {replica}: {status}")
                if status == 200 or now > deadline:
                    if status == 200:
                        polls.seen[index] = now
                    polls.done += 1
                    waiting[replica].pop(0)
                    due[replica] = now if waiting[replica] else None
                else:
                    due[replica] = now + POLL_S
            while not self.inbox.empty():
                item = self.inbox.get()
                if item is None:
                    for sock in sockets:
                        sock.close()
                    return
                for replica in range(count):
                    waiting[replica].append(item)
                    if not in_flight[replica] and due[replica] is None:
                        due[replica] = 0.0
            now = time.perf_counter()
            for replica in range(count):
                if not in_flight[replica] and due[replica] is not None and due[replica] <= now and waiting[replica]:
                    model_id = waiting[replica][0][1]
                    sockets[replica].sendall(f"GET /model/info?litellm_model_id={model_id} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                             f"Authorization: Bearer {MASTER_KEY}\r\n\r\n".encode())
                    in_flight[replica], due[replica] = True, None


def post(client: Client, model_id: str, index: int) -> tuple[float, float]:
    """POST /model/new of a new deployment; (when it was sent, when its 200 had been read)."""
    body = {"model_name": f"fanout-{index}", "litellm_params": {"model": "openai/gpt-4o", "api_key": "os.environ/OPENAI_API_KEY"},
            "model_info": {"id": model_id}}
    sent = time.perf_counter()
    status, answer = client.request("POST", "/model/new", body)
    done = time.perf_counter()
    if status != 200:
        raise RuntimeError(f"POST /model/new {model_id}: {status} {answer[:500]!r}")
    return sent, done


def spread(values: list[float], fractions=(0.5, 0.9, 0.99, 1.0)) -> list[float]:
    return [round(percentile(values, f), 2) for f in fractions] if values else []


def group_summary(subscribers: list[Subscriber], pollers: list[ReplicaPolls], t0: list[float]) -> dict:
    """The figures (ms) of these subscribers and replicas; a pair seen later than 10 s after t0 is a miss."""
    def after_t0(seen: list[float | None]) -> list[float | None]:
        return [None if s is None or s - t > SEEN_LIMIT_S else (s - t) * 1000 for s, t in zip(seen, t0)]
    events, reads = [after_t0(s.seen) for s in subscribers], [after_t0(p.seen) for p in pollers]
    return {"subscribers": len(subscribers), "replicas": len(pollers),
            "event_ms_min_p50_p90_p99_max": spread([v for row in events for v in row if v is not None], (0, .5, .9, .99, 1)),
            "last_subscriber_ms_p50_max": spread([max(col) for col in zip(*events) if None not in col], (0.5, 1.0)),
            "events_missed": sum(row.count(None) for row in events),
            "replica_ms_p50_p90_p99_max": spread([v for row in reads for v in row if v is not None]),
            "last_replica_ms_p50_max": spread([max(col) for col in zip(*reads) if None not in col], (0.5, 1.0)),
            "replica_reads_missed": sum(row.count(None) for row in reads)}


def table(groups: dict[str, dict], client: dict, writes: int, interval_ms: int) -> str:
    def ms(values: list[float]) -> str:
        return " / ".join(f"{v:.1f}" for v in values) or "-"
    rows = [("subscriber gets the event, ms after the writer's 200: min / p50 / p90 / p99 / max (write × subscriber)",
             lambda g: ms(g["event_ms_min_p50_p90_p99_max"])),
            ("last subscriber of a write, ms after the writer's 200: p50 / max (per write)", lambda g: ms(g["last_subscriber_ms_p50_max"])),
            ("events not seen within 10 s", lambda g: str(g["events_missed"])),
            ("replica answers 200 for the id, ms after the writer's 200 (polled every 2 ms): p50 / p90 / p99 / max "
             "(write × replica)", lambda g: ms(g["replica_ms_p50_p90_p99_max"])),
            ("last replica of a write, ms: p50 / max (per write)", lambda g: ms(g["last_replica_ms_p50_max"])),
            ("replica reads not 200 within 10 s", lambda g: str(g["replica_reads_missed"]))]
    lines = ["| measure | " + " | ".join(groups) + " |", "|---|" + "---:|" * len(groups)]
    lines += [f"| {name} | " + " | ".join(cell(g) for g in groups.values()) + " |" for name, cell in rows]
    cores = client["cores"]
    for name, value in [
            (f"POST /model/new at the writer during the fan-out, ms: p50 / p99 / max ({writes})", ms(client["write_ms_p50_p99_max"])),
            (f"POST /model/new on the quiet client before it, ms: p50 / p99 / max ({client['baseline_writes']})",
             ms(client["baseline_write_ms_p50_p99_max"])),
            (f"the writer's {interval_ms} ms pause overran by, ms: p50 / p99 / max", ms(client["pause_overrun_ms_p50_p99_max"])),
            ("CPU during the writes, cores: Python (writer, pollers) / Python (subscribers) / replicas / PostgreSQL / other "
             "processes / whole machine", " / ".join(f"{cores[k]:.2f}" for k in ("python_writer_pollers", "python_subscribers",
                                                                                   "replicas", "postgres", "other", "machine"))),
            ("CPU in 2 s before the writes (streams open, nothing written), cores: replicas / PostgreSQL / whole machine",
             " / ".join(f"{v:.2f}" for v in client["idle_cores"].values())),
            ("CPU per write, ms: the Python subscriber process (all subscribers) / each replica",
             f"{client['subscriber_cpu_ms_per_write']:.1f} / {client['replica_cpu_ms_per_write']:.1f}")]:
        lines.append(f"| {name} | {value} |" + " |" * (len(groups) - 1))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description="ModelCatalog fan-out: a write's propagation to replicas and stream subscribers")
    parser.add_argument("--binary", required=True, help="the release model-catalog (its *.resources beside it)")
    for flag, default, text in [("--replicas", 20, None), ("--subscribers", 200, None), ("--writes", 200, None),
                                ("--interval-ms", 50, "pause after each write"),
                                ("--baseline-writes", 20, "writes on the quiet client first (not fanned out)"),
                                ("--follow-interval-ms", 10, "serve --follow-interval-ms of the replicas on the standby"),
                                ("--ready-timeout", 180, "seconds the replicas may take to be ready")]:
        parser.add_argument(flag, type=int, default=default, help=text)
    parser.add_argument("--standby", action="store_true", help="a hot standby; the last replicas//2 replicas read from it")
    parser.add_argument("--json", help="write the raw figures here")
    options = parser.parse_args()
    binary = str(Path(options.binary).resolve())
    if not Path(binary).is_file():
        parser.error(f"no model-catalog at {binary}")
    if min(options.replicas, options.subscribers, options.writes) < 1 or (options.standby and options.replicas < 2):
        parser.error("needs --replicas >= 1 (2 with --standby), --subscribers >= 1, --writes >= 1")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # ends the script like Ctrl-C: through the finally below
    load_at_start = load_average()
    log(f"load average at start: {load_at_start}; {os.cpu_count()} CPUs")
    root, logs = Path(tempfile.mkdtemp(prefix="fanout-bench-")), Path(tempfile.mkdtemp(prefix="fanout-bench-logs-"))
    root.chmod(0o755)  # PostgreSQL (user postgres) makes its clusters, sockets and logs in it
    owned_by_postgres(root)
    primary, standby = Postgres(root, "primary"), Postgres(root, "standby")
    children: list[Child] = []
    subscribers: list[Subscriber] = []
    pool: SubscriberProcess | None = None
    finished = False
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "READ_DATABASE_URL", "LITELLM_MASTER_KEY",
           "CATALOG_SECRET_KEY", "LITELLM_SALT_KEY", "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"}}
    env.update({"LITELLM_MASTER_KEY": MASTER_KEY, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"})
    try:
        primary.init(500)
        primary.start()
        primary.psql(f"CREATE DATABASE {DATABASE}", database="postgres")
        migrated = subprocess.run([binary, "migrate", "--database-url", primary.conninfo], env=env, timeout=600,
                                  capture_output=True, text=True)
        if migrated.returncode != 0:
            raise RuntimeError(f"migrate exited {migrated.returncode}:\n{migrated.stdout}{migrated.stderr}")
        primary.psql(subprocess.run([sys.executable, "-B", str(BENCH / "bench.py"), "seed-sql", "--deployments", "500", "--tenants",
                                     "10", "--shared", "250"], capture_output=True, text=True, check=True, timeout=60).stdout)
        primary.psql("VACUUM ANALYZE")
        pg_version = primary.psql("SHOW server_version")
        on_standby = options.replicas // 2 if options.standby else 0
        first_on_standby = options.replicas - on_standby
        if options.standby:
            log("making the hot standby (pg_basebackup -R -X stream)")
            standby.copy_as_standby(primary)
            standby.start()
            if standby.psql("SELECT pg_is_in_recovery()") != "t":
                raise RuntimeError("the standby is not in recovery")

        log(f"starting {options.replicas} replicas ({on_standby} on the standby)")
        ports = [free_port() for _ in range(options.replicas)]
        for replica, port in enumerate(ports):
            argv = [binary, "serve", "--host", "127.0.0.1", "--port", str(port), "--database-url", primary.conninfo, "--pool-size", "3"]
            if replica >= first_on_standby:
                argv += ["--read-database-url", standby.conninfo, "--follow-interval-ms", str(options.follow_interval_ms)]
            children.append(Child(f"replica {replica}", argv, env, str(logs), logs))
        for child, port in zip(children, ports):
            wait_http(port, "/health/readiness", options.ready_timeout, child)

        run, writer = time.strftime("%H%M%S"), Client(ports[0], MASTER_KEY)
        log(f"{options.baseline_writes} writes on the quiet client")
        baseline = []
        for index in range(options.baseline_writes):
            sent, done = post(writer, f"fanout-{run}-b{index}", index)
            baseline.append((done - sent) * 1000)
            time.sleep(options.interval_ms / 1000)

        log(f"connecting {options.subscribers} subscribers")
        pattern = re.compile(rb'"id"\s*:\s*"fanout-' + run.encode() + rb'-(\d+)"')
        pool = SubscriberProcess(ports, options.subscribers, pattern.pattern, options.writes)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not pool.all_ready():
            time.sleep(0.05)
        if not pool.all_ready():
            raise RuntimeError(f"{sum(1 for r in pool.ready if not r)} subscribers had no first bytes in 60 s")
        poll_loop = PollLoop(ports, options.writes)
        poll_loop.start()
        pollers = poll_loop.replicas

        log(f"{options.writes} writes on replica 0, {options.interval_ms} ms apart")
        pg_pids = primary.pids() + (standby.pids() if options.standby else [])
        replica_pids = [child.process.pid for child in children]
        before = cpu_now(replica_pids, pg_pids, [pool.pid])
        time.sleep(2)  # the fleet's idle cost, streams open
        after = cpu_now(replica_pids, pg_pids, [pool.pid])
        idle, before = [b - a for a, b in zip(before, after)], after
        t0, write_ms, overrun = [], [], []
        for index in range(options.writes):
            sent, done = post(writer, f"fanout-{run}-{index}", index)
            t0.append(done)
            write_ms.append((done - sent) * 1000)
            poll_loop.hand_over(index, f"fanout-{run}-{index}", done + SEEN_LIMIT_S)
            paused = time.perf_counter()
            time.sleep(options.interval_ms / 1000)
            overrun.append((time.perf_counter() - paused) * 1000 - options.interval_ms)
            if index % 50 == 49:
                log(f"  {index + 1} writes; events seen so far: {pool.total()}")
        deadline = t0[-1] + SEEN_LIMIT_S + 1
        while time.perf_counter() < deadline and (not pool.done(options.writes) or
                                                 any(p.done < options.writes for p in pollers if not p.error)):
            time.sleep(0.05)
        used = [b - a for a, b in zip(before, cpu_now(replica_pids, pg_pids, [pool.pid]))]
        wall = used[5]
        cores = {"python_writer_pollers": used[0] / wall, "python_subscribers": used[1] / wall,
                 "replicas": used[2] / wall, "postgres": used[3] / wall, "machine": used[4] / wall,
                 "other": (used[4] - used[0] - used[1] - used[2] - used[3]) / wall}
        subscribers = pool.finish()
        load_at_end = load_average()
        poll_loop.finish()
        errors = [x.error for x in subscribers + pollers if x.error]
        log(f"load average at the end: {load_at_end}" + "".join(f"\nerror: {error}" for error in errors[:5]))

        parts = [("all replicas", range(options.replicas))] + ([
            ("replicas on the primary (LISTEN)", range(first_on_standby)),
            (f"replicas on the standby (every {options.follow_interval_ms} ms)", range(first_on_standby, options.replicas))]
            if options.standby else [])
        groups = {name: group_summary([s for s in subscribers if s.replica in part], pollers[part.start:part.stop], t0)
                  for name, part in parts}
        client = {"write_ms_p50_p99_max": spread(write_ms, (0.5, 0.99, 1.0)), "baseline_writes": options.baseline_writes,
                  "baseline_write_ms_p50_p99_max": spread(baseline, (0.5, 0.99, 1.0)),
                  "pause_overrun_ms_p50_p99_max": spread(overrun, (0.5, 0.99, 1.0)),
                  "cores": {k: round(v, 2) for k, v in cores.items()}, "write_phase_s": round(wall, 1),
                  "idle_cores": {k: round(idle[i] / idle[5], 2) for i, k in ((2, "replicas"), (3, "postgres"), (4, "machine"))},
                  "subscriber_cpu_ms_per_write": round(used[1] * 1000 / options.writes, 2),
                  "replica_cpu_ms_per_write": round(used[2] * 1000 / options.writes / options.replicas, 2),
                  "polls": sum(p.polls for p in pollers), "errors": errors}
        setup = {**{k: v for k, v in vars(options).items() if k != "json"}, "on_standby": on_standby, "binary": binary,
                 "postgres": pg_version, "nproc": os.cpu_count(), "load_start": load_at_start, "load_end": load_at_end}
        standby_text = (f" {on_standby} of the replicas (the last) read from a hot standby of it (pg_basebackup -R, streaming replication, "
                        f"same machine) with `--read-database-url`, looking at its change log every {options.follow_interval_ms} "
                        f"ms; the others LISTEN on the primary." if options.standby else "")
        print(f"{options.replicas} replicas of `model-catalog serve` (release, `{binary}`, `--pool-size 3`) on a private "
              f"PostgreSQL {pg_version} (Unix socket, max_connections = 500, durable defaults) holding 500 deployments."
              f"{standby_text} {options.subscribers} Server-Sent-Events subscribers of `GET /catalog/stream`, round-robin over "
              f"the replicas, all in one `selectors` loop (every ready socket read and stamped before any is parsed) in a Python process of their own; {options.writes} sequential `POST /model/new` on replica 0, "
              f"{options.interval_ms} ms apart. Times run from t0, when the writer has read the write's 200 (one perf_counter "
              f"clock), to the subscriber's read of the event, and to the first 200 of `GET /model/info?litellm_model_id=` "
              f"on each replica, asked every 2 ms on a keep-alive connection (so up to one interval and one request more); "
              f"percentiles nearest-rank over all pairs. All of it shares this machine's {os.cpu_count()} cores: the "
              f"replicas, PostgreSQL, the subscriber process and the writer's (with one poll thread, a `selectors` loop over a keep-alive connection to each replica). "
              f"Load average {load_at_start} at the start, {load_at_end} at the end.\n")
        print(table(groups, client, options.writes, options.interval_ms))
        print("\n```json\n" + json.dumps({"setup": setup, "results": groups, "client": client}) + "\n```")
        if options.json:
            after_t0 = lambda seen: [None if s is None else round((s - t) * 1000, 3) for s, t in zip(seen, t0)]  # noqa: E731
            Path(options.json).write_text(json.dumps({
                "setup": setup, "results": groups, "client": client, "write_ms": write_ms, "baseline_write_ms": baseline,
                "pause_overrun_ms": overrun, "event_ms_by_subscriber": {f"{i} (replica {s.replica})": after_t0(s.seen)
                                                                        for i, s in enumerate(subscribers)},
                "seen_ms_by_replica": {p.replica: after_t0(p.seen) for p in pollers}}) + "\n")
        finished = True
        return 0
    finally:
        if pool is not None and pool.process.is_alive():
            pool.stop.set()
            pool.process.join(10)
            if pool.process.is_alive():
                pool.process.kill()
        for child in children:  # SIGTERM to all first, so that they stop in parallel
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        for child in children:
            child.stop()
        for server in (standby, primary):  # the standby first: it would retry its primary until stopped
            try:
                server.stop()
            except (subprocess.SubprocessError, OSError) as error:
                log(f"stopping PostgreSQL ({server.name}) failed: {error}; {server.data} is kept")
        if not finished:
            for server_log in root.glob("*.log"):
                shutil.copy(server_log, logs / f"postgres-{server_log.name}")
            log(f"the replicas' and PostgreSQL's logs are in {logs}")
        if not (primary.running or standby.running):
            shutil.rmtree(root, ignore_errors=True)
        if finished:
            shutil.rmtree(logs, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
