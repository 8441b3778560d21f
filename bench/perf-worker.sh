#!/usr/bin/env bash
# Where workerd's CPU goes, by kind of code, for this Worker and the
# complete plain-JS Worker under the same load (issue 23): `perf record`
# of the whole workerd process (every thread) while oha sends 100 PUT/s
# to random users of 1,000, as scripts/measure-worker does, each Worker
# in its own workerd under Miniflare (bench/serve-miniflare.mjs, state on
# tmpfs), one after the other.
#   bench/perf-worker.sh [identify|refused] [WARM]
# WARM (60s) is how long each Worker is loaded first at WARM_RATE (150/s)
# so most of its functions are compiled by V8's optimising tier; then
# perf samples 10 s (3,000 Hz) of the load. Prints, per Worker, the
# samples of each part in ms of CPU per request: JIT code (the Worker's
# JS and wasm, and Miniflare's own JS services), workerd's C++ (V8's
# runtime and builtins, SQLite, HTTP), the kernel, libc. Needs `perf`
# (linux-tools) and a kernel that lets this user profile its processes.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
kind=${1:-identify}
warm=${2:-60s}
case "$kind" in
  identify | refused) ;;
  *) echo "usage: bench/perf-worker.sh [identify|refused] [WARM]" >&2; exit 2 ;;
esac
# The body scripts/measure-worker sends for this kind.
body=$(node -p "require('./bench/load-bodies.json').$kind.body")
command -v perf >/dev/null || { echo "perf is not installed" >&2; exit 2; }
command -v oha >/dev/null || cargo install oha --locked
./scripts/build-worker >/dev/null 2>&1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
rate=100
seconds=10
hz=3000

load() { # load RATE DURATION URL
  oha --no-tui --rand-regex-url -m PUT -H 'Authorization: Bearer sk_test_local' -T application/json \
    -d "$body" -q "$1" -z "$2" "$3/v1/users/load-user-[0-9]{3}" >/dev/null
}

for which in worker reference; do
  state="/dev/shm/perf-worker-$which"
  rm -rf "$state" && mkdir -p "$state"
  node bench/serve-miniflare.mjs "$which" "$state" >"$out/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 200); do grep -q '^ready' "$out/serve.log" && break; sleep 0.2; done
  url=$(awk '/^ready/ {print $2}' "$out/serve.log")
  [ -n "$url" ] || { cat "$out/serve.log" >&2; exit 1; }
  workerd=$(pgrep -P "$server" workerd || pgrep -n workerd)
  load "${WARM_RATE:-150}" "$warm" "$url"
  load "$rate" "$((seconds + 2))s" "$url" &
  loader=$!
  sleep 1
  perf record -F "$hz" -p "$workerd" -o "$out/$which.data" -- sleep "$seconds" >/dev/null 2>&1
  wait "$loader"
  kill "$server" && wait "$server" 2>/dev/null || true
  rm -rf "$state"
  perf report -i "$out/$which.data" --stdio -n --no-children -g none --sort dso 2>/dev/null >"$out/$which.dso"
  awk -v which="$which" -v kind="$kind" -v warm="$warm" -v hz="$hz" -v requests="$((rate * seconds))" '
    $1 ~ /^[0-9.]+%$/ && $2 ~ /^[0-9]+$/ {
      name = $3; if (name == "[JIT]") name = "JIT code (JS and wasm)"
      samples[name] += $2; total += $2
    }
    END {
      ms = 1000 / hz / requests
      printf "== %s, %s (WARM %s): %d samples, %.3f ms of CPU a request\n", which, kind, warm, total, total * ms
      for (name in samples) if (samples[name] / total >= 0.005) printf "  %-24s %5.1f %%  %.3f ms\n", name, 100 * samples[name] / total, samples[name] * ms
    }' "$out/$which.dso"
done
