#!/usr/bin/env bash
# CPU time per request of each thread of a `switchyard serve` process under load (Linux only:
# reads /proc/<pid>/task/*/stat and status). Load: the independent Python client, 1 KiB
# length-prefixed requests, closed loop. Needs a built CLI (`pnpm build`).
#
#   packages/server-worker-pool/scripts/thread-cpu.sh [seconds] [connections] -- <serve options>
#   e.g. ... thread-cpu.sh 4 10 -- --strategy worker-pool:offload --handler burn
#   NODE=/path/to/node ... runs the server on another Node.
set -euo pipefail
seconds=${1:-4}
connections=${2:-10}
shift 2 || true
[ "${1:-}" = "--" ] && shift
root=$(cd "$(dirname "$0")/../../.." && pwd)
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

"${NODE:-node}" "$root/apps/switchyard/dist/cli.js" serve --codec length-prefixed --port 0 "$@" \
  >"$work/serve.out" 2>"$work/serve.err" &
server=$!
for _ in $(seq 100); do grep -q '^listening' "$work/serve.out" && break; sleep 0.1; done
port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$work/serve.out")
[ -n "$port" ] || { cat "$work/serve.err" >&2; exit 1; }

load() {
  python3 "$root/apps/switchyard/scripts/py-echo-load.py" "$port" --size 1024 \
    --connections "$connections" --framing length-prefixed "$@"
}
# Per thread: id:name, CPU ticks (utime + stime), voluntary and involuntary context switches.
snapshot() {
  for task in /proc/"$server"/task/*; do
    printf '%s:%s %s %s\n' "${task##*/}" "$(tr ' ' _ <"$task/comm")" \
      "$(awk '{print $14 + $15}' "$task/stat")" "$(awk '/^voluntary_ctxt/ {v = $2} /nonvoluntary_ctxt/ {n = $2} END {print v, n}' "$task/status")"
  done | sort
}

load --seconds 1 --warmup 0.5 >/dev/null # warm up the JIT and the pool's cost estimate
snapshot >"$work/before"
load --seconds "$seconds" --warmup 0 | tee "$work/load.out"
snapshot >"$work/after"
requests=$(awk '{print $1 * '"$seconds"'}' "$work/load.out")
tick_us=$((1000000 / $(getconf CLK_TCK)))

echo "thread                 CPU        us per request  per request: sleeps  preemptions"
join "$work/before" "$work/after" | awk -v n="$requests" -v s="$seconds" -v tick="$tick_us" '
  { us = ($5 - $2) * tick; sleeps = $6 - $3; preempted = $7 - $4; total += us
    if (us > 0) printf "%-22s %5.1f%%     %8.1f        %5.2f        %5.2f\n", $1, us / (s * 1e4), us / n, sleeps / n, preempted / n }
  END { printf "%-22s %5.1f%%     %8.1f\n", "all threads", total / (s * 1e4), total / n }'
