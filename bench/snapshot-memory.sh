#!/usr/bin/env bash
# What one replica's snapshot costs in resident memory per byte of litellm_params it holds (issue
# 11, item 13: "a 1 MB body of small objects costs about 23 MB on every replica").
#
#   bash bench/snapshot-memory.sh [BINARY] [MODELS]
#
# Starts BINARY (default .build/release/model-catalog, else .build/debug/model-catalog) on a fresh
# embedded PostgreSQL, posts MODELS deployments whose litellm_params hold ~30 KB of small objects
# (under the 32 KiB per-model limit), then the same number holding ~30 KB in one string, and
# prints the growth of VmRSS against the JSON bytes posted: over the whole run, and over its second
# half (what each further model holds, once the allocator's fixed overhead is paid). Traffic goes
# to 127.0.0.1 only; the
# server and its PostgreSQL stop at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-}
if [ -z "$binary" ]; then
  binary=.build/release/model-catalog
  [ -x "$binary" ] || binary=.build/debug/model-catalog
fi
models=${2:-100}
port=47391
dir=$(mktemp -d /tmp/mc-memory.XXXXXX)
chmod 755 "$dir"
LITELLM_MASTER_KEY=sk-memory "$binary" serve --data-dir "$dir" --port "$port" --host 127.0.0.1 >"$dir/serve.log" 2>&1 &
server=$!
trap 'kill -INT $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 300); do
  curl -sf "127.0.0.1:$port/health/readiness" >/dev/null 2>&1 && break
  sleep 0.2
done
rss() { awk '/VmRSS/ {print $2 * 1024}' "/proc/$server/status"; }

python3 - "$port" "$models" "$server" <<'PY'
import json, sys, urllib.request
port, models, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
def post(body):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/model/new", data=body, method="POST",
                                     headers={"Authorization": "Bearer sk-memory", "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        response.read()
def run(label, params):
    # Two halves: the first also pays for what the allocator keeps after requests (arenas, the
    # body's transient tree), the second shows what each held model costs once that is paid.
    start, sent, halves = rss(), 0, []
    for half in range(2):
        before, half_sent = rss(), 0
        for index in range(half * models // 2, (half + 1) * models // 2):
            body = json.dumps({"model_name": f"{label}-{index}",
                               "litellm_params": dict(params, model="openai/gpt-4o"),
                               "model_info": {"id": f"{label}-{index}"}}).encode()
            half_sent += len(body)
            post(body)
        halves.append((rss() - before, half_sent))
        sent += half_sent
    grown = rss() - start
    second, second_sent = halves[1]
    print(f"{label:14} {models} models, {sent / 1e6:6.2f} MB of JSON posted, RSS +{grown / 1e6:7.2f} MB, "
          f"{grown / sent:5.1f} bytes of memory per byte posted; second half {second / second_sent:5.1f}")
# ~30 KB of small objects: [{"k":1}, ...]
run("small-objects", {"extra": [{"k": i % 10} for i in range(3_000)]})
run("one-string", {"extra": "x" * 30_000})
PY
