#!/usr/bin/env bash
# The API contract, checked from outside against a kerro this script starts
# (the demo workspace on a throwaway data directory and a free port):
#   1. schemathesis (coverage, fuzzing and stateful phases) with a staff (admin)
#      token and with a subject token; any failure of the four checks fails
#      (schemathesis.toml gives the reads of one thing real demo keys);
#   2. a client generated from /openapi.json with openapi-python-client runs
#      scenario.py through its typed models.
# Pinned tools come from PyPI into a venv. KERRO_API_TESTS_VENV reuses one;
# KERRO_BIN uses a built binary instead of `cargo build -p kerro`;
# ST_EXAMPLES (default 30) and ST_SEED (default 1) bound and fix the fuzzing.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

SCHEMATHESIS=schemathesis==4.32.5
CLIENT_GENERATOR=openapi-python-client==0.29.1
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
EXAMPLES="${ST_EXAMPLES:-30}"
SEED="${ST_SEED:-1}"

work="$(mktemp -d)"
kerro_pid=""
cleanup() {
  if [ -n "$kerro_pid" ]; then kill "$kerro_pid" 2>/dev/null || true; wait "$kerro_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "-- tools: $SCHEMATHESIS, $CLIENT_GENERATOR"
venv="${KERRO_API_TESTS_VENV:-$work/venv}"
if [ ! -x "$venv/bin/python" ]; then
  if ! python3 -m venv "$venv" 2>/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq python3-venv
    python3 -m venv "$venv"
  fi
fi
"$venv/bin/pip" install -q --disable-pip-version-check "$SCHEMATHESIS" "$CLIENT_GENERATOR"

if [ -z "${KERRO_BIN:-}" ]; then
  cargo build -q -p kerro
  KERRO_BIN="${CARGO_TARGET_DIR:-target}/debug/kerro"
fi

echo "-- kerro demo on a throwaway data directory"
env -u KERRO_ADMIN_TOKEN -u KERRO_CONFIG -u KERRO_DATABASE_URL RUST_LOG=warn \
  "$KERRO_BIN" demo --data "$work/data" --listen 127.0.0.1:0 --subjects 20 \
  >"$work/kerro.out" 2>"$work/kerro.err" &
kerro_pid=$!
for _ in $(seq 1 120); do
  grep -q "subject token:" "$work/kerro.out" 2>/dev/null && break
  kill -0 "$kerro_pid" 2>/dev/null || { cat "$work/kerro.err" >&2; exit 1; }
  sleep 0.5
done
url="$(awk '/^listening on/ {print $3; exit}' "$work/kerro.out")"
admin="$(awk '/admin token:/ {print $3; exit}' "$work/kerro.out")"
subject="$(awk '/subject token:/ {print $3; exit}' "$work/kerro.out")"
# The demo's sample subject, for the path values in schemathesis.toml.
ST_SUBJECT="$(awk '/subject token:/ {gsub(/[()]/, ""); print $5; exit}' "$work/kerro.out")"
export ST_SUBJECT
if [ -z "$url" ] || [ -z "$admin" ] || [ -z "$subject" ] || [ -z "$ST_SUBJECT" ]; then
  echo "kerro demo printed no URL or tokens" >&2
  cat "$work/kerro.out" "$work/kerro.err" >&2
  exit 1
fi
"$venv/bin/python" -c 'import sys, urllib.request; open(sys.argv[2], "wb").write(urllib.request.urlopen(sys.argv[1]).read())' \
  "$url/openapi.json" "$work/openapi.json"

# One worker: with two threads, schemathesis's coverage phase on CPython 3.11
# can die in the interpreter ("AST constructor recursion depth mismatch").
# Run from the throwaway directory: schemathesis keeps a crash cache
# (.schemathesis/) in its working directory, which must not steer the next run.
st() {
  local token="$1" phases="$2"
  shift 2
  (cd "$work" && "$venv/bin/schemathesis" --config-file "$repo/api-tests/schemathesis.toml" run "$url/openapi.json" \
    -H "Authorization: Bearer $token" \
    --checks "$CHECKS" \
    --phases "$phases" \
    --max-examples "$EXAMPLES" --seed "$SEED" --workers 1 \
    --no-color --output-truncate false \
    "$@")
}

echo "-- schemathesis with a staff (admin) token"
all=coverage,fuzzing,stateful
st "$admin" "$all"
echo "-- schemathesis with a subject token (erasure last: it ends the token)"
st "$subject" "$all" --exclude-operation-id erase
# No link leads to or from erasure, so it has no stateful phase of its own.
st "$subject" coverage,fuzzing --include-operation-id erase

echo "-- a generated client's scenario"
"$venv/bin/openapi-python-client" generate --path "$work/openapi.json" \
  --config api-tests/client-config.yaml --fail-on-warning \
  --output-path "$work/client" --meta setup --overwrite
"$venv/bin/pip" install -q --disable-pip-version-check "$work/client"
"$venv/bin/python" api-tests/scenario.py "$url" "$admin"
echo "api-tests: ok"
