#!/usr/bin/env bash
# Differential test: evaluates random GrowthBook conditions with the official
# GrowthBook JS SDK (npm @growthbook/growthbook, pinned in package-lock.json)
# and with kerro-condition, and compares the outcomes line by line.
#
# Usage: difftest/run.sh [--seed N] [--count N] [extra gen flags...]
#   (defaults: seed 1, count 100000; e.g. `--focus regex`). Works from any
#   directory and from a fresh clone: it installs the pinned SDK with `npm ci`
#   when it is missing or another version, and builds the release examples
#   (honouring CARGO_TARGET_DIR). Needs cargo, Node.js and npm.
#
# The last line printed is `difftest: <count> pairs, <n> differences`; the
# first ten differences go to stderr. Exits 0 only when there is none.
set -euo pipefail

seed=1
count=100000
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seed) seed="$2"; shift 2 ;;
    --count) count="$2"; shift 2 ;;
    *) extra+=("$1"); shift ;;
  esac
done

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
crate="$(dirname "$here")"

for tool in cargo node npm; do
  if ! command -v "$tool" > /dev/null; then
    echo "difftest: $tool is required" >&2
    exit 2
  fi
done

# The SDK as pinned by package-lock.json.
locked="$(cd "$here" && node -p 'require("./package-lock.json").packages["node_modules/@growthbook/growthbook"].version')"
installed="$(cd "$here" && node -p 'try { require("./node_modules/@growthbook/growthbook/package.json").version } catch (e) { "" }')"
if [ "$installed" != "$locked" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --silent)
fi

# Release build: the generator asks kerro about each pattern, and 100,000 cases
# are evaluated on each side.
(cd "$crate" && cargo build --release --quiet -p kerro-condition --example gen --example eval_lines)
target_dir="$(cd "$crate" && cargo metadata --format-version 1 --no-deps \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"
bin="$target_dir/release/examples"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$bin/gen" --seed "$seed" --count "$count" ${extra[@]+"${extra[@]}"} > "$work/cases.jsonl"
node "$here/eval.js" < "$work/cases.jsonl" > "$work/sdk.txt"
"$bin/eval_lines" < "$work/cases.jsonl" > "$work/kerro.txt"

sdk_lines=$(wc -l < "$work/sdk.txt")
kerro_lines=$(wc -l < "$work/kerro.txt")
if [ "$sdk_lines" -ne "$count" ] || [ "$kerro_lines" -ne "$count" ]; then
  echo "difftest: expected $count results, got $sdk_lines from the SDK and $kerro_lines from kerro" >&2
  exit 2
fi

# JSON lines never contain a raw tab, so tabs can separate the three columns.
diffs=$(paste -d '\t' "$work/sdk.txt" "$work/kerro.txt" "$work/cases.jsonl" | awk -F '\t' '
  $1 != $2 {
    n++
    if (n <= 10) { printf "difference at line %d: sdk=%s kerro=%s\n  %s\n", NR, $1, $2, $3 > "/dev/stderr" }
  }
  END { print n + 0 }')

tally=$(sort "$work/sdk.txt" | uniq -c | awk '{printf "%s%s=%s", (NR>1?", ":""), $2, $1}')
echo "difftest: seed $seed${extra[*]+ ${extra[*]}}, SDK outcomes: $tally"
echo "difftest: $count pairs, $diffs differences"
[ "$diffs" -eq 0 ]
