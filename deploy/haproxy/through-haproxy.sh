#!/usr/bin/env bash
# One `switchyard serve --proxy-protocol v2` on a free loopback port, and HAProxy with
# deploy/haproxy/switchyard.cfg in front of it on 127.0.0.1:PORT, until SIGTERM or SIGINT. Both
# of the configuration's server lines point at that one backend, so every connection takes the
# balancer's hop and nothing else changes: for `switchyard bench --external`, which measures the
# pair's CPU together (the process group it starts), beside the same strategy served directly.
#
#   deploy/haproxy/through-haproxy.sh PORT [serve options, e.g. --strategy selector --codec lines]
#
# SWITCHYARD (default: node apps/switchyard/dist/cli.js) is how to run the CLI.
set -euo pipefail
port=${1:?usage: through-haproxy.sh PORT [serve options]}
shift
root=$(cd "$(dirname "$0")/../.." && pwd)
read -r -a switchyard <<<"${SWITCHYARD:-node $root/apps/switchyard/dist/cli.js}"
dir=$(mktemp -d "${TMPDIR:-/tmp}/switchyard-through-haproxy-XXXXXX")
pids=()
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 0' TERM INT

"${switchyard[@]}" serve --host 127.0.0.1 --port 0 --proxy-protocol v2 "$@" >"$dir/serve.out" &
pids+=($!)
# `serve` prints `listening on HOST:PORT` once ready; wait for it (at most 20 s).
for _ in $(seq 400); do
  backend=$(sed -n 's/^listening on //p' "$dir/serve.out")
  [ -n "$backend" ] && break
  kill -0 "${pids[0]}" 2>/dev/null || { echo "through-haproxy: serve exited" >&2; exit 1; }
  sleep 0.05
done
[ -n "$backend" ] || { echo "through-haproxy: serve did not listen within 20 s" >&2; exit 1; }

SWITCHYARD_BIND=127.0.0.1:$port SWITCHYARD_BACKEND_1=$backend SWITCHYARD_BACKEND_2=$backend \
  SWITCHYARD_STATS_SOCKET=$dir/haproxy.sock \
  haproxy -db -f "$root/deploy/haproxy/switchyard.cfg" >/dev/null &
pids+=($!)
wait -n "${pids[@]}"
