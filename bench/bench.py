#!/usr/bin/env python3
"""Helpers of bench/run.sh (standard library only).

Every measurement is appended as one JSON object per line to a results file; bench/report.py turns
that file into BENCHMARKS.md.

  bench.py seed-sql --deployments N --tenants T --shared S [--tenant-key KEY --key-tenant ID]
  bench.py wait-ready --port P --since EPOCHREALTIME [--timeout S]
  bench.py wrk --results FILE --record JSON -- wrk ARGS...
  bench.py size --port P --path PATH --key KEY
  bench.py check-count --port P --path PATH --key KEY --expect N
  bench.py propagation --results FILE --a PORT --b PORT --key KEY --writes N --rounds R
  bench.py writes --results FILE --port P --key KEY --requests N --concurrency C --rounds R
  bench.py rss --pid PID
  bench.py record --results FILE --record JSON
"""
import argparse
import http.client
import json
import os
import re
import shlex
import subprocess
import sys
import threading
import time

# ---------------------------------------------------------------------------------------------
# Small shared pieces


def percentile(values, q):
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n*q/100), at least 1
    return ordered[int(rank) - 1]


def median(values):
    ordered = sorted(v for v in values if v is not None)
    if not ordered:
        return None
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def append(results, record):
    with open(results, "a") as handle:
        handle.write(json.dumps(record) + "\n")


class Client:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1:port."""

    def __init__(self, port, key=None, timeout=30):
        self.port = port
        self.key = key
        self.timeout = timeout
        self.connection = None

    def request(self, method, path, body=None):
        headers = {}
        if self.key:
            headers["Authorization"] = "Bearer " + self.key
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.connection.request(method, path, body=data, headers=headers)
                response = self.connection.getresponse()
                payload = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, payload
            except (http.client.HTTPException, ConnectionError, OSError):
                self.close()
                if attempt:
                    raise
        raise RuntimeError("unreachable")

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


# ---------------------------------------------------------------------------------------------
# seed-sql: a catalog of N deployments with real cost-map names, in one statement

# (model_name stem, litellm_params.model, model_info.base_model, env var of the key)
TEMPLATES = [
    ("gpt-4o", "openai/gpt-4o", None, "OPENAI_API_KEY"),
    ("claude-sonnet-4-5", "anthropic/claude-sonnet-4-5", None, "ANTHROPIC_API_KEY"),
    ("gpt-4o", "azure/gpt-4o-deploy", "azure/gpt-4o", "AZURE_API_KEY"),
    ("gpt-4o-mini", "openai/gpt-4o-mini", None, "OPENAI_API_KEY"),
    ("gemini-2.5-pro", "gemini/gemini-2.5-pro", None, "GEMINI_API_KEY"),
    ("mistral-large", "mistral/mistral-large-latest", None, "MISTRAL_API_KEY"),
    ("deepseek-chat", "deepseek/deepseek-chat", None, "DEEPSEEK_API_KEY"),
    ("text-embedding-3-small", "openai/text-embedding-3-small", None, "OPENAI_API_KEY"),
]


def seed_sql(args):
    n, tenants, shared = args.deployments, args.tenants, args.shared
    values = ",\n    ".join(
        "({}, '{}', '{}', {}, '{}')".format(k, stem, model, "NULL" if base is None else "'%s'" % base, env)
        for k, (stem, model, base, env) in enumerate(TEMPLATES))
    tenant_expr = "NULL" if tenants == 0 else (
        "CASE WHEN g <= {s} THEN NULL ELSE 't' || lpad((((g - {s} - 1) % {t}) + 1)::text, greatest(4, length((((g - {s} - 1) % {t}) + 1)::text)), '0') END"
        .format(s=shared, t=tenants))
    sql = f"""\\set ON_ERROR_STOP on
BEGIN;
INSERT INTO tenants (id, alias)
SELECT 't' || lpad(g::text, greatest(4, length(g::text)), '0'), 'Bench tenant ' || g FROM generate_series(1, {tenants}) g;
WITH tmpl (k, stem, model, base, env) AS (VALUES
    {values})
INSERT INTO models (id, tenant_id, model_name, litellm_params, model_info, source)
SELECT 'bench-' || lpad(g::text, greatest(6, length(g::text)), '0'),
       {tenant_expr},
       tmpl.stem || '-' || ((g / {len(TEMPLATES)}) % 25),
       jsonb_build_object('model', CASE WHEN tmpl.base IS NULL THEN tmpl.model ELSE tmpl.model || '-' || g END,
                          'api_key', 'os.environ/' || tmpl.env,
                          'rpm', 100 + g % 900, 'tpm', 100000 + g % 5000)
         || CASE WHEN tmpl.base IS NULL THEN '{{}}'::jsonb
                 ELSE jsonb_build_object('api_base', 'https://bench-' || (g % 7) || '.openai.azure.com',
                                         'api_version', '2024-08-01-preview') END,
       CASE WHEN tmpl.base IS NULL THEN '{{}}'::jsonb ELSE jsonb_build_object('base_model', tmpl.base) END,
       'api'
FROM generate_series(1, {n}) g JOIN tmpl ON tmpl.k = g % {len(TEMPLATES)}
ORDER BY g;
"""
    if args.tenant_key:
        sql += """INSERT INTO api_keys (key_hash, key_alias, role, tenant_id)
VALUES (sha256(convert_to('{key}', 'UTF8')), 'bench-member', 'tenant_member', '{tenant}');
""".format(key=args.tenant_key, tenant=args.key_tenant)
    sql += "COMMIT;\nANALYZE;\n"
    sys.stdout.write(sql)


# ---------------------------------------------------------------------------------------------
# wait-ready: milliseconds from a bash $EPOCHREALTIME (taken just before `serve &`) to readiness 200


def cpu_ms(pid):
    """User + system CPU time a process has used so far (all its threads), in milliseconds."""
    with open("/proc/%d/stat" % pid) as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return round(ticks * 1000 / os.sysconf("SC_CLK_TCK"))


def wait_ready(args):
    since = float(args.since)
    deadline = time.monotonic() + args.timeout
    last = None
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=2)
            connection.request("GET", "/health/readiness")
            response = connection.getresponse()
            body = response.read()
            connection.close()
            if response.status == 200:
                ready_ms = (time.time() - since) * 1000
                result = {"ready_ms": round(ready_ms, 1), "readiness": json.loads(body)}
                if args.pid:
                    result["cpu_ms"] = cpu_ms(args.pid)
                print(json.dumps(result))
                return 0
            last = "status %d" % response.status
        except (OSError, http.client.HTTPException) as error:
            last = str(error)
        time.sleep(0.002)
    print(json.dumps({"error": "not ready after %ss (%s)" % (args.timeout, last)}))
    return 1


# ---------------------------------------------------------------------------------------------
# wrk: run it, parse its --latency report, record the figures

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def to_ms(text):
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    return float(match.group(1)) * UNITS[match.group(2)] if match else None


def parse_wrk(output):
    parsed = {"non2xx": 0, "socket_errors": 0}
    for line in output.splitlines():
        stripped = line.strip()
        match = re.match(r"Requests/sec:\s+([\d.]+)", stripped)
        if match:
            parsed["rps"] = float(match.group(1))
        match = re.match(r"(50|75|90|99)(?:\.0+)?%\s+(\S+)", stripped)
        if match:
            parsed["p" + match.group(1)] = to_ms(match.group(2))
        match = re.match(r"(\d+) requests in ([\d.]+\w+), ([\d.]+\w+) read", stripped)
        if match:
            parsed["requests"] = int(match.group(1))
        match = re.match(r"Non-2xx or 3xx responses:\s+(\d+)", stripped)
        if match:
            parsed["non2xx"] = int(match.group(1))
        match = re.match(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", stripped)
        if match:
            parsed["socket_errors"] = sum(int(x) for x in match.groups())
        match = re.match(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", stripped)
        if match:
            parsed["mean"] = to_ms(match.group(1))
            parsed["max"] = to_ms(match.group(3))
    return parsed


def run_wrk(args):
    command = args.command[1:] if args.command and args.command[0] == "--" else args.command
    started = time.time()
    completed = subprocess.run(command, capture_output=True, text=True)
    record = json.loads(args.record)
    record.update(parse_wrk(completed.stdout))
    record.update({"kind": "wrk", "command": shlex.join(command), "exit": completed.returncode,
                   "at": round(started, 3)})
    if completed.returncode != 0 or "rps" not in record:
        record["error"] = (completed.stderr or completed.stdout).strip()[-500:]
    append(args.results, record)
    summary = "%-60s %9.0f req/s  p50 %7.3f ms  p99 %7.3f ms%s" % (
        args.record[:60], record.get("rps", 0), record.get("p50") or 0, record.get("p99") or 0,
        "  NON-2XX %d" % record["non2xx"] if record.get("non2xx") else "")
    print(summary, flush=True)
    return 0


# ---------------------------------------------------------------------------------------------
# size / check-count


def size(args):
    status, body = Client(args.port, args.key).request("GET", args.path)
    if status != 200:
        print("GET %s answered %d: %s" % (args.path, status, body[:200]), file=sys.stderr)
        return 1
    print(len(body))
    return 0


def check_count(args):
    status, body = Client(args.port, args.key).request("GET", args.path)
    count = len(json.loads(body).get("data", [])) if status == 200 else None
    if count != args.expect:
        print("GET %s: expected %d entries, got %s (status %d)" % (args.path, args.expect, count, status),
              file=sys.stderr)
        return 1
    return 0


# ---------------------------------------------------------------------------------------------
# propagation: write on A, poll B until it returns the model


def new_model_body(model_id, index, team):
    stem, model, base, env = TEMPLATES[index % len(TEMPLATES)]
    params = {"model": model if base is None else "%s-%s" % (model, model_id), "api_key": "os.environ/" + env,
              "rpm": 100 + index % 900}
    info = {"id": model_id}
    if base is not None:
        params.update({"api_base": "https://bench-w.openai.azure.com", "api_version": "2024-08-01-preview"})
        info["base_model"] = base
    if team:
        info["team_id"] = team
    return {"model_name": "%s-w%d" % (stem, index % 25), "litellm_params": params, "model_info": info}


def propagation(args):
    writer = Client(args.a, args.key)
    prober = Client(args.b, args.key)
    stamp = int(time.time())
    for round_index in range(1, args.rounds + 1):
        latencies, polls_needed, timeouts, write_ms = [], [], 0, []
        for index in range(args.writes):
            model_id = "prop-%d-r%d-%04d" % (stamp, round_index, index)
            team = args.team if index % 2 else None  # half shared, half a tenant's
            body = new_model_body(model_id, index, team)
            sent = time.perf_counter()
            status, payload = writer.request("POST", "/model/new", body)
            acknowledged = time.perf_counter()
            if status != 200:
                raise SystemExit("POST /model/new on A answered %d: %s" % (status, payload[:300]))
            write_ms.append((acknowledged - sent) * 1000)
            path = "/model/info?litellm_model_id=" + model_id
            polls = 0
            while True:
                polls += 1
                status, payload = prober.request("GET", path)
                now = time.perf_counter()
                if status == 200:
                    latencies.append((now - acknowledged) * 1000)
                    polls_needed.append(polls)
                    break
                if status != 404:
                    raise SystemExit("GET %s on B answered %d: %s" % (path, status, payload[:300]))
                if now - acknowledged > args.timeout:
                    timeouts += 1
                    break
                time.sleep(args.interval)
        record = {
            "kind": "propagation", "round": round_index, "writes": args.writes, "timeouts": timeouts,
            "p50": percentile(latencies, 50), "p99": percentile(latencies, 99), "max": max(latencies),
            "mean": sum(latencies) / len(latencies), "min": min(latencies),
            "first_poll_hits": sum(1 for p in polls_needed if p == 1),
            "interval_ms": args.interval * 1000, "write_p50": percentile(write_ms, 50),
            "samples": [round(x, 3) for x in latencies],
        }
        record.update(json.loads(args.extra))
        append(args.results, record)
        print("propagation round %d: p50 %.2f ms  p99 %.2f ms  max %.2f ms  timeouts %d  (visible at first poll: %d/%d)"
              % (round_index, record["p50"], record["p99"], record["max"], timeouts, record["first_poll_hits"],
                 args.writes), flush=True)
    return 0


# ---------------------------------------------------------------------------------------------
# writes: POST /model/new latency at a given concurrency (threads, one keep-alive connection each)


def writes(args):
    stamp = int(time.time())
    for round_index in range(1, args.rounds + 1):
        bodies = [new_model_body("w%d-c%d-r%d-%05d" % (stamp, args.concurrency, round_index, i), i,
                                 args.team if i % 2 else None) for i in range(args.requests)]
        lock = threading.Lock()
        next_index = [0]
        latencies, failures = [], []

        def worker():
            client = Client(args.port, args.key)
            while True:
                with lock:
                    index = next_index[0]
                    next_index[0] += 1
                if index >= len(bodies):
                    break
                started = time.perf_counter()
                status, payload = client.request("POST", "/model/new", bodies[index])
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    if status == 200:
                        latencies.append(elapsed)
                    else:
                        failures.append((status, payload[:200]))
            client.close()

        threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - began
        record = {
            "kind": "writes", "concurrency": args.concurrency, "round": round_index, "requests": args.requests,
            "ok": len(latencies), "failures": len(failures), "p50": percentile(latencies, 50),
            "p99": percentile(latencies, 99), "max": max(latencies) if latencies else None,
            "throughput": len(latencies) / wall,
        }
        if failures:
            record["first_failure"] = repr(failures[0])
        record.update(json.loads(args.extra))
        append(args.results, record)
        print("writes c=%d round %d: p50 %.2f ms  p99 %.2f ms  max %.2f ms  %.0f writes/s  failures %d"
              % (args.concurrency, round_index, record["p50"], record["p99"], record["max"], record["throughput"],
                 len(failures)), flush=True)
    return 0


# ---------------------------------------------------------------------------------------------
# rss / record


def rss(args):
    fields = {}
    with open("/proc/%d/status" % args.pid) as handle:
        for line in handle:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads"):
                fields[name] = int(value.split()[0])
    print(json.dumps(fields))
    return 0


# ---------------------------------------------------------------------------------------------
# cpu-snapshot / cpu-phase: how much of the machine's CPU went to other work during a phase.
# Ours: the script and its descendants (reaped children land in their parent's cutime/cstime), and
# our PostgreSQL (the postmaster and its backends). Other: everything else the kernel counted busy.


def process_table():
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields[0] is state (field 3 of proc(5)): ppid is field 4, utime..cstime fields 14-17
        table[int(entry)] = (int(fields[1]), sum(int(x) for x in fields[11:15]))
    return table


def tree_ticks(table, root):
    children = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        if pid in table:
            total += table[pid][1]
        stack.extend(children.get(pid, []))
    return total


def cpu_snapshot_values(script_pid, postmaster_pid):
    with open("/proc/stat") as handle:
        values = [int(x) for x in handle.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (values + [0] * 8)[:8]
    table = process_table()
    return {"time": time.time(), "busy": user + nice + system + irq + softirq, "steal": steal,
            "ours": tree_ticks(table, script_pid), "pg": tree_ticks(table, postmaster_pid) if postmaster_pid else 0}


def cpu_snapshot(args):
    print(json.dumps(cpu_snapshot_values(args.script_pid, args.postmaster_pid)))
    return 0


def cpu_phase(args):
    start = json.loads(args.start)
    end = cpu_snapshot_values(args.script_pid, args.postmaster_pid)
    available = (end["time"] - start["time"]) * os.cpu_count() * os.sysconf("SC_CLK_TCK")
    busy = end["busy"] - start["busy"]
    ours = (end["ours"] - start["ours"]) + (end["pg"] - start["pg"])
    other = max(0, busy - ours)
    print(json.dumps({"cpu_ours": round(ours / available, 3), "cpu_other": round(other / available, 3),
                      "cpu_steal": round((end["steal"] - start["steal"]) / available, 3)}))
    return 0


def record(args):
    append(args.results, json.loads(args.record))
    return 0


# ---------------------------------------------------------------------------------------------
# profile: inclusive share of CPU samples of named frames in a `perf record -g` file. Swift symbols
# stay mangled in perf's output, so frames are found by a piece of their mangled name.


def profile(args):
    command = ["perf", "report", "-i", args.data, "--stdio", "--children", "--sort", "symbol", "-g", "none"]
    completed = subprocess.run(command, capture_output=True, text=True)
    shares = {}
    samples = None
    for line in completed.stdout.splitlines():
        match = re.match(r"# Samples: (\S+)", line)
        if match and samples is None:
            samples = match.group(1)
        match = re.match(r"\s+([\d.]+)%\s+([\d.]+)%\s+\[.\]\s+(\S+)", line)
        if match:
            shares.setdefault(match.group(3), float(match.group(1)))
    found = {}
    for frame in args.frame:
        label, _, piece = frame.partition("=")
        matches = [share for symbol, share in shares.items() if piece in symbol]
        found[label] = max(matches) if matches else None
    record = json.loads(args.record)
    record.update(kind="profile", frames=found, samples=samples)
    append(args.results, record)
    print("profile %s: %s" % (record.get("name"), ", ".join(
        "%s %s" % (label, "–" if share is None else "%.1f%%" % share) for label, share in found.items())), flush=True)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="name", required=True)

    command = commands.add_parser("seed-sql")
    command.add_argument("--deployments", type=int, required=True)
    command.add_argument("--tenants", type=int, required=True)
    command.add_argument("--shared", type=int, required=True)
    command.add_argument("--tenant-key")
    command.add_argument("--key-tenant", default="t0001")
    command.set_defaults(run=seed_sql)

    command = commands.add_parser("wait-ready")
    command.add_argument("--port", type=int, required=True)
    command.add_argument("--since", required=True)
    command.add_argument("--timeout", type=float, default=120)
    command.add_argument("--pid", type=int, help="also report this process's CPU time when ready")
    command.set_defaults(run=wait_ready)

    command = commands.add_parser("wrk")
    command.add_argument("--results", required=True)
    command.add_argument("--record", required=True)
    command.add_argument("command", nargs=argparse.REMAINDER)
    command.set_defaults(run=run_wrk)

    for name, function in (("size", size), ("check-count", check_count)):
        command = commands.add_parser(name)
        command.add_argument("--port", type=int, required=True)
        command.add_argument("--path", required=True)
        command.add_argument("--key", required=True)
        if name == "check-count":
            command.add_argument("--expect", type=int, required=True)
        command.set_defaults(run=function)

    command = commands.add_parser("propagation")
    command.add_argument("--results", required=True)
    command.add_argument("--a", type=int, required=True)
    command.add_argument("--b", type=int, required=True)
    command.add_argument("--key", required=True)
    command.add_argument("--team", default="t0001")
    command.add_argument("--writes", type=int, default=500)
    command.add_argument("--rounds", type=int, default=1)
    command.add_argument("--interval", type=float, default=0.001, help="seconds between polls of B")
    command.add_argument("--timeout", type=float, default=5.0)
    command.add_argument("--extra", default="{}", help="JSON fields added to each record")
    command.set_defaults(run=propagation)

    command = commands.add_parser("writes")
    command.add_argument("--results", required=True)
    command.add_argument("--port", type=int, required=True)
    command.add_argument("--key", required=True)
    command.add_argument("--team", default="t0001")
    command.add_argument("--requests", type=int, default=500)
    command.add_argument("--concurrency", type=int, default=1)
    command.add_argument("--rounds", type=int, default=1)
    command.add_argument("--extra", default="{}", help="JSON fields added to each record")
    command.set_defaults(run=writes)

    command = commands.add_parser("rss")
    command.add_argument("--pid", type=int, required=True)
    command.set_defaults(run=rss)

    command = commands.add_parser("profile")
    command.add_argument("--data", required=True)
    command.add_argument("--results", required=True)
    command.add_argument("--record", required=True)
    command.add_argument("--frame", action="append", default=[], help="LABEL=piece of a mangled symbol name")
    command.set_defaults(run=profile)

    command = commands.add_parser("cpu-snapshot")
    command.add_argument("--script-pid", type=int, required=True)
    command.add_argument("--postmaster-pid", type=int, default=0)
    command.set_defaults(run=cpu_snapshot)

    command = commands.add_parser("cpu-phase")
    command.add_argument("--start", required=True, help="the JSON cpu-snapshot printed at the phase's start")
    command.add_argument("--script-pid", type=int, required=True)
    command.add_argument("--postmaster-pid", type=int, default=0)
    command.set_defaults(run=cpu_phase)

    command = commands.add_parser("record")
    command.add_argument("--results", required=True)
    command.add_argument("--record", required=True)
    command.set_defaults(run=record)

    args = parser.parse_args()
    sys.exit(args.run(args) or 0)


if __name__ == "__main__":
    main()
