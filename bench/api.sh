#!/usr/bin/env bash
# The API under load on loopback: balance reads of random pairs, single-gesture
# writes from 64 clients, and batch writes of 1,000 gestures, each for a fixed time
# with wrk (Debian's package). The store is the import benchmark's, with
# synchronous = FULL: a write is answered only once its commit is on disk.
#
#   bash bench/api.sh [seconds per run] [gestures in the store]
#   BALANS_BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432/test bash bench/api.sh
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
gestures=${2:-1000000}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

cargo build --release -q -p balans -p balans-bench
dir=target/bench-api
mkdir -p "$dir"
# The import benchmark's generator makes the store: 10,000 parties with memberships.
# With BALANS_BENCH_POSTGRES (a server URL whose user may create databases) the
# store is a new database balans_bench on that server instead of a SQLite file.
if [ -n "${BALANS_BENCH_POSTGRES:-}" ]; then
    target/release/balans-bench import --gestures "$gestures" --runs 1 --reads 1000 --dir "$dir" \
        --postgres "$BALANS_BENCH_POSTGRES" >/dev/null
    db="${BALANS_BENCH_POSTGRES%/*}/balans_bench"
else
    target/release/balans-bench import --gestures "$gestures" --runs 1 --reads 1000 --dir "$dir" >/dev/null
    db="$dir/bench.db"
fi
balans=target/release/balans
"$balans" --db "$db" user add bench@balans.test --role admin </dev/null >/dev/null 2>&1 || true
token=$("$balans" --db "$db" token create --user bench@balans.test --name bench 2>/dev/null)
"$balans" --db "$db" serve --addr 127.0.0.1:0 >"$dir/serve.out" 2>/dev/null &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
url=""
for _ in $(seq 100); do
    url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$dir/serve.out" | head -n 1 || true)
    [ -n "$url" ] && break
    sleep 0.1
done
[ -n "$url" ] || { echo "the server did not start" >&2; exit 1; }

# Pairs that exist: each contact deals with one of three account managers (see
# crates/balans-bench). 10,000 parties: 500 organizations, 100 employees.
cat >"$dir/read.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
request = function()
  local contact = 100 + math.random(0, 9399)
  local manager = (contact * 7 + math.random(0, 2)) % 100
  return wrk.format("GET", string.format("/api/v1/balances/p%06d/p%06d", manager, contact))
end
LUA
cat >"$dir/write.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
wrk.headers["Content-Type"] = "application/json"
-- Every request is a new gesture: its id holds the run's start, the thread (setup
-- runs in the main script; thread:set makes a global of each thread's own) and a
-- count.
local counter = 0
local threads = 0
local run = os.time()
setup = function(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end
request = function()
  counter = counter + 1
  local contact = 100 + math.random(0, 9399)
  local manager = (contact * 7 + math.random(0, 2)) % 100
  local body = string.format('{"id":"w%d-%d-%d","at":"2026-11-01","giver":"p%06d","receiver":"p%06d","kind":"thanks"}', run, thread_id, counter, manager, contact)
  return wrk.format("POST", "/api/v1/gestures", nil, body)
end
LUA
python3 - "$dir/batch.json" <<'PY'
import json, random, sys
random.seed(3)
gestures = []
for _ in range(1000):
    contact = 100 + random.randint(0, 9399)
    manager = (contact * 7 + random.randint(0, 2)) % 100
    gestures.append({"at": "2026-11-02", "giver": f"p{manager:06d}", "receiver": f"p{contact:06d}", "kind": "attention"})
json.dump({"gestures": gestures}, open(sys.argv[1], "w"))
PY
cat >"$dir/batch.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
wrk.headers["Content-Type"] = "application/json"
local file = io.open("$dir/batch.json", "r")
local body = file:read("*a")
file:close()
-- The gestures carry no ids: each request adds 1,000 new ones.
request = function() return wrk.format("POST", "/api/v1/gestures/batch", nil, body) end
LUA

run() { # name connections threads script
    echo "== $1: $2 connections, ${seconds}s"
    wrk --latency -t "$3" -c "$2" -d "${seconds}s" -s "$dir/$4" "$url" | grep -E 'Requests/sec|Latency|50%|99%|Non-2xx|Socket errors'
}
run "balance reads of random pairs" 32 2 read.lua
run "balance reads of random pairs" 64 2 read.lua
run "single-gesture writes" 64 2 write.lua
run "batch writes of 1,000 gestures (multiply requests/s by 1,000)" 8 2 batch.lua
run "batch writes of 1,000 gestures (multiply requests/s by 1,000)" 16 2 batch.lua
"$balans" --db "$db" check
