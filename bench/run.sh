#!/usr/bin/env bash
# kerro's benchmarks, each side by side with its baseline in the same run.
#
#   bench/run.sh decision|audience|http|ingest|cluster|memory|all
#
# Every benchmark builds what it needs (release), installs its tools (npm ci
# for the GrowthBook SDK, apt-get for wrk), checks that kerro and the baseline
# give the same answers, then prints kerro's figure, the baseline's and the
# ratio (the cluster mode has no baseline: it compares SQLite with PostgreSQL
# and one node with two, through real `kerro serve` processes). Results and
# logs go to $BENCH_OUT (default target/bench). See docs/benchmarks.md for what
# each one measures.
#
# Settings (environment):
#   BENCH_SEED=1           the generator's seed (profiles, offers)
#   BENCH_RUNS=3           repetitions of each measurement; medians are reported
#   DECISION_KS=100,1000,10000
#   AUDIENCE_N="1000000 10000000"
#   HTTP_K=1000 HTTP_SUBJECTS=1000 HTTP_SECONDS=10 HTTP_CONNECTIONS=16
#   HTTP_PORT=18080 (kerro) and HTTP_PORT+1 (baseline)
#   INGEST_CLIENTS=1,16,64 INGEST_SECONDS=5 (also the cluster mode's)
#   CLUSTER_SUBJECTS=50 (subjects per client slot) CLUSTER_MIXED_CLIENTS=16
#   CLUSTER_PORT=18180 (the cluster mode's nodes listen on CLUSTER_PORT..+3)
#   MEMORY_N=1000000 (subjects imported for the memory mode) MEMORY_PORT=18280
#   BENCH_NO_BUILD=1       run the binaries already built in CARGO_TARGET_DIR (an earlier revision, to compare)
#   PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres PGDATABASE=test
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="$root/bench"
out="${BENCH_OUT:-$root/target/bench}"
seed="${BENCH_SEED:-1}"
runs="${BENCH_RUNS:-3}"
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}" PGDATABASE="${PGDATABASE:-test}"
mkdir -p "$out"

log() { echo "== $*" >&2; }

# What was measured: the commit, and whether the work tree had changes.
revision() {
  local rev
  rev=$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)
  echo "# $(date -u +%Y-%m-%dT%H:%MZ), kerro $rev, $(nproc) cores, $(uname -r)"
}

median() {
  printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END { if (NR == 0) print "nan"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'
}

target_dir() {
  echo "${CARGO_TARGET_DIR:-$root/target}"
}

build() {
  # BENCH_NO_BUILD=1 runs the binaries already in the target directory
  # (CARGO_TARGET_DIR), e.g. an earlier revision's, to compare two in turn.
  if [ -n "${BENCH_NO_BUILD:-}" ]; then log "not building (BENCH_NO_BUILD): $(target_dir)"; return 0; fi
  log "cargo build --release $*"
  (cd "$root" && cargo build --release --quiet -p kerro "$@")
}

ensure_node() {
  command -v node >/dev/null || { echo "bench: Node.js is needed (apt-get install -y nodejs npm)" >&2; exit 1; }
  if [ ! -d "$bench/node/node_modules/@growthbook/growthbook" ]; then
    log "npm ci (GrowthBook SDK, pinned)"
    (cd "$bench/node" && npm ci --no-audit --no-fund --silent)
  fi
}

ensure_pg() {
  command -v psql >/dev/null || { echo "bench: psql is needed (apt-get install -y postgresql-client)" >&2; exit 1; }
  psql -X -q -At -c "SELECT 1" >/dev/null || { echo "bench: PostgreSQL does not answer at $PGHOST:$PGPORT (user $PGUSER, database $PGDATABASE)" >&2; exit 1; }
}

ensure_wrk() {
  if ! command -v wrk >/dev/null; then
    log "apt-get install -y wrk"
    apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null; }
  fi
}

# ---------------------------------------------------------------------------

run_decision() {
  ensure_node
  build --example bench_decision
  local bin dir ks
  bin="$(target_dir)/release/examples/bench_decision"
  dir="$out/decision"
  ks="${DECISION_KS:-100,1000,10000}"
  rm -rf "$dir"
  mkdir -p "$dir"
  for r in $(seq 1 "$runs"); do
    log "decision: kerro run $r/$runs"
    "$bin" --seed "$seed" --ks "$ks" --out "$dir" --tag "_$r" >"$dir/kerro_$r.txt"
    cat "$dir/kerro_$r.txt" >&2
  done
  log "decision: GrowthBook JS (equality first, then timing)"
  { revision; node "$bench/node/decision.mjs" "$dir" "$ks"; } | tee "$out/decision.txt"
}

run_audience() {
  ensure_node
  ensure_pg
  build --example bench_audience --example bench_gen
  local bin gen n dir
  bin="$(target_dir)/release/examples/bench_audience"
  gen="$(target_dir)/release/examples/bench_gen"
  revision >"$out/audience.txt"
  for n in ${AUDIENCE_N:-1000000 10000000}; do
    dir="$out/audience_$n"
    rm -rf "$dir"
    mkdir -p "$dir"
    "$bench/pg/load_subjects.sh" "$seed" "$n" "$gen"
    local files=()
    for r in $(seq 1 "$runs"); do
      log "audience N=$n: kerro run $r/$runs"
      "$bin" --seed "$seed" --n "$n" --out "$dir/kerro_$r.json" >"$dir/kerro_$r.txt"
      cat "$dir/kerro_$r.txt" >&2
      files+=("$dir/kerro_$r.json")
    done
    log "audience N=$n: PostgreSQL (counts compared first)"
    node "$bench/node/audience_pg.mjs" "bench_subjects_$n" 5 "${files[@]}" | tee -a "$out/audience.txt"
  done
}

http_pids=()
stop_http() {
  for p in ${http_pids[@]+"${http_pids[@]}"}; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  http_pids=()
}

wait_port() {
  local url="$1"
  for _ in $(seq 1 100); do
    if curl -s -o /dev/null -X POST "$url/v1/decisions"; then return 0; fi
    sleep 0.1
  done
  echo "bench: nothing answers at $url" >&2
  return 1
}

run_http() {
  ensure_node
  ensure_wrk
  build --bin kerro --example bench_http_seed
  local td data port bport k nsub secs conns
  td="$(target_dir)"
  k="${HTTP_K:-1000}"
  nsub="${HTTP_SUBJECTS:-1000}"
  secs="${HTTP_SECONDS:-10}"
  conns="${HTTP_CONNECTIONS:-16}"
  port="${HTTP_PORT:-18080}"
  bport=$((port + 1))
  data="$out/http-data"
  "$td/release/examples/bench_http_seed" --seed "$seed" --k "$k" --subjects "$nsub" --data "$data"
  node -e 'const m=require(process.argv[1]); const fs=require("fs");
    fs.writeFileSync(process.argv[2], m.token+"\n"); fs.writeFileSync(process.argv[3], m.subjects.join("\n")+"\n")' \
    "$data/bench_http.json" "$out/http_token.txt" "$out/http_subjects.txt"
  trap stop_http EXIT
  log "http: kerro serve on core 0, baseline node server on core 0 (one at a time under load), wrk on core 1"
  KERRO_LOG=warn taskset -c 0 "$td/release/kerro" serve --data "$data" --listen "127.0.0.1:$port" >"$out/http_kerro.log" 2>&1 &
  http_pids+=($!)
  taskset -c 0 node "$bench/node/server.mjs" "$data" "$bport" >"$out/http_baseline.log" 2>&1 &
  http_pids+=($!)
  wait_port "http://127.0.0.1:$port"
  wait_port "http://127.0.0.1:$bport"
  node "$bench/node/http_check.mjs" "$data" "http://127.0.0.1:$port" "http://127.0.0.1:$bport" 200
  local kr=() kp=() br=() bp=() fr=() fp=() line
  for r in $(seq 1 "$runs"); do
    # The serving stack's ceiling on this machine: kerro's GET /.well-known/jwks.json
    # (a small JSON document from memory) through the same listener, middleware and kernel.
    line=$(taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" --latency "http://127.0.0.1:$port/.well-known/jwks.json" | tee "$out/http_floor_$r.txt")
    fr+=("$(awk '/^Requests\/sec:/ {print $2}' <<<"$line")")
    fp+=("$(awk '$1 == "99%" {v=$2; if (v ~ /ms$/) {sub(/ms$/, "", v); v*=1000} else if (v ~ /us$/) {sub(/us$/, "", v)} else if (v ~ /s$/) {sub(/s$/, "", v); v*=1000000}; print v}' <<<"$line")")
    log "http floor run $r/$runs: ${fr[-1]} req/s, p99 ${fp[-1]} us"
    for side in kerro baseline; do
      local p=$port
      [ "$side" = baseline ] && p=$bport
      # Warm-up, then the measured run.
      taskset -c 1 wrk -t1 -c"$conns" -d2s -s "$bench/wrk/decisions.lua" "http://127.0.0.1:$p" -- "$out/http_token.txt" "$out/http_subjects.txt" >/dev/null
      line=$(taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" --latency -s "$bench/wrk/decisions.lua" "http://127.0.0.1:$p" -- "$out/http_token.txt" "$out/http_subjects.txt" | tee "$out/http_${side}_$r.txt" | grep '^RESULT')
      log "http $side run $r/$runs: $line"
      case "$line" in *" errors=0 non2xx=0") ;; *) echo "bench: $side answered with errors: $line" >&2; exit 1 ;; esac
      local rps p99
      rps=$(sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$line")
      p99=$(sed -E 's/.*p99_us=([0-9]+).*/\1/' <<<"$line")
      if [ "$side" = kerro ]; then kr+=("$rps"); kp+=("$p99"); else br+=("$rps"); bp+=("$p99"); fi
    done
  done
  stop_http
  trap - EXIT
  local mkr mkp mbr mbp mfr mfp
  mkr=$(median "${kr[@]}"); mkp=$(median "${kp[@]}"); mbr=$(median "${br[@]}"); mbp=$(median "${bp[@]}")
  mfr=$(median "${fr[@]}"); mfp=$(median "${fp[@]}")
  {
    revision
    echo "http: POST /v1/decisions (dry run, e-mail, limit 3), K = $k offers, $nsub subjects in turn; server on one core (taskset -c 0), wrk -t1 -c$conns -d${secs}s on the other; median of $runs runs"
    printf '%-28s %14s %12s\n' "" "requests/s" "p99 ms"
    printf '%-28s %14.0f %12.2f\n' "kerro serve" "$mkr" "$(echo "$mkp / 1000" | bc -l)"
    printf '%-28s %14.0f %12.2f\n' "Node + GrowthBook JS" "$mbr" "$(echo "$mbp / 1000" | bc -l)"
    printf '%-28s %13.2fx\n' "kerro / baseline" "$(echo "$mkr / $mbr" | bc -l)"
    printf '%-28s %14.0f %12.2f\n' "kerro GET jwks.json (floor)" "$mfr" "$(echo "$mfp / 1000" | bc -l)"
    printf '%-28s %13.2fx\n' "decisions / floor" "$(echo "$mkr / $mfr" | bc -l)"
    local met=MISSED
    if [ "$(echo "$mkr >= 30000 && $mkp < 2000" | bc)" = 1 ]; then met=met; fi
    echo "target >= 30,000 requests/s with p99 < 2 ms: $met (runs: kerro ${kr[*]} req/s, p99 ${kp[*]} us; baseline ${br[*]} req/s, p99 ${bp[*]} us)"
  } | tee "$out/http.txt"
}

# Resident memory per subject of `kerro serve`, which keeps every profile and
# the audience index in memory: VmRSS once it answers with N imported subjects
# (`import_bench`, the demo's B2B survey: seven answers and two consents each),
# minus VmRSS with none, over N. The imported stores are kept in $out/memory-N.
run_memory() {
  build --bin kerro --example import_bench
  local td port n dir pid rss base=
  td="$(target_dir)"
  port="${MEMORY_PORT:-18280}"
  {
    revision
    echo "memory: kerro serve's VmRSS with N subjects imported, minus with none; start-up time to the first answer"
    printf '%10s %14s %16s %12s\n' "N" "VmRSS KiB" "bytes/subject" "start s"
  } >"$out/memory.txt"
  for n in 0 ${MEMORY_N:-1000000}; do
    dir="$out/memory-$n"
    if [ ! -f "$dir/.imported" ]; then
      rm -rf "$dir"
      log "memory: importing $n subjects into $dir"
      "$td/release/examples/import_bench" "$n" --keep "$dir" >"$out/memory_import_$n.txt"
      touch "$dir/.imported"
    fi
    local started=$SECONDS
    KERRO_LOG=warn "$td/release/kerro" serve --data "$dir" --listen "127.0.0.1:$port" >"$out/memory_serve_$n.log" 2>&1 &
    pid=$!
    http_pids+=("$pid")
    trap stop_http EXIT
    for _ in $(seq 1 3000); do
      curl -s -o /dev/null "http://127.0.0.1:$port/.well-known/jwks.json" && break
      sleep 0.2
    done
    local took=$((SECONDS - started))
    sleep 2
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
    stop_http
    trap - EXIT
    if [ -z "$base" ]; then base=$rss; fi
    local per=-
    if [ "$n" -gt 0 ]; then per=$(echo "($rss - $base) * 1024 / $n" | bc); fi
    printf '%10s %14s %16s %12s\n' "$n" "$rss" "$per" "$took" | tee -a "$out/memory.txt"
  done
  echo "target <= 400 bytes/subject at 1M" >>"$out/memory.txt"
  cat "$out/memory.txt"
}

# PostgreSQL's own figure for the same work: pgbench -M prepared running
# bench/pg/ingest.sql (one declarations row and one consent row per
# transaction, synchronous_commit=on) with $1 clients for $2 s. Prints "tps p99_ms".
pgbench_ingest() {
  local c=$1 secs=$2 logs="$out/pgbench_logs" j tps p99
  psql -X -q -v ON_ERROR_STOP=1 -f "$bench/pg/ingest_schema.sql"
  rm -rf "$logs"
  mkdir -p "$logs"
  j=$((c < 2 ? c : 2))
  tps=$(cd "$logs" && PGOPTIONS='-c synchronous_commit=on' pgbench -n -M prepared -f "$bench/pg/ingest.sql" \
    -c "$c" -j "$j" -T "$secs" -l --log-prefix="$logs/tx" 2>&1 | sed -nE 's/^tps = ([0-9.]+) \(without initial connection time\)/\1/p')
  p99=$(cat "$logs"/tx* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END { print a[int(NR*0.99)] / 1000 }')
  rm -rf "$logs"
  echo "$tps $p99"
}

run_ingest() {
  ensure_pg
  build --example bench_ingest
  local td clients secs c
  td="$(target_dir)"
  clients="${INGEST_CLIENTS:-1,16,64}"
  secs="${INGEST_SECONDS:-5}"
  # kr/kp: bench_ingest --pool 1 (one subject per client); vr/vp: --pool 200 (a pool of
  # subjects per client); pr/pp: pgbench.
  declare -A kr kp vr vp pr pp
  for r in $(seq 1 "$runs"); do
    log "ingest: kerro run $r/$runs, one subject per client (bench_ingest --pool 1)"
    "$td/release/examples/bench_ingest" --pool 1 --clients "$clients" --seconds "$secs" | tee "$out/ingest_kerro_$r.txt" >&2
    while read -r n rate p99; do
      kr[$n]+="$rate "
      kp[$n]+="$p99 "
    done < <(awk 'NR > 1 && $1 ~ /^[0-9]+$/ { print $1, $2, $4 }' "$out/ingest_kerro_$r.txt")
    log "ingest: kerro run $r/$runs, 200 subjects per client in turn (crates/kerro/examples/bench_ingest.rs)"
    "$td/release/examples/bench_ingest" --clients "$clients" --seconds "$secs" --pool 200 | tee "$out/ingest_kerro_pool_$r.txt" >&2
    while read -r n rate p99; do
      vr[$n]+="$rate "
      vp[$n]+="$p99 "
    done < <(awk 'NR > 1 && $1 ~ /^[0-9]+$/ { print $1, $2, $4 }' "$out/ingest_kerro_pool_$r.txt")
  done
  for r in $(seq 1 "$runs"); do
    for c in ${clients//,/ }; do
      local tps p99
      read -r tps p99 < <(pgbench_ingest "$c" "$secs")
      log "ingest: pgbench run $r/$runs, $c clients: $tps tps, p99 $p99 ms"
      pr[$c]+="$tps "
      pp[$c]+="$p99 "
    done
  done
  {
    revision
    echo "ingest: durable submissions per second, ${secs} s per point, median of $runs runs"
    echo "  kerro: HTTP API in-process (client and server share the 2 cores), SQLite WAL synchronous=FULL, group commit;"
    echo "         'one subject' = bench_ingest --pool 1 (each client re-submits for its own subject), 'pool' = --pool 200 (200 subjects per client in turn)"
    echo "  PostgreSQL: pgbench -M prepared, one transaction = 1 declarations row + 1 consent row, synchronous_commit=on"
    printf '%8s %14s %10s %14s %10s %14s %10s %12s %8s\n' clients "kerro 1 subj" p99 "kerro pool" p99 "PostgreSQL" p99 "pool / PG" target
    for c in ${clients//,/ }; do
      local a ap v vp2 b bp2 met="-"
      # shellcheck disable=SC2086
      a=$(median ${kr[$c]}); ap=$(median ${kp[$c]}); v=$(median ${vr[$c]}); vp2=$(median ${vp[$c]}); b=$(median ${pr[$c]}); bp2=$(median ${pp[$c]})
      if [ "$c" = 64 ]; then
        met=MISSED
        [ "$(echo "($a >= 10000 || $v >= 10000) && $v >= 1.7 * $b" | bc)" = 1 ] && met=met
      fi
      printf '%8s %14.0f %8.1fms %14.0f %8.1fms %14.0f %8.1fms %11.2fx %8s\n' "$c" "$a" "$ap" "$v" "$vp2" "$b" "$bp2" "$(echo "$v / $b" | bc -l)" "$met"
    done
    echo "target: >= 10,000 submissions/s and >= 1.7x pgbench at 64 clients on SQLite"
  } | tee "$out/ingest.txt"
}

# The cluster mode: real `kerro serve` processes (SQLite 1 node, PostgreSQL 1
# node, PostgreSQL 2 nodes on one database), all started up front and measured
# in turn within each run, driven over HTTP by bench_cluster.
cluster_pids=()
cluster_dbs=()
cluster_token="bench-cluster-admin-token-0123456789abcdef0123456789"
stop_cluster() {
  for p in ${cluster_pids[@]+"${cluster_pids[@]}"}; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  cluster_pids=()
  for d in ${cluster_dbs[@]+"${cluster_dbs[@]}"}; do
    psql -X -q -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true
  done
  cluster_dbs=()
}

# cluster_node LOG PORT DATA KEY [DATABASE_URL]: starts one node, waits for "listening on".
cluster_node() {
  local logf="$1" port="$2" data="$3" key="$4" db="${5:-}" pid
  local args=(serve --listen "127.0.0.1:$port" --data "$data")
  [ -n "$db" ] && args+=(--database "$db")
  KERRO_ADMIN_TOKEN="$cluster_token" KERRO_LOG=warn KERRO_MASTER_KEY_FILE="$key" \
    "$(target_dir)/release/kerro" "${args[@]}" >"$logf" 2>&1 &
  pid=$!
  cluster_pids+=("$pid")
  for _ in $(seq 1 600); do
    grep -q '^listening on ' "$logf" && return 0
    kill -0 "$pid" 2>/dev/null || { echo "bench: kerro serve on port $port exited:" >&2; cat "$logf" >&2; return 1; }
    sleep 0.1
  done
  echo "bench: kerro serve on port $port did not print 'listening on' within 60 s" >&2
  return 1
}

# cluster_start NAME NODES sqlite|pg FIRST_PORT: starts the nodes (one master key
# file, one data directory each, a fresh database kerro_bench_NAME on PostgreSQL),
# runs bench_cluster setup; sets cluster_urls to the comma-separated node URLs.
# (Not called in a subshell: cluster_pids and cluster_dbs must keep what it adds.)
cluster_start() {
  local name="$1" n="$2" backend="$3" port="$4" dir db="" urls="" i
  dir="$out/cluster_$name"
  rm -rf "$dir"
  mkdir -p "$dir"
  (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$dir/master.key")
  if [ "$backend" = pg ]; then
    PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 \
      -c "DROP DATABASE IF EXISTS kerro_bench_$name WITH (FORCE)" -c "CREATE DATABASE kerro_bench_$name" >&2
    cluster_dbs+=("kerro_bench_$name")
    db="postgres://$PGUSER@$PGHOST:$PGPORT/kerro_bench_$name"
  fi
  for i in $(seq 1 "$n"); do
    cluster_node "$dir/node$i.log" "$((port + i - 1))" "$dir/node$i" "$dir/master.key" "$db"
    urls+="${urls:+,}http://127.0.0.1:$((port + i - 1))"
  done
  log "cluster $name: $n node(s) at $urls${db:+ on $db}; bench_cluster setup"
  "$(target_dir)/release/examples/bench_cluster" setup --nodes "$urls" --token "$cluster_token" \
    --state "$dir/state.json" --clients "$cluster_clients" --subjects "$cluster_subjects" >&2
  cluster_urls="$urls"
}

# cluster_parse FILE PREFIX: adds each "clients rate p50 p99 errors" line of FILE to
# the arrays cr/cp5/cp9/ce under the key PREFIX,clients.
cluster_parse() {
  local n rate p50 p99 err
  while read -r n rate p50 p99 err; do
    cr[$2,$n]+="$rate "
    cp5[$2,$n]+="$p50 "
    cp9[$2,$n]+="$p99 "
    ce[$2,$n]=$(( ${ce[$2,$n]:-0} + err ))
  done < <(awk '$1 ~ /^[0-9]+$/ { print $1, $2, $3, $4, $5 }' "$1")
}

run_cluster() {
  ensure_pg
  build --bin kerro --example bench_cluster
  local bin secs port mixed r cfg urls a b
  bin="$(target_dir)/release/examples/bench_cluster"
  cluster_clients="${INGEST_CLIENTS:-1,16,64}"
  cluster_subjects="${CLUSTER_SUBJECTS:-50}"
  secs="${INGEST_SECONDS:-5}"
  port="${CLUSTER_PORT:-18180}"
  mixed="${CLUSTER_MIXED_CLIENTS:-16}"
  trap stop_cluster EXIT
  declare -A url cr cp5 cp9 ce
  # PostgreSQL's own figure first, while no kerro node holds connections.
  local tps p99 c
  for r in $(seq 1 "$runs"); do
    for c in ${cluster_clients//,/ }; do
      read -r tps p99 < <(pgbench_ingest "$c" "$secs")
      log "cluster: pgbench run $r/$runs, $c clients: $tps tps, p99 $p99 ms"
      cr[pgbench,$c]+="$tps "
    done
  done
  cluster_start sqlite1 1 sqlite "$port"
  url[sqlite1]="$cluster_urls"
  cluster_start pg1 1 pg "$((port + 1))"
  url[pg1]="$cluster_urls"
  cluster_start pg2 2 pg "$((port + 2))"
  url[pg2]="$cluster_urls"
  a="${url[pg2]%%,*}"
  b="${url[pg2]##*,}"
  for r in $(seq 1 "$runs"); do
    for cfg in sqlite1 pg1 pg2; do
      log "cluster: ingest, $cfg, run $r/$runs"
      "$bin" ingest --nodes "${url[$cfg]}" --token "$cluster_token" --state "$out/cluster_$cfg/state.json" \
        --clients "$cluster_clients" --seconds "$secs" | tee "$out/cluster_ingest_${cfg}_$r.txt" >&2
      cluster_parse "$out/cluster_ingest_${cfg}_$r.txt" "$cfg"
    done
    log "cluster: decisions on node B ($b) alone, $mixed clients, run $r/$runs"
    "$bin" decide --nodes "$b" --token "$cluster_token" --state "$out/cluster_pg2/state.json" \
      --clients "$mixed" --seconds "$secs" | tee "$out/cluster_decide_alone_$r.txt" >&2
    cluster_parse "$out/cluster_decide_alone_$r.txt" alone
    log "cluster: ingestion on node A ($a) alone, $mixed clients, run $r/$runs"
    "$bin" ingest --nodes "$a" --token "$cluster_token" --state "$out/cluster_pg2/state.json" \
      --clients "$mixed" --seconds "$secs" | tee "$out/cluster_ingest_alone_$r.txt" >&2
    cluster_parse "$out/cluster_ingest_alone_$r.txt" ingest_alone
    log "cluster: decisions on node B ($b) while node A ($a) ingests, $mixed + $mixed clients, run $r/$runs"
    "$bin" ingest --nodes "$a" --token "$cluster_token" --state "$out/cluster_pg2/state.json" \
      --clients "$mixed" --seconds "$secs" >"$out/cluster_mixed_ingest_$r.txt" &
    local ing=$!
    "$bin" decide --nodes "$b" --token "$cluster_token" --state "$out/cluster_pg2/state.json" \
      --clients "$mixed" --seconds "$secs" >"$out/cluster_mixed_decide_$r.txt"
    wait "$ing"
    cat "$out/cluster_mixed_ingest_$r.txt" "$out/cluster_mixed_decide_$r.txt" >&2
    cluster_parse "$out/cluster_mixed_ingest_$r.txt" mixed_ingest
    cluster_parse "$out/cluster_mixed_decide_$r.txt" mixed_decide
  done
  stop_cluster
  trap - EXIT
  # shellcheck disable=SC2086
  cell() { printf '%.0f (%.1f/%.1f ms)' "$(median ${cr[$1]:-})" "$(median ${cp5[$1]:-})" "$(median ${cp9[$1]:-})"; }
  {
    revision
    echo "cluster: durable submissions per second through HTTP (only 201 counted: kerro answers after the COMMIT), ${secs} s per point, median of $runs runs"
    echo "  real kerro serve processes; bench_cluster (one keep-alive connection per client, clients round-robin over the nodes,"
    echo "  each submission with its subject's own token, $cluster_subjects subjects per client slot divided among the clients)"
    echo "  nodes, PostgreSQL and the load generator share the $(nproc) cores; figures are rate (p50/p99)"
    echo "  pgbench: bench/pg/ingest.sql (a declarations row and a consent row per transaction, synchronous_commit=on), same clients, same run"
    printf '%8s  %-26s %-26s %-26s %9s %7s %7s %7s\n' clients "SQLite, 1 node" "PostgreSQL, 1 node" "PostgreSQL, 2 nodes" pgbench "SQ/pgb" "PG1/pgb" "PG2/PG1"
    local errs=0 sq p1 p2 pb
    for c in ${cluster_clients//,/ }; do
      # shellcheck disable=SC2086
      sq=$(median ${cr[sqlite1,$c]:-}); p1=$(median ${cr[pg1,$c]:-}); p2=$(median ${cr[pg2,$c]:-}); pb=$(median ${cr[pgbench,$c]:-})
      printf '%8s  %-26s %-26s %-26s %9.0f %6.2fx %6.2fx %6.2fx\n' "$c" "$(cell "sqlite1,$c")" "$(cell "pg1,$c")" "$(cell "pg2,$c")" \
        "$pb" "$(echo "$sq / $pb" | bc -l)" "$(echo "$p1 / $pb" | bc -l)" "$(echo "$p2 / $p1" | bc -l)"
      errs=$((errs + ${ce[sqlite1,$c]:-0} + ${ce[pg1,$c]:-0} + ${ce[pg2,$c]:-0}))
    done
    if [[ ",$cluster_clients," == *",64,"* ]]; then
      local t met=met
      for t in "$(median ${cr[sqlite1,64]:-}) >= 10000 && $(median ${cr[sqlite1,64]:-}) >= 1.7 * $(median ${cr[pgbench,64]:-})" \
               "$(median ${cr[pg1,64]:-}) >= 3000 && $(median ${cr[pg1,64]:-}) >= 0.5 * $(median ${cr[pgbench,64]:-})" \
               "$(median ${cr[pg2,64]:-}) >= $(median ${cr[pg1,64]:-})"; do
        [ "$(echo "$t" | bc)" = 1 ] || met=MISSED
      done
      echo "targets at 64 clients (SQLite >= 10,000/s and >= 1.7x pgbench; PostgreSQL 1 node >= 3,000/s and >= 0.5x pgbench; 2 nodes >= 1 node): $met"
    fi
    echo "decisions per second on node B while node A ingests (POST /v1/decisions, dry run, web, limit 10), PostgreSQL, 2 nodes,"
    echo "  $mixed clients on each node, ${secs} s at the same time, median of $runs runs"
    printf '%-36s %-28s %s\n' "" "decisions/s on B (p50/p99)" "submissions/s on A (p50/p99)"
    printf '%-36s %-28s %s\n' "B decides, A idle" "$(cell "alone,$mixed")" "-"
    printf '%-36s %-28s %s\n' "A ingests, B idle" "-" "$(cell "ingest_alone,$mixed")"
    printf '%-36s %-28s %s\n' "B decides while A ingests" "$(cell "mixed_decide,$mixed")" "$(cell "mixed_ingest,$mixed")"
    errs=$((errs + ${ce[alone,$mixed]:-0} + ${ce[ingest_alone,$mixed]:-0} + ${ce[mixed_decide,$mixed]:-0} + ${ce[mixed_ingest,$mixed]:-0}))
    echo "errors (non-201/200 answers, timeouts, connection errors), all runs: $errs"
  } | tee "$out/cluster.txt"
}

case "${1:-}" in
  decision) run_decision ;;
  audience) run_audience ;;
  http) run_http ;;
  ingest) run_ingest ;;
  cluster) run_cluster ;;
  memory) run_memory ;;
  all)
    run_decision
    run_audience
    run_http
    run_ingest
    run_cluster
    run_memory
    ;;
  *)
    echo "usage: bench/run.sh decision|audience|http|ingest|cluster|memory|all" >&2
    exit 2
    ;;
esac
