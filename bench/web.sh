#!/usr/bin/env bash
# Server time of the web pages over the import benchmark's store: the dashboard
# over each window (with the credits gone dormant and the relationships one
# person carries), the largest party's page (org00000, our own organization:
# every gesture counts for it; with the credits of its top relationships), a
# person's page, a relationship (with its credits) and a person's part, the
# parties list sorted and filtered, and the search, each requested one at a
# time; then `balans credits` from the command line, and ending a membership
# (`balans-bench membership`). The store has the shape of
# `balans-bench import --shape` (few-pairs by default; many-pairs spreads the
# gestures over about as many pairs).
#
#   bash bench/web.sh [requests per page] [gestures in the store] [shape]
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-30}
gestures=${2:-1000000}
shape=${3:-few-pairs}

cargo build --release -q -p balans -p balans-bench
dir=target/bench-web
rm -rf "$dir"
mkdir -p "$dir"
target/release/balans-bench import --gestures "$gestures" --shape "$shape" --runs 1 --reads 10 --dir "$dir" >/dev/null
db="$dir/bench.db"
balans=target/release/balans
"$balans" --db "$db" config set us org00000 >/dev/null
echo "bench password" | "$balans" --db "$db" user add bench@balans.test --role admin >/dev/null
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
curl -s -o /dev/null -c "$dir/cookies" -H "Origin: $url" \
    --data-urlencode "email=bench@balans.test" --data-urlencode "password=bench password" "$url/login"

measure() { # name path
    local times=()
    for _ in $(seq "$requests"); do
        times+=("$(curl -s -o /dev/null -b "$dir/cookies" -w '%{http_code} %{time_total}' "$url$2")")
    done
    printf '%s\n' "${times[@]}" | python3 -c '
import sys
rows = [line.split() for line in sys.stdin]
bad = [r for r in rows if r[0] != "200"]
ms = sorted(float(r[1]) * 1000 for r in rows)
p = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]
print(f"{sys.argv[1]:<34} n={len(ms)} p50={p(0.5):.1f} ms p99={p(0.99):.1f} ms max={ms[-1]:.1f} ms" + (f" NON-200: {len(bad)}" if bad else ""))
' "$1 ($2)"
}
measure "dashboard (90 days)" "/"
measure "dashboard (12 months)" "/?window=12m"
measure "dashboard (all time)" "/?window=all"
measure "largest party page, with credits" "/parties/org00000"
measure "its credits, counted after the page" "/parties/org00000/credits"
measure "an account manager's page" "/parties/p000001"
measure "a relationship page" "/relations/org00000/org00001"
measure "a person's part" "/relations/p000001/org00001"
measure "parties by name" "/parties"
measure "parties by credit" "/parties?sort=credit"
measure "parties, one-sided, by money" "/parties?uneven=1&sort=money"
measure "search" "/search?q=p00001"
measure "search, rare text" "/search?q=zzzz"

# Credits that belong to people, from the command line: one relationship, a
# customer's, our own organization's (the largest) ten largest relationships
# (the default) and every one of them (every person pair behind them), each run
# a few times; the median of the wall time.
credits() { # name args...
    local name=$1
    shift
    local times=()
    for _ in 1 2 3 4 5; do
        local start end
        start=$(date +%s%N)
        "$balans" --db "$db" credits "$@" --json >/dev/null
        end=$(date +%s%N)
        times+=("$(((end - start) / 1000000))")
    done
    printf '%s\n' "${times[@]}" | sort -n | sed -n 3p | xargs printf "%-34s median of 5: %s ms\n" "$name"
}
credits "balans credits, one relationship" org00000 org00001
credits "balans credits, a customer" org00062
credits "balans credits, largest organization" org00000
credits "balans credits --all, largest" org00000 --all
credits "balans credits --totals, largest" org00000 --totals

# Ending the busiest member's membership, in the process, on copies of the store.
target/release/balans-bench membership --store "$db" --runs 3

# Promises: 100,000 on a copy of the store, 10,000 due; the sweep with nothing
# due, listing a party's open promises, the sweep that breaks those due.
target/release/balans-bench promises --store "$db" --runs 3
