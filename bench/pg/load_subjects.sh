#!/usr/bin/env bash
# Loads N generated subjects into PostgreSQL for the audience baseline:
#   bench_subjects_<N>(id text, attrs jsonb) with a GIN jsonb_path_ops index.
# Skips the load when bench_meta says the table already holds this seed and N.
#
# Usage: bench/pg/load_subjects.sh SEED N GEN_BIN
#   GEN_BIN: the built bench_gen example (writes the rows as COPY text).
# Connection: PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres), PGDATABASE (test).
set -euo pipefail
seed="$1"
n="$2"
gen="$3"
table="bench_subjects_${n}"
psql_() { PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -h "${PGHOST:-127.0.0.1}" -p "${PGPORT:-5432}" -U "${PGUSER:-postgres}" "${PGDATABASE:-test}" "$@"; }

psql_ -c "CREATE TABLE IF NOT EXISTS bench_meta (tbl text PRIMARY KEY, seed bigint NOT NULL, n bigint NOT NULL,
  load_s double precision, index_s double precision, table_bytes bigint, index_bytes bigint, loaded_at timestamptz DEFAULT now())"
have=$(psql_ -At -c "SELECT seed || ':' || n FROM bench_meta m WHERE tbl = '${table}'
  AND EXISTS (SELECT 1 FROM pg_class WHERE relname = '${table}' AND relkind = 'r')
  AND EXISTS (SELECT 1 FROM pg_class WHERE relname = '${table}_attrs' AND relkind = 'i')")
if [ "$have" = "${seed}:${n}" ]; then
  echo "postgres: ${table} already holds seed ${seed}, N = ${n}; not reloading" >&2
  exit 0
fi

echo "postgres: loading ${n} subjects (seed ${seed}) into ${table} ..." >&2
psql_ -c "DELETE FROM bench_meta WHERE tbl = '${table}'" -c "DROP TABLE IF EXISTS ${table}" \
  -c "CREATE TABLE ${table} (id text NOT NULL, attrs jsonb NOT NULL)"
t0=$(date +%s.%N)
"$gen" pg-copy --seed "$seed" --n "$n" | psql_ -c "COPY ${table} (id, attrs) FROM STDIN"
t1=$(date +%s.%N)
echo "postgres: COPY took $(echo "$t1 - $t0" | bc) s; building the GIN index ..." >&2
psql_ -c "SET maintenance_work_mem = '2GB'" -c "CREATE INDEX ${table}_attrs ON ${table} USING gin (attrs jsonb_path_ops)"
t2=$(date +%s.%N)
psql_ -c "VACUUM ANALYZE ${table}"
psql_ -c "INSERT INTO bench_meta (tbl, seed, n, load_s, index_s, table_bytes, index_bytes)
  VALUES ('${table}', ${seed}, ${n}, $(echo "$t1 - $t0" | bc), $(echo "$t2 - $t1" | bc),
          pg_table_size('${table}'), pg_relation_size('${table}_attrs'))"
echo "postgres: index built in $(echo "$t2 - $t1" | bc) s" >&2
