# Shared by the benchmarks (source it): a throwaway PostgreSQL, fresh copies of a loaded
# template database, pgbench workloads with per-transaction logs, and their latency statistics.
# The sourcing script sets `root` (the repo) before, and calls bench_start_server.
# shellcheck shell=bash

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
pgbench_pid=""

say() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
per_second() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1048576 }'; }
loadavg() { cut -d' ' -f1 /proc/loadavg; }

# Starts the server (scripts/pg-throwaway) in a new temp dir; sets state and port. The EXIT trap
# stops it and removes the dir (BENCH_KEEP=1 keeps both).
bench_start_server() {
  state=$(mktemp -d /tmp/tenantshift-bench-XXXXXX)
  trap bench_cleanup EXIT
  port=$("$root/scripts/pg-throwaway" start "$state")
  mkdir -p "$state/logs"
  [[ $(id -u) -eq 0 ]] && chmod 777 "$state/logs"
  echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, data in $state" >&2
}
bench_cleanup() {
  if [[ -n "$pgbench_pid" ]]; then kill "$pgbench_pid" 2>/dev/null || true; fi
  if [[ "${BENCH_KEEP:-0}" != 1 ]]; then
    "$root/scripts/pg-throwaway" stop "$state" || true
    rm -rf "$state"
  fi
}

# Local trust authentication: these URLs hold no password.
url() { echo "postgresql://${2:-postgres}@127.0.0.1:$port/$1"; }
sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$(url "$1")" "${@:2}"; }

# A new database with bench/backfill's single-tenant data: `nusers` users, `nevents` events.
create_events_db() { # db nusers nevents
  sql postgres -c "CREATE DATABASE $1"
  sql "$1" -f "$root/bench/backfill/schema.sql"
  sql "$1" -v nusers="$2" -v nevents="$3" -f "$root/bench/backfill/generate.sql" >/dev/null
}

# A fresh copy of a loaded template (file copy: a few seconds, and no WAL for every page).
fresh_copy() { # name [template]
  sql postgres -c "DROP DATABASE IF EXISTS $1"
  sql postgres -c "CREATE DATABASE $1 TEMPLATE ${2:-bench_template} STRATEGY FILE_COPY"
}

# pgbench in the background as `role`; per-transaction log under $state/logs/<name>.<pid>.
# Sets pgbench_pid. Extra pgbench options after the fixed arguments.
start_pgbench() { # name db role script seconds [pgbench options...]
  "$bindir/pgbench" -n -M prepared -f "$4" -c "$clients" -j 1 -T "$5" "${@:6}" \
    -l --log-prefix="$state/logs/$1" -h 127.0.0.1 -p "$port" -U "$3" "$2" \
    >"$state/logs/$1.out" 2>&1 &
  pgbench_pid=$!
}

# Waits until every client has logged a transaction that started after $2 (or pgbench ended):
# pgbench writes its log in completion order, so every transaction that started before $2 is
# then in the file, including the ones that were blocked. Then stops pgbench.
stop_workload_after() { # name time
  local deadline=$((SECONDS + 900))
  while kill -0 "$pgbench_pid" 2>/dev/null && ((SECONDS < deadline)); do
    local seen
    seen=$(cat "$state/logs/$1".* 2>/dev/null | awk -v t="$2" '
      $3 ~ /^[0-9]+$/ && ($5 + $6 / 1e6 - $3 / 1e6) > t && !($1 in c) { c[$1] = 1; n++ }
      END { print n + 0 }')
    ((seen >= clients)) && break
    sleep 0.2
  done
  # SIGTERM, not SIGINT: an asynchronous job of a script ignores SIGINT.
  kill -TERM "$pgbench_pid" 2>/dev/null || true
  wait "$pgbench_pid" || true
  pgbench_pid=""
  grep -E "aborted|ERROR" "$state/logs/$1.out" >&2 || true
  return 0
}

# Latencies of the transactions that started in [t0, t1] (failed ones: ended in it), from the
# per-transaction log ("client tx latency_us script epoch_s epoch_us [lag]"; latency is
# "failed" for a failed one; with --rate it counts from the scheduled start): prints
# "count failed p50_ms p99_ms max_ms tps slow" (nearest-rank percentiles; slow: "N/S", N
# transactions over 1 s that together took S seconds, which p99 hides when a few clients wait
# for the whole operation).
latency_stats() { # name t0 t1
  local failed
  failed=$(cat "$state/logs/$1".* | awk -v t0="$2" -v t1="$3" '
    $3 !~ /^[0-9]+$/ && ($5 + $6 / 1e6) >= t0 && ($5 + $6 / 1e6) <= t1 { n++ }
    END { print n + 0 }')
  cat "$state/logs/$1".* | awk -v t0="$2" -v t1="$3" '
    $3 ~ /^[0-9]+$/ { start = $5 + $6 / 1e6 - $3 / 1e6; if (start >= t0 && start <= t1) print $3 / 1000.0 }' |
    sort -n | awk -v failed="$failed" -v secs="$(elapsed "$2" "$3")" '
      function rank(p,   r) { r = NR * p; return (r == int(r)) ? r : int(r) + 1 }
      { v[NR] = $1; if ($1 > 1000) { slow++; slow_ms += $1 } }
      END {
        if (NR == 0) { printf "0 %d - - - 0 -\n", failed; exit }
        printf "%d %d %.1f %.1f %.1f %.0f %d/%.0f\n", NR, failed, v[rank(0.50)], v[rank(0.99)],
          v[NR], NR / secs, slow, slow_ms / 1000
      }'
}

wal_lsn() { sql "$1" -c "SELECT pg_current_wal_lsn()"; }
wal_mib_since() { mib "$(sql "$1" -c "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$2')")"; }
table_mib() { mib "$(sql "$1" -c "SELECT pg_total_relation_size('$2')")"; }
