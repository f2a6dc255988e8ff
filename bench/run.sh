#!/usr/bin/env bash
# ModelCatalog benchmarks: builds the release binaries, runs every measurement on loopback against
# a PostgreSQL of its own (in a temporary directory, on a Unix socket), and writes BENCHMARKS.md.
#
#   bash bench/run.sh                 # the full run (about 15 minutes on 2 cores, plus a cold build)
#   BENCH_DURATION=3 BENCH_RUNS=1 bash bench/run.sh   # a quick smoke run (figures not meaningful)
#
# Traffic goes only to 127.0.0.1; every load is bounded in time. Ports used: 18101-18402.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SCRIPT_STARTED=$EPOCHREALTIME

DURATION=${BENCH_DURATION:-10}          # seconds of each counted wrk run
RUNS=${BENCH_RUNS:-3}                   # counted wrk runs per figure (the median is reported)
CONNECTIONS=32
MASTER_KEY=sk-bench
TENANT_KEY=sk-bench-tenant-t0001        # a tenant_member key of tenant t0001, seeded with SQL
OUTPUT=${BENCH_OUTPUT:-$ROOT/BENCHMARKS.md}
export LITELLM_MASTER_KEY=$MASTER_KEY
unset DATABASE_URL CATALOG_SECRET_KEY LITELLM_SALT_KEY || true

log() { printf '\n=== %s  [%s]\n' "$*" "$(date +%H:%M:%S)"; }

# --- prerequisites ---------------------------------------------------------------------------
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
pkg-config --exists libpq 2>/dev/null || missing+=(libpq-dev)
[ -f /usr/include/zlib.h ] || missing+=(zlib1g-dev)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi
PG_BIN=$(pg_config --bindir 2>/dev/null || true)
[ -x "$PG_BIN/initdb" ] || PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

for port in 18101 18201 18301 18302 18401; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "port $port is already in use on 127.0.0.1: stop what listens there first" >&2
        exit 1
    fi
done

# --- build (release, in its own scratch path) ------------------------------------------------
log "release build (swift build -c release --scratch-path .build-release)"
BUILD_STARTED=$EPOCHREALTIME
swift build -c release --scratch-path .build-release --product model-catalog
swift build -c release --scratch-path .build-release --product catalog-bench-ceiling
BIN_DIR=$(swift build -c release --scratch-path .build-release --show-bin-path)
CATALOG=$BIN_DIR/model-catalog
CEILING=$BIN_DIR/catalog-bench-ceiling
BUILD_SECONDS=$(python3 -c "print(round($EPOCHREALTIME - $BUILD_STARTED, 1))")

# --- work directory, results, cleanup --------------------------------------------------------
WORK=$(mktemp -d /tmp/catalog-bench.XXXXXX)
chmod 755 "$WORK"
mkdir -p "$WORK/logs"
RESULTS=$WORK/results.jsonl
COMMANDS=$WORK/commands.txt
: >"$RESULTS"
: >"$COMMANDS"
PIDS=()
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
PG_STARTED=0
FINISHED=0

as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

alive() { [ -e "/proc/$1" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

stop_pid() {
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do alive "$pid" || break; sleep 0.1; done
    alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    local kept=()
    for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || kept+=("$p"); done
    PIDS=("${kept[@]}")
}

cleanup() {
    local status=$?
    for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
    if ((PG_STARTED)); then as_postgres "$PG_BIN/pg_ctl" stop -D "$WORK/pg/data" -m fast -s >/dev/null 2>&1 || true; fi
    if ((FINISHED)); then
        rm -rf "$WORK"
    else
        echo "benchmark did not finish (status $status): logs and partial results kept in $WORK" >&2
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

record() { python3 bench/bench.py record --results "$RESULTS" --record "$1"; }
# logged COMMAND...: notes a command for BENCHMARKS.md (shell-quoted, paths relative to the repository,
# the temporary directory as $TMP).
logged() {
    python3 -c 'import shlex, sys; print(shlex.join(sys.argv[1:]))' "$@" \
        | sed -e "s#$ROOT/##g" -e "s#$WORK#\$TMP#g" >>"$COMMANDS"
}
logged_text() { echo "$1" | sed -e "s#$ROOT/##g" -e "s#$WORK#\$TMP#g" >>"$COMMANDS"; }
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
# A phase's duration, and the share of the machine's CPU that went to other work meanwhile (the
# machine is shared): busy CPU time from /proc/stat minus ours (this script's process tree and our
# PostgreSQL's).
PG_PID=0
phase_started() {
    PHASE_STARTED=$EPOCHREALTIME
    PHASE_CPU=$(python3 bench/bench.py cpu-snapshot --script-pid $$ --postmaster-pid "$PG_PID")
}
phase_done() {
    local cpu
    cpu=$(python3 bench/bench.py cpu-phase --start "$PHASE_CPU" --script-pid $$ --postmaster-pid "$PG_PID")
    record "$(python3 -c "import json, sys; r = json.loads(sys.argv[1]); r.update(kind='phase', name=sys.argv[2], seconds=round(float(sys.argv[3]), 1), loadavg=sys.argv[4]); print(json.dumps(r))" \
        "$cpu" "$1" "$(python3 -c "print($EPOCHREALTIME - $PHASE_STARTED)")" "$(cut -d' ' -f1-3 /proc/loadavg)")"
    echo "phase $1: CPU shares $cpu"
}

# --- PostgreSQL of our own -------------------------------------------------------------------
log "PostgreSQL ($PG_BIN) in $WORK/pg"
mkdir -p "$WORK/pg"
[ "$(id -u)" = 0 ] && chown postgres: "$WORK/pg"
logged_text "runuser -u postgres -- $PG_BIN/initdb -D $WORK/pg/data -U postgres -A trust -E UTF8 --locale=C  # runuser only as root"
as_postgres "$PG_BIN/initdb" -D "$WORK/pg/data" -U postgres -A trust -E UTF8 --locale=C >"$WORK/logs/initdb.log"
SOCKET=$WORK/pg
cat >>"$WORK/pg/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$SOCKET'
max_connections = 200
EOF
logged_text "# postgresql.conf += listen_addresses = '', unix_socket_directories = '$SOCKET', max_connections = 200"
logged_text "runuser -u postgres -- $PG_BIN/pg_ctl start -D $WORK/pg/data -l $WORK/pg/server.log -w -t 60 -s"
as_postgres "$PG_BIN/pg_ctl" start -D "$WORK/pg/data" -l "$WORK/pg/server.log" -w -t 60 -s
PG_STARTED=1
PG_PID=$(head -1 "$WORK/pg/data/postmaster.pid")
PG_VERSION=$(psql -h "$SOCKET" -U postgres -d postgres -Atc 'SHOW server_version')

conninfo() { echo "host=$SOCKET dbname=$1 user=postgres"; }

# make_db NAME DEPLOYMENTS TENANTS SHARED: a migrated database seeded with plain SQL (the triggers log
# every row to the change log, as for any write). The cost map is loaded by the first `serve`.
make_db() {
    local name=$1 started=$EPOCHREALTIME
    logged psql -h "$SOCKET" -U postgres -d postgres -qc "CREATE DATABASE $name"
    logged "$CATALOG" migrate --database-url "$(conninfo "$name")"
    logged_text "python3 bench/bench.py seed-sql --deployments $2 --tenants $3 --shared $4 --tenant-key $TENANT_KEY | psql -h $SOCKET -U postgres -d $name -q"
    psql -h "$SOCKET" -U postgres -d postgres -qc "CREATE DATABASE $name" >/dev/null
    "$CATALOG" migrate --database-url "$(conninfo "$name")" >>"$WORK/logs/migrate.log" 2>&1
    python3 bench/bench.py seed-sql --deployments "$2" --tenants "$3" --shared "$4" --tenant-key "$TENANT_KEY" \
        | psql -h "$SOCKET" -U postgres -d "$name" -q >/dev/null
    local seconds
    seconds=$(python3 -c "print(round($EPOCHREALTIME - $started, 2))")
    echo "database $name: $2 deployments ($4 shared, the rest across $3 tenants) seeded in ${seconds}s"
    record "{\"kind\":\"seed\",\"db\":\"$name\",\"deployments\":$2,\"tenants\":$3,\"shared\":$4,\"seconds\":$seconds}"
}

# serve_start NAME PORT DB [flags...]: starts a replica; sets SERVE_PID and READY_MS (from just
# before the fork to the first 200 of GET /health/readiness).
serve_start() {
    local name=$1 port=$2 db=$3
    shift 3
    local command=(env ${SERVE_ENV:-} "$CATALOG" serve --host 127.0.0.1 --port "$port" --database-url "$(conninfo "$db")" "$@")
    logged LITELLM_MASTER_KEY=$MASTER_KEY "${command[@]:1}"
    local since=$EPOCHREALTIME
    "${command[@]}" >>"$WORK/logs/$name.log" 2>&1 &
    SERVE_PID=$!
    PIDS+=("$SERVE_PID")
    local out
    if ! out=$(python3 bench/bench.py wait-ready --port "$port" --since "$since" --timeout 300 --pid "$SERVE_PID"); then
        echo "$name did not become ready: $out" >&2
        tail -20 "$WORK/logs/$name.log" >&2
        exit 1
    fi
    READY_MS=$(echo "$out" | json_field '["ready_ms"]')
    READY_CPU_MS=$(echo "$out" | json_field '["cpu_ms"]')
}

# ceiling_start PORT BYTES: the static-body server of the same size; sets CEILING_PID.
ceiling_start() {
    local port=$1 bytes=$2 i
    logged "$CEILING" --port "$port" --bytes "$bytes"
    "$CEILING" --port "$port" --bytes "$bytes" >>"$WORK/logs/ceiling.log" 2>&1 &
    CEILING_PID=$!
    PIDS+=("$CEILING_PID")
    for ((i = 0; i < 500; i++)); do
        curl -sf -o /dev/null "http://127.0.0.1:$port/static" && return 0
        sleep 0.02
    done
    echo "catalog-bench-ceiling did not start" >&2
    exit 1
}

# rss_record PID JSON-FIELDS: VmRSS/VmHWM of a process, recorded with the given fields.
rss_record() {
    local fields
    fields=$(python3 bench/bench.py rss --pid "$1")
    record "$(python3 -c "import json,sys; r=json.loads(sys.argv[1]); r.update(json.loads(sys.argv[2])); r['kind']='rss'; print(json.dumps(r))" "$fields" "$2")"
    echo "RSS $2: $fields"
}

# wrk_args SECONDS KEY URL [CONNECTIONS]: sets WRK to the wrk command line (the ceiling gets the same
# header, so both servers parse the same request).
wrk_args() { WRK=(wrk -t2 -c"${4:-$CONNECTIONS}" -d"$1"s --latency -H "Authorization: Bearer $2" "$3"); }

# perf, when it works here, profiles three moments (the report names the frames that cost most).
PERF=0
if command -v perf >/dev/null 2>&1 && perf record -q -o "$WORK/perf-check.data" -- true >/dev/null 2>&1; then PERF=1; fi

# profile_frames NAME DATA FRAMES...: records the inclusive CPU share of named frames.
profile_frames() {
    local name=$1 data=$2
    shift 2
    local frames=()
    for frame in "$@"; do frames+=(--frame "$frame"); done
    python3 bench/bench.py profile --data "$data" --results "$RESULTS" --record "{\"name\":\"$name\"}" "${frames[@]}" || true
}

# Readiness timings of a database: the first start (which loads the cost map into the new database)
# and three restarts; the last replica stays up (SERVE_PID), with its RSS recorded before any read.
startup_timings() {
    local label=$1 port=$2 db=$3 n=$4 hook=${5:-} r
    serve_start "$label" "$port" "$db"
    record "{\"kind\":\"startup\",\"label\":\"$label\",\"first\":true,\"ready_ms\":$READY_MS,\"cpu_ms\":$READY_CPU_MS}"
    echo "$label first start (loads the bundled cost map): ready in ${READY_MS} ms"
    for r in 1 2 3; do
        stop_pid "$SERVE_PID"
        if ((r == 1)) && [ -n "$hook" ]; then "$hook"; fi
        serve_start "$label" "$port" "$db"
        record "{\"kind\":\"startup\",\"label\":\"$label\",\"first\":false,\"run\":$r,\"ready_ms\":$READY_MS,\"cpu_ms\":$READY_CPU_MS}"
        echo "$label restart $r: ready in ${READY_MS} ms (${READY_CPU_MS} ms of CPU)"
    done
    rss_record "$SERVE_PID" "{\"n\":$n,\"when\":\"ready, before any read\"}"
}

# side_by_side LABEL-JSON PORT PATH KEY [CONNECTIONS]: catalog and ceiling alternately, RUNS times each.
side_by_side() {
    local fields=$1 port=$2 path=$3 key=$4 connections=${5:-$CONNECTIONS} bytes r
    bytes=$(python3 bench/bench.py size --port "$port" --path "$path" --key "$key")
    fields="$fields,\"connections\":$connections"
    record "{\"kind\":\"size\",$fields,\"bytes\":$bytes}"
    ceiling_start 18201 "$bytes"
    # Warm-up (not counted): connections, caches, the allocator.
    wrk_args 2 "$key" "http://127.0.0.1:$port$path" "$connections"; "${WRK[@]}" >/dev/null
    wrk_args 2 "$key" "http://127.0.0.1:18201/static" "$connections"; "${WRK[@]}" >/dev/null
    for ((r = 1; r <= RUNS; r++)); do
        wrk_args "$DURATION" "$key" "http://127.0.0.1:$port$path" "$connections"
        python3 bench/bench.py wrk --results "$RESULTS" \
            --record "{\"target\":\"catalog\",\"run\":$r,\"bytes\":$bytes,$fields}" -- "${WRK[@]}"
        wrk_args "$DURATION" "$key" "http://127.0.0.1:18201/static" "$connections"
        python3 bench/bench.py wrk --results "$RESULTS" \
            --record "{\"target\":\"ceiling\",\"run\":$r,\"bytes\":$bytes,$fields}" -- "${WRK[@]}"
    done
    stop_pid "$CEILING_PID"
}

warm_reads() {
    local port=$1 key path i
    for i in 1 2 3; do
        for key in "$MASTER_KEY" "$TENANT_KEY"; do
            for path in /model/info /v1/models; do
                curl -sf -o /dev/null -H "Authorization: Bearer $key" "http://127.0.0.1:$port$path"
            done
        done
    done
}

# --- 1 and 4a: reads at 50 and 500 deployments, against the ceiling; RSS and readiness at 500 -----
for N in 50 500; do
    SHARED=$((N / 2)); TENANTS=5; PER_TENANT=$(((N - SHARED) / TENANTS))
    log "reads with $N deployments ($SHARED shared + $TENANTS tenants x $PER_TENANT)"
    phase_started
    make_db "catalog_$N" "$N" "$TENANTS" "$SHARED"
    startup_timings "reads-$N" 18101 "catalog_$N" "$N"
    python3 bench/bench.py check-count --port 18101 --path /model/info --key "$MASTER_KEY" --expect "$N"
    python3 bench/bench.py check-count --port 18101 --path /model/info --key "$TENANT_KEY" --expect $((SHARED + PER_TENANT))
    warm_reads 18101
    rss_record "$SERVE_PID" "{\"n\":$N,\"when\":\"after warm-up reads\"}"
    for path in /model/info /v1/models; do
        for who in admin tenant; do
            key=$MASTER_KEY; [ "$who" = tenant ] && key=$TENANT_KEY
            side_by_side "\"section\":\"reads\",\"n\":$N,\"path\":\"$path\",\"who\":\"$who\"" 18101 "$path" "$key"
        done
    done
    rss_record "$SERVE_PID" "{\"n\":$N,\"when\":\"after the read loads\"}"
    if ((PERF)) && [ "$N" = 500 ]; then
        # Where a small cached read spends the replica's CPU (not counted in the figures above).
        logged perf record -q -g -F 999 -p SERVE_PID -o PERF_DATA -- sleep 6
        perf record -q -g -F 999 -p "$SERVE_PID" -o "$WORK/perf-read.data" -- sleep 6 >/dev/null 2>&1 &
        perf_pid=$!
        sleep 0.5
        wrk_args 5 "$TENANT_KEY" "http://127.0.0.1:18101/v1/models"; "${WRK[@]}" >/dev/null
        wait "$perf_pid" || true
        profile_frames "cached small read (GET /v1/models, tenant, 500 deployments)" "$WORK/perf-read.data" \
            "auth middleware (all)=14AuthMiddlewareV6handle" \
            "AuthMiddleware.presentedKey=14AuthMiddlewareV12presentedKey" \
            "Foundation trimmingCharacters(in:)=18trimmingCharacters2in" \
            "Authenticator.authenticate (SHA-256, lookup)=13AuthenticatorV12authenticate" \
            "RequestLogMiddleware (all)=20RequestLogMiddlewareV6handle" \
            "swift-log StreamLogHandler.log=16StreamLogHandlerV3log" \
            "ResponseCache.response=13ResponseCacheC8response" \
            "ResponseCache.key=13ResponseCacheC3key" \
            "socket writev (response bytes)=__GI___writev" \
            "HTTP/1 parsing (llhttp)=c_nio_llhttp__internal_execute"
    fi
    if [ "$N" = 500 ] && command -v gdb >/dev/null 2>&1; then
        # How much of that memory is freed heap that glibc keeps: ask it to give it back.
        logged gdb -p SERVE_PID -batch -ex 'call (int)malloc_trim(0)'
        if gdb -p "$SERVE_PID" -batch -ex 'call (int)malloc_trim(0)' >/dev/null 2>&1; then
            rss_record "$SERVE_PID" '{"n":500,"when":"after the read loads, then malloc_trim(0)"}'
        fi
    fi
    stop_pid "$SERVE_PID"
    if [ "$N" = 500 ]; then
        # The same replica with one malloc arena (a setting, no code change): warm-up as above.
        SERVE_ENV=MALLOC_ARENA_MAX=1 serve_start "reads-$N-arena1" 18101 "catalog_$N"
        rss_record "$SERVE_PID" '{"n":500,"when":"ready, MALLOC_ARENA_MAX=1"}'
        warm_reads 18101
        rss_record "$SERVE_PID" '{"n":500,"when":"after warm-up reads, MALLOC_ARENA_MAX=1"}'
        stop_pid "$SERVE_PID"
    fi
    phase_done "reads-$N"
done

# --- the fixed part of the memory: an empty catalog, with the full cost map and with one entry -----
log "memory baseline: an empty catalog"
phase_started
make_db catalog_empty 0 1 0
serve_start baseline 18101 catalog_empty    # the first start loads the cost map: not the one measured
stop_pid "$SERVE_PID"
serve_start baseline 18101 catalog_empty
rss_record "$SERVE_PID" '{"n":0,"when":"ready, empty catalog, full cost map"}'
stop_pid "$SERVE_PID"
logged psql -h "$SOCKET" -U postgres -d catalog_empty -qc "DELETE FROM cost_map WHERE key <> 'gpt-4o'"
psql -h "$SOCKET" -U postgres -d catalog_empty -qc "DELETE FROM cost_map WHERE key <> 'gpt-4o'"
serve_start baseline 18101 catalog_empty
rss_record "$SERVE_PID" '{"n":0,"when":"ready, empty catalog, one cost-map entry"}'
stop_pid "$SERVE_PID"
phase_done "baseline"

# --- 2 and 3: propagation between two replicas, and write latency --------------------------------
log "propagation A -> B and POST /model/new latency (500 deployments to start with)"
phase_started
make_db catalog_writes 500 5 250
serve_start replica-a 18301 catalog_writes
PID_A=$SERVE_PID
serve_start replica-b 18302 catalog_writes
PID_B=$SERVE_PID
logged python3 bench/bench.py propagation --results RESULTS --a 18301 --b 18302 --key "$MASTER_KEY" --writes 500 --rounds 3
python3 bench/bench.py propagation --results "$RESULTS" --a 18301 --b 18302 --key "$MASTER_KEY" --writes 500 --rounds 3
for concurrency in 1 16; do
    logged python3 bench/bench.py writes --results RESULTS --port 18301 --key "$MASTER_KEY" --requests 500 --concurrency "$concurrency" --rounds 3
    python3 bench/bench.py writes --results "$RESULTS" --port 18301 --key "$MASTER_KEY" --requests 500 \
        --concurrency "$concurrency" --rounds 3
done
rss_record "$PID_A" '{"n":"writes","when":"replica A after 4,500 writes"}'
stop_pid "$PID_B"
stop_pid "$PID_A"
phase_done "writes"

# --- 4b: 100,000 deployments across 1,000 tenants --------------------------------------------------
log "100,000 deployments across 1,000 tenants"
phase_started
make_db catalog_100k 100000 1000 0
# One extra restart under perf (not counted): where the time to readiness goes.
profiled_restart() {
    ((PERF)) || return 0
    local since perf_pid i
    logged perf record -q -g -F 499 -o PERF_DATA -- "$CATALOG" serve --host 127.0.0.1 --port 18401 --database-url "$(conninfo catalog_100k)"
    since=$EPOCHREALTIME
    perf record -q -g -F 499 -o "$WORK/perf-start.data" -- \
        "$CATALOG" serve --host 127.0.0.1 --port 18401 --database-url "$(conninfo catalog_100k)" >>"$WORK/logs/scale-100k.log" 2>&1 &
    perf_pid=$!
    PIDS+=("$perf_pid")
    python3 bench/bench.py wait-ready --port 18401 --since "$since" --timeout 300 >/dev/null
    kill -INT "$perf_pid"          # perf stops recording and ends the server with SIGTERM
    wait "$perf_pid" || true
    stop_pid "$perf_pid"
    for ((i = 0; i < 100; i++)); do curl -s -o /dev/null "http://127.0.0.1:18401/health/liveliness" || break; sleep 0.1; done
    profile_frames "restart to readiness, 100,000 deployments" "$WORK/perf-start.data" \
        "ChangeFeed.snapshot (the whole load)=10ChangeFeedV8snapshot" \
        "ModelRepository.deployment (row to Deployment, on every core)=15ModelRepositoryV10deployment" \
        "JSONColumns.object (jsonb bytes to JSONValue)=11JSONColumnsO6object" \
        "JSONParser.parse=10JSONParserO5parse" \
        "PostgresRow.decode=8Postgres0A3RowV6decode" \
        "PostgresConnection.query (libpq, copying cells)=8Postgres0A10ConnectionC5query" \
        "CatalogSnapshot.init=0A8SnapshotV3seq11deployments7costMap12keysByDigest" \
        "cost map load=10ChangeFeedV7costMap"
}
# The database's share of a load: the snapshot's model query, fetched by psql (best of 3).
logged_text "psql -h $SOCKET -U postgres -d catalog_100k -Atc 'SELECT id, tenant_id, model_name, litellm_params, model_info, version, source, created_at, updated_at, created_by, updated_by FROM models ORDER BY ordinal' >/dev/null"
best=
for i in 1 2 3; do
    started=$EPOCHREALTIME
    psql -h "$SOCKET" -U postgres -d catalog_100k -Atc "SELECT id, tenant_id, model_name, litellm_params, model_info, version,
        source, created_at, updated_at, created_by, updated_by FROM models ORDER BY ordinal" >/dev/null
    took=$(python3 -c "print(round(($EPOCHREALTIME - $started) * 1000))")
    if [ -z "$best" ] || ((took < best)); then best=$took; fi
done
record "{\"kind\":\"query\",\"n\":100000,\"what\":\"the snapshot's model query through psql\",\"ms\":$best}"
echo "the snapshot's model query through psql: ${best} ms"
startup_timings "scale-100k" 18401 catalog_100k 100000 profiled_restart
for path in "/model/info" "/v1/models"; do
    cold=$(curl -sf -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $TENANT_KEY" "http://127.0.0.1:18401$path")
    record "{\"kind\":\"cold\",\"n\":100000,\"path\":\"$path\",\"who\":\"tenant\",\"ms\":$(python3 -c "print(round($cold*1000,2))")}"
    echo "first (uncached) tenant GET $path at 100k: ${cold}s"
done
cold=$(curl -sf -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $MASTER_KEY" "http://127.0.0.1:18401/v2/model/info?page=1&size=50")
record "{\"kind\":\"cold\",\"n\":100000,\"path\":\"/v2/model/info?page=1&size=50\",\"who\":\"admin\",\"ms\":$(python3 -c "print(round($cold*1000,2))")}"
python3 bench/bench.py check-count --port 18401 --path /model/info --key "$TENANT_KEY" --expect 100
for i in 1 2 3; do
    curl -sf -o /dev/null -H "Authorization: Bearer $TENANT_KEY" "http://127.0.0.1:18401/model/info"
    curl -sf -o /dev/null -H "Authorization: Bearer $TENANT_KEY" "http://127.0.0.1:18401/v1/models"
done
rss_record "$SERVE_PID" '{"n":100000,"when":"after warm-up reads"}'
for connections in 32 8 4; do
    side_by_side "\"section\":\"scale\",\"n\":100000,\"path\":\"/model/info\",\"who\":\"tenant\"" 18401 /model/info \
        "$TENANT_KEY" "$connections"
done
rss_record "$SERVE_PID" '{"n":100000,"when":"after the read loads"}'
# What one write costs at this size (each publishes a new snapshot and empties the response cache),
# and the first tenant read after it.
if ((PERF)); then
    logged perf record -q -g -F 499 -p SERVE_PID -o PERF_DATA
    perf record -q -g -F 499 -p "$SERVE_PID" -o "$WORK/perf-write.data" >/dev/null 2>&1 &
    perf_pid=$!
    sleep 0.5
fi
logged python3 bench/bench.py writes --results RESULTS --port 18401 --key "$MASTER_KEY" --requests 50 --concurrency 1 --rounds 1
python3 bench/bench.py writes --results "$RESULTS" --port 18401 --key "$MASTER_KEY" --requests 50 --concurrency 1 --rounds 1 \
    --extra '{"n":100000}'
if ((PERF)); then
    kill -INT "$perf_pid"
    wait "$perf_pid" || true
    profile_frames "POST /model/new at 100,000 deployments (replica's CPU)" "$WORK/perf-write.data" \
        "SnapshotSync.catchUpPage (apply a change)=12SnapshotSyncC11catchUpPage" \
        "CatalogSnapshot.init (copy deployments; the id index only after a delete)=0A8SnapshotV3seq11deployments7costMap12keysByDigest" \
        "CatalogSnapshot.replacing=0A8SnapshotV9replacing3ids" \
        "CatalogSnapshot.with(seq:costMap:keysByDigest:)=0A8SnapshotV4with3seq" \
        "Deployment copy (retains)=7Catalog10DeploymentVwcp" \
        "ModelRepository.insert=15ModelRepositoryV6insert" \
        "DeploymentView.json=14DeploymentViewO4json"
fi
cold=$(curl -sf -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $TENANT_KEY" "http://127.0.0.1:18401/model/info")
record "{\"kind\":\"cold\",\"n\":100000,\"path\":\"/model/info (first read after a write)\",\"who\":\"tenant\",\"ms\":$(python3 -c "print(round($cold*1000,2))")}"
stop_pid "$SERVE_PID"
phase_done "scale-100k"

# --- the report ------------------------------------------------------------------------------
log "writing $OUTPUT"
TOTAL_SECONDS=$(python3 -c "print(round($EPOCHREALTIME - $SCRIPT_STARTED))")
COMMIT=$(git rev-parse HEAD 2>/dev/null || echo unknown)
DIRTY=$(git status --porcelain --untracked-files=no 2>/dev/null | wc -l)
META_NPROC=$(nproc) META_MEMORY=$(free -h | awk '/^Mem:/{print $2}') \
META_CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//') \
META_KERNEL=$(uname -srm) META_OS=$(. /etc/os-release 2>/dev/null; echo "${PRETTY_NAME:-unknown}") \
META_DATE=$(date -u '+%Y-%m-%d %H:%M UTC') META_COMMIT=$COMMIT META_DIRTY=$DIRTY \
META_SWIFT=$(swift --version 2>&1 | grep -m1 -i 'swift version') META_POSTGRES=$PG_VERSION \
META_WRK=$(wrk -v 2>&1 | head -1) META_PYTHON=$(python3 --version 2>&1) \
META_LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg) META_LOADAVG_START=$LOAD_AT_START META_BINARY_BYTES=$(stat -c %s "$CATALOG") \
python3 - "$RESULTS" "$DURATION" "$RUNS" "$CONNECTIONS" "$BUILD_SECONDS" "$TOTAL_SECONDS" <<'EOF'
import json, os, sys
meta = {name[5:].lower(): value for name, value in os.environ.items() if name.startswith("META_")}
meta.update(kind="meta", duration=int(sys.argv[2]), runs=int(sys.argv[3]), connections=int(sys.argv[4]),
            build_seconds=float(sys.argv[5]), total_seconds=float(sys.argv[6]))
open(sys.argv[1], "a").write(json.dumps(meta) + "\n")
EOF
python3 bench/report.py --results "$RESULTS" --commands "$COMMANDS" --output "$OUTPUT"
cp "$RESULTS" "$ROOT/.build-release/bench-results.jsonl" 2>/dev/null || true
FINISHED=1
echo "done in ${TOTAL_SECONDS}s: $OUTPUT (raw results: .build-release/bench-results.jsonl)"
