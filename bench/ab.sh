#!/usr/bin/env bash
# Two builds of model-catalog side by side, alternately, on one PostgreSQL: time to readiness and
# the replica's CPU at readiness, the first (uncached) reads, and POST /model/new, at 500 and
# 100,000 deployments. For "is this change slower?": the machine is shared and noisy, so compare
# the two binaries within one run rather than with figures of another day.
#
#   bash bench/ab.sh OLD_BIN_DIR NEW_BIN_DIR [ROUNDS]
#
# Each BIN_DIR holds a release `model-catalog` and its *.resources bundles, e.g. a copy of
# `swift build -c release --show-bin-path` made at each commit. Traffic goes only to 127.0.0.1
# (port 18901); every loop is bounded. Prints one line per measurement and the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=${1:?old bin dir}
NEW=${2:?new bin dir}
ROUNDS=${3:-5}
PORT=18901
W=$(mktemp -d /tmp/catalog-ab.XXXX)
PG_BIN=$(pg_config --bindir)
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$W"
as_postgres "$PG_BIN/initdb" -D "$W/data" -U postgres -A trust >/dev/null
printf "listen_addresses = ''\nunix_socket_directories = '%s'\nmax_connections = 200\n" "$W" >>"$W/data/postgresql.conf"
as_postgres "$PG_BIN/pg_ctl" start -D "$W/data" -l "$W/pg.log" -w -s
trap 'as_postgres "$PG_BIN/pg_ctl" stop -D "$W/data" -m fast -s; rm -rf "$W"' EXIT
conninfo() { echo "host=$W dbname=$1 user=postgres"; }

for spec in "d500 500 5 250" "d100k 100000 1000 0"; do
    set -- $spec
    psql -h "$W" -U postgres -d postgres -qc "CREATE DATABASE $1"
    "$NEW/model-catalog" migrate --database-url "$(conninfo "$1")" >/dev/null 2>&1
    python3 bench/bench.py seed-sql --deployments "$2" --tenants "$3" --shared "$4" --tenant-key sk-ab-tenant \
        | psql -h "$W" -U postgres -d "$1" -q >/dev/null
done

export LITELLM_MASTER_KEY=sk-ab
results=$W/results.txt
for db in d500 d100k; do
    for ((round = 1; round <= ROUNDS; round++)); do
        for which in old new; do
            dir=$OLD; [ "$which" = new ] && dir=$NEW
            since=$EPOCHREALTIME
            "$dir/model-catalog" serve --host 127.0.0.1 --port $PORT --database-url "$(conninfo $db)" >>"$W/$which.log" 2>&1 &
            pid=$!
            ready=$(python3 bench/bench.py wait-ready --port $PORT --since "$since" --timeout 120 --pid $pid)
            ms() { curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $1" "http://127.0.0.1:$PORT$2" | awk '{printf "%.1f", $1 * 1000}'; }
            line="$db $which ready_ms=$(echo "$ready" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ready_ms"])')"
            line+=" cpu_ms=$(echo "$ready" | python3 -c 'import json,sys; print(json.load(sys.stdin)["cpu_ms"])')"
            line+=" admin_v2_ms=$(ms sk-ab '/v2/model/info?page=1&size=50')"
            line+=" tenant_model_info_ms=$(ms sk-ab-tenant /model/info)"
            line+=" tenant_v1_models_ms=$(ms sk-ab-tenant /v1/models)"
            line+=" write_p50_ms=$(python3 - "$PORT" "$which$round" <<'PY'
import http.client, json, statistics, sys, time
connection = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
latencies = []
for i in range(30):
    body = json.dumps({"model_name": f"ab-{sys.argv[2]}-{i}", "litellm_params": {"model": "openai/gpt-4o", "api_key": "os.environ/K"},
                       "model_info": {"id": f"ab-{sys.argv[2]}-{i}"}})
    started = time.perf_counter()
    connection.request("POST", "/model/new", body, {"Authorization": "Bearer sk-ab", "Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    assert response.status == 200, response.status
    latencies.append((time.perf_counter() - started) * 1000)
print(f"{statistics.median(latencies):.1f}")
PY
)"
            echo "$line" | tee -a "$results"
            kill -TERM $pid
            wait $pid || true
        done
    done
done

echo
echo "medians (old -> new):"
python3 - "$results" <<'PY'
import collections, statistics, sys
values = collections.defaultdict(list)
for line in open(sys.argv[1]):
    db, which, *fields = line.split()
    for field in fields:
        name, value = field.split("=")
        values[(db, name, which)].append(float(value))
for db, name in sorted({(d, n) for d, n, _ in values}):
    old, new = statistics.median(values[(db, name, "old")]), statistics.median(values[(db, name, "new")])
    print(f"{db:6} {name:22} {old:9.1f} -> {new:9.1f}  ({(new - old) / old * 100:+.0f} %)")
PY
