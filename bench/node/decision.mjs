// Decision benchmark, the baseline's side, and the side-by-side table.
//
//   node bench/node/decision.mjs DIR [K,K,...]
//
// Reads DIR/decision_K.json (written by the bench_decision example: offers,
// subjects with their masked profiles, and what kerro matched and chose) and
// DIR/decision_kerro*.json (kerro's timings, one file per run). Asserts, per
// subject, that GrowthBook's evalCondition matches exactly the offers kerro
// matched and that the full baseline decision ranks the same offers first;
// then times, per subject:
//   - "GB loop": evalCondition over every targeted offer's condition on the
//     profile masked for its purpose (the loop the issue names as baseline);
//   - "GB decide": the same policy as kerro's decide (decide.mjs).
// Each figure is the median of 21 batches of ~2 ms after a warm-up, then the
// median over subjects. Prints kerro's figures (median over runs), the
// baseline's and the ratios, and writes DIR/decision_result.json.
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { evalCondition, matches, decide } from "./decide.mjs";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node decision.mjs DIR [K,K,...]");
  process.exit(2);
}
const kerroRuns = readdirSync(dir)
  .filter((f) => /^decision_kerro.*\.json$/.test(f))
  .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")));
if (kerroRuns.length === 0) throw new Error(`no decision_kerro*.json in ${dir}`);
const ks = (process.argv[3] ?? Object.keys(kerroRuns[0].results).join(","))
  .split(",")
  .map(Number);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function timePerCall(f, rounds = 21, batchNs = 2e6) {
  let calls = 0;
  const t0 = process.hrtime.bigint();
  while (Number(process.hrtime.bigint() - t0) < 5e6 || calls < 3) {
    f();
    calls++;
  }
  const per = Number(process.hrtime.bigint() - t0) / calls;
  const iters = Math.max(1, Math.ceil(batchNs / per));
  const samples = [];
  for (let r = 0; r < rounds; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < iters; i++) f();
    samples.push(Number(process.hrtime.bigint() - t) / iters);
  }
  return median(samples);
}

const sameSet = (a, b) => a.length === b.length && [...a].sort().join(",") === [...b].sort().join(",");

let sink = 0;
const rows = [];
for (const k of ks) {
  const input = JSON.parse(readFileSync(join(dir, `decision_${k}.json`), "utf8"));
  // 1. Equality before timing.
  for (const s of input.subjects) {
    const m = matches(input, s);
    if (!sameSet(m, s.expected_matches)) {
      const onlyGb = m.filter((x) => !s.expected_matches.includes(x));
      const onlyKerro = s.expected_matches.filter((x) => !m.includes(x));
      throw new Error(`K=${k} subject ${s.id}: matches differ; only GrowthBook: ${onlyGb.slice(0, 5)}; only kerro: ${onlyKerro.slice(0, 5)}`);
    }
    const d = decide(input, s, input.channel, input.limit).offers.map((o) => o.offer);
    if (d.join(",") !== s.expected_ranked.join(",")) {
      throw new Error(`K=${k} subject ${s.id}: ranking differs: baseline ${d} vs kerro ${s.expected_ranked}`);
    }
  }
  // 2. Timing.
  const loopNs = [];
  const decideNs = [];
  for (const s of input.subjects) {
    const targeted = input.offers.filter((o) => !o.generic && s.basis[o.purpose]);
    const pairs = targeted.map((o) => [s.masked[o.purpose], o.condition]);
    const loop = () => {
      let n = 0;
      for (let i = 0; i < pairs.length; i++) if (evalCondition(pairs[i][0], pairs[i][1])) n++;
      sink += n;
    };
    const full = () => {
      sink += decide(input, s, input.channel, input.limit).offers.length;
    };
    // Warm-up for the JIT.
    for (let i = 0; i < Math.max(20, 20000 / k); i++) {
      loop();
      full();
    }
    loopNs.push(timePerCall(loop));
    decideNs.push(timePerCall(full));
  }
  const kerroDecide = kerroRuns.map((r) => r.results[k].decide_ns);
  const kerroEval = kerroRuns.map((r) => r.results[k].eval_loop_ns);
  rows.push({
    k,
    subjects: input.subjects.length,
    matched_mean: input.subjects.reduce((a, s) => a + s.expected_matches.length, 0) / input.subjects.length,
    kerro_decide_ns: median(kerroDecide),
    kerro_decide_ns_runs: kerroDecide,
    kerro_eval_loop_ns: median(kerroEval),
    gb_loop_ns: median(loopNs),
    gb_decide_ns: median(decideNs),
  });
}

const fmt = (x) => (x >= 100 ? Math.round(x).toLocaleString("en-US") : x.toFixed(1));
console.log(
  `decision: ${kerroRuns.length} kerro run(s), one subject against K offers, limit ${kerroRuns[0].limit}; median ns per decision; equality asserted for every subject`,
);
console.log(
  ["K", "matched", "kerro decide", "kerro eval loop", "GB loop", "GB decide", "GB loop / kerro", "target <=5us & >=100x"]
    .map((h, i) => (i === 0 ? h.padStart(6) : h.padStart(i === 7 ? 23 : 17)))
    .join(""),
);
for (const r of rows) {
  const ratio = r.gb_loop_ns / r.kerro_decide_ns;
  const target = r.k === 1000 ? (r.kerro_decide_ns <= 5000 && ratio >= 100 ? "met" : "MISSED") : "-";
  console.log(
    [
      String(r.k).padStart(6),
      r.matched_mean.toFixed(1).padStart(17),
      fmt(r.kerro_decide_ns).padStart(17),
      fmt(r.kerro_eval_loop_ns).padStart(17),
      fmt(r.gb_loop_ns).padStart(17),
      fmt(r.gb_decide_ns).padStart(17),
      `${ratio.toFixed(1)}x`.padStart(17),
      target.padStart(23),
    ].join(""),
  );
}
writeFileSync(join(dir, "decision_result.json"), JSON.stringify({ rows, sink }, null, 1));
