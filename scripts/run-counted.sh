# Sourced by the test scripts. Every suite runs through `run_counted`, so
# a suite that shrinks, vanishes or runs nothing fails the script.
#
# run_counted NAME MIN REGEX COMMAND...
#   Runs COMMAND in its own session (setsid), its output shown as it comes,
#   and demands exit 0 and that the numbers on the summary lines REGEX
#   matches (the passing tests; summed, as cargo prints one line per test
#   binary) reach MIN. Whatever the command leaves running in its session
#   (a server of a crashed test) is ended afterwards.

counted_session=""

# Ends what is left of the running suite's session; for an EXIT trap too.
end_counted_session() {
  if [ -n "$counted_session" ]; then
    pkill -TERM -s "$counted_session" 2>/dev/null || true
    counted_session=""
  fi
}

run_counted() {
  local name=$1 min=$2 regex=$3 log status passed follower
  shift 3
  log=$(mktemp)
  setsid "$@" >"$log" 2>&1 &
  counted_session=$!
  tail -n +1 -f --pid="$counted_session" "$log" &
  follower=$!
  set +e
  wait "$counted_session"
  status=$?
  set -e
  wait "$follower" || true
  end_counted_session
  passed=$(grep -oE "$regex" "$log" | grep -oE "[0-9]+" | awk '{ sum += $1 } END { if (NR) print sum }' || true)
  rm -f "$log"
  if [ "$status" != 0 ] || [ -z "$passed" ] || [ "$passed" -lt "$min" ]; then
    echo "$name: expected exit 0 and at least $min passing tests, got '${passed:-none}' (exit $status)" >&2
    exit 1
  fi
  echo "$name: $passed tests passed (at least $min expected)"
}
