#!/usr/bin/env bash
# The agent's CPU per thread and its syscalls around one burst of new taps (perf stat on its PID):
# its main thread against V8's worker threads (TurboFan, GC helpers), and how many recvmsg,
# sendmsg, write and epoll_pwait calls the burst cost. Root; needs perf (linux-perf) and a built
# checkout (npm run build). Everything happens in a network namespace this script creates.
#
#   bash bench/agent-burst-threads.sh [TAPS (500)] [ROUNDS (3)]
#
# Prints per round: main thread and all threads task-clock (ms), then the syscall counts. The window
# runs from 0.3 s before the `ip -batch` until the agent logged TAPS "enforce" lines (so it holds a
# little idle agent too). Noisy on a shared machine: compare builds in interleaved rounds.
#
# AGENT_PERF_RECORD=1: also `perf record -g` the agent's main thread over the same window and print
# where its CPU went: the kernel's share, the SETs' sendmsg (inclusive) and, of it, the spinning on
# RTNL (mutex_spin_on_owner: `ip` holds RTNL while it creates a tap, and a waiter spins while the
# owner runs on the other CPU — the agent's CPU, not its work).
set -euo pipefail
taps=${1:-500}
rounds=${2:-3}
bin="$(cd "$(dirname "$0")/.." && pwd)/bin/offloadctl"
command -v perf >/dev/null || { echo "agent-burst-threads: needs perf (linux-perf)" >&2; exit 3; }

round() {
  local ns="olcthr$$r$1" dir apid
  dir=$(mktemp -d)
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  # shellcheck disable=SC2064
  trap "kill \$apid 2>/dev/null || true; wait \$apid 2>/dev/null || true; ip netns del $ns; rm -rf $dir" RETURN
  echo 0123456789abcdef0123 >"$dir/token"
  chmod 600 "$dir/token"
  ip netns exec "$ns" node "$bin" agent --listen 127.0.0.1:9469 --state-dir "$dir/state" \
    --token-file "$dir/token" 2>"$dir/log" &
  apid=$!
  for _ in $(seq 1 150); do
    ip netns exec "$ns" curl -s -o /dev/null -w '%{http_code}' 127.0.0.1:9469/healthz 2>/dev/null | grep -q 200 && break
    sleep 0.1
  done
  sleep 0.5
  for i in $(seq 0 $((taps - 1))); do echo "tuntap add dev tap$i mode tap"; done >"$dir/batch"
  perf stat --per-thread -x, -e task-clock -p "$apid" -o "$dir/threads.txt" &
  local p1=$!
  perf stat -x, -e 'syscalls:sys_enter_recvmsg,syscalls:sys_enter_sendmsg,syscalls:sys_enter_write,syscalls:sys_enter_epoll_pwait' \
    -p "$apid" -o "$dir/sys.txt" &
  local p2=$!
  local p3=""
  if [ -n "${AGENT_PERF_RECORD:-}" ]; then
    perf record -q -F 4999 -g -t "$apid" -o "$dir/perf.data" 2>/dev/null &
    p3=$!
  fi
  sleep 0.3
  ip -n "$ns" -batch "$dir/batch"
  for _ in $(seq 1 400); do
    [ "$(grep -c '"msg":"enforce"' "$dir/log")" -ge "$taps" ] && break
    sleep 0.05
  done
  kill -INT "$p1" "$p2" $p3
  wait "$p1" "$p2" $p3 || true
  local done_n
  done_n=$(grep -c '"msg":"enforce"' "$dir/log" || true)
  # the main thread is the one whose TID is the PID
  awk -F, -v pid="$apid" -v n="$done_n" '$2+0>0 { t += $2; if ($1 ~ "-" pid "$") m = $2 }
    END { printf "enforced %d  main thread %.0f ms  all threads %.0f ms", n, m, t }' "$dir/threads.txt"
  grep -v '^#' "$dir/sys.txt" | grep . | awk -F, '{ sub("syscalls:sys_enter_", "", $3); printf "  %s %s", $3, $1 } END { print "" }'
  if [ -n "$p3" ]; then
    local rep="perf report -i $dir/perf.data --stdio -g none"
    printf '  main thread samples %s: kernel %s, SET sendmsg (incl.) %s, of it spinning on RTNL %s\n' \
      "$($rep --no-children --sort dso 2>/dev/null | sed -n 's/^# Samples: \([0-9]*\).*/\1/p')" \
      "$($rep --no-children --sort dso 2>/dev/null | awk '/kernel.kallsyms/ { print $1 }')" \
      "$($rep --children --sort sym 2>/dev/null | awk '$NF == "ethnl_set_features" { print $1; exit }')" \
      "$($rep --no-children --sort sym 2>/dev/null | awk '$NF == "mutex_spin_on_owner" { print $1; exit }')"
  fi
}

for r in $(seq 1 "$rounds"); do
  printf 'round %d (load %s): ' "$r" "$(cut -d' ' -f1 /proc/loadavg)"
  round "$r"
done
