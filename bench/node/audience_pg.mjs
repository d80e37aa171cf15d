// Audience benchmark, PostgreSQL's side, and the side-by-side table.
//
//   node bench/node/audience_pg.mjs TABLE ROUNDS KERRO_RESULT.json [KERRO_RESULT.json ...]
//
// Reads kerro's results (bench_audience example: one file per run, same seed
// and N), runs each condition's SQL against TABLE (loaded by
// bench/pg/load_subjects.sh) through psql with \timing: first
// `SELECT count(*)`, asserting the count equals kerro's, then ROUNDS timed
// repetitions (median reported); and the export query `SELECT id` of the
// exported condition with its output sent to /dev/null. Prints the table and
// writes RESULT_DIR/audience_<N>_result.json beside the first kerro file.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const [table, roundsArg, ...files] = process.argv.slice(2);
if (!table || files.length === 0) {
  console.error("usage: node audience_pg.mjs TABLE ROUNDS KERRO_RESULT.json...");
  process.exit(2);
}
const rounds = Number(roundsArg);
const runs = files.map((f) => JSON.parse(readFileSync(f, "utf8")));
const { n, seed } = runs[0];
for (const r of runs) if (r.n !== n || r.seed !== seed) throw new Error("kerro runs differ in seed or N");

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function psql(script) {
  const args = ["-X", "-At", "-v", "ON_ERROR_STOP=1",
    "-h", process.env.PGHOST ?? "127.0.0.1", "-p", process.env.PGPORT ?? "5432",
    "-U", process.env.PGUSER ?? "postgres", process.env.PGDATABASE ?? "test"];
  return execFileSync("psql", args, { input: script, encoding: "utf8", maxBuffer: 1 << 28 });
}

// Runs `sql` once untimed (count checked), then `rounds` times with \timing; returns [result lines, times ms].
function timed(sql, toDevNull) {
  let script = "\\timing on\n";
  if (toDevNull) script += "\\o /dev/null\n";
  for (let i = 0; i < rounds + 1; i++) script += sql + ";\n";
  const out = psql(script).split("\n");
  const times = out.filter((l) => l.startsWith("Time: ")).map((l) => parseFloat(l.slice(6)));
  const values = out.filter((l) => l !== "" && !l.startsWith("Time: ") && l !== "Timing is on.");
  return { values, times: times.slice(1) };
}

const meta = psql(`SELECT seed, n, load_s, index_s, table_bytes, index_bytes FROM bench_meta WHERE tbl = '${table}'`).trim().split("|");
if (Number(meta[0]) !== seed || Number(meta[1]) !== n) {
  throw new Error(`${table} holds seed ${meta[0]}, N ${meta[1]}, but kerro ran seed ${seed}, N ${n}`);
}
const pgMeta = { load_s: +meta[2], index_s: +meta[3], table_bytes: +meta[4], index_bytes: +meta[5] };

const rows = [];
for (const c of runs[0].cases) {
  const sql = `SELECT count(*) FROM ${table} WHERE ${c.sql_where}`;
  const { values, times } = timed(sql, false);
  const pgCount = Number(values[0]);
  for (const v of values) if (Number(v) !== pgCount) throw new Error(`unstable count for ${c.name}`);
  if (pgCount !== c.count) {
    throw new Error(`${c.name}: counts differ: kerro ${c.count}, PostgreSQL ${pgCount}\n  ${JSON.stringify(c.condition)}\n  ${sql}`);
  }
  const kerroUs = median(runs.map((r) => r.cases.find((x) => x.name === c.name).count_us));
  rows.push({
    name: c.name,
    count: c.count,
    share: c.count / n,
    kerro_us: kerroUs,
    kerro_us_runs: runs.map((r) => r.cases.find((x) => x.name === c.name).count_us),
    pg_ms: median(times),
    pg_ms_runs: times,
    sql,
  });
}
const ex = runs[0].export;
const exCase = runs[0].cases.find((c) => c.name === ex.case);
const exportSql = `SELECT id FROM ${table} WHERE ${exCase.sql_where}`;
const exp = timed(exportSql, true);
const exportRow = {
  case: ex.case,
  ids: ex.ids,
  kerro_slots_us: median(runs.map((r) => r.export.slots_us)),
  kerro_ndjson_us: median(runs.map((r) => r.export.ndjson_us)),
  pg_ms: median(exp.times),
  pg_ms_runs: exp.times,
  sql: exportSql,
};
const kerroMem = {
  build_s: median(runs.map((r) => r.build_s)),
  heap_bytes: median(runs.map((r) => r.heap_bytes)),
  rss_delta_bytes: median(runs.map((r) => r.rss_delta_bytes)),
};

const f = (x, d = 0) => x.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
console.log(`audience: N = ${f(n)} subjects (seed ${seed}), purpose marketing, channel email; kerro median of ${runs.length} run(s) x 15 calls, PostgreSQL median of ${rounds}; counts asserted equal`);
console.log(["condition", "count", "share", "kerro us", "PostgreSQL ms", "PG / kerro", "target (10M)"].map((h, i) => (i === 0 ? h.padEnd(10) : h.padStart(14))).join(""));
for (const r of rows) {
  const ratio = (r.pg_ms * 1000) / r.kerro_us;
  const target = n >= 10_000_000 ? (r.kerro_us <= 250 && ratio >= 1000 ? "met" : "MISSED") : "-";
  console.log(
    [r.name.padEnd(10), f(r.count).padStart(14), `${(100 * r.share).toFixed(3)}%`.padStart(14), f(r.kerro_us, 1).padStart(14),
      f(r.pg_ms, 1).padStart(14), `${f(ratio, 1)}x`.padStart(14), target.padStart(14)].join(""),
  );
}
{
  const ratio = (exportRow.pg_ms * 1000) / exportRow.kerro_ndjson_us;
  const target = n >= 10_000_000 ? (exportRow.kerro_ndjson_us <= 2000 ? "met" : "MISSED") : "-";
  console.log(
    `export ${exportRow.case}: ${f(exportRow.ids)} ids; kerro ${f(exportRow.kerro_slots_us)} us as slots, ${f(exportRow.kerro_ndjson_us)} us as NDJSON ids; PostgreSQL SELECT id ${f(exportRow.pg_ms, 1)} ms; PG / kerro(NDJSON) ${f(ratio, 1)}x; target <= 2 ms at 10M: ${target}`,
  );
}
console.log(
  `build: kerro ${f(kerroMem.build_s, 2)} s, ${f(kerroMem.heap_bytes / n, 1)} bytes/subject heap (${f(kerroMem.heap_bytes / 1048576, 1)} MiB; RSS delta ${f(kerroMem.rss_delta_bytes / n, 1)} B/subject); ` +
    `PostgreSQL COPY ${f(pgMeta.load_s, 1)} s + CREATE INDEX ${f(pgMeta.index_s, 1)} s, GIN ${f(pgMeta.index_bytes / n, 1)} bytes/subject (${f(pgMeta.index_bytes / 1048576, 1)} MiB), table ${f(pgMeta.table_bytes / n, 1)} bytes/subject`,
);
const outFile = join(dirname(files[0]), `audience_${n}_result.json`);
writeFileSync(outFile, JSON.stringify({ seed, n, rows, export: exportRow, kerro: kerroMem, postgres: pgMeta }, null, 1));
