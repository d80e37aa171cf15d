// HTTP decision benchmark: before timing, asks both servers for the same
// decisions and asserts they return the same ranked offers with the same
// relevance and the same cited values.
//
//   node bench/node/http_check.mjs DATA_DIR KERRO_URL BASELINE_URL [COUNT]
import { readFileSync } from "node:fs";
import { join } from "node:path";

const [dir, kerroUrl, baseUrl, countArg] = process.argv.slice(2);
const meta = JSON.parse(readFileSync(join(dir, "bench_http.json"), "utf8"));
const count = Math.min(Number(countArg ?? 200), meta.subjects.length);

async function ask(url, subject) {
  const r = await fetch(`${url}/v1/decisions`, {
    method: "POST",
    headers: { authorization: `Bearer ${meta.token}`, "content-type": "application/json" },
    body: JSON.stringify({ subject, channel: "email", limit: 3, dry_run: true }),
  });
  const body = await r.json();
  if (r.status !== 200) throw new Error(`${url}: status ${r.status}: ${JSON.stringify(body)}`);
  return body;
}

const digest = (d) =>
  JSON.stringify(
    d.offers.map((o) => [o.key, o.title, o.priority, o.relevance, o.personalized, o.reasons.values.map((v) => [v.attribute, v.value]), o.reasons.consent?.purpose, o.reasons.consent?.record_id]),
  );

let offers = 0;
for (const subject of meta.subjects.slice(0, count)) {
  const [a, b] = await Promise.all([ask(kerroUrl, subject), ask(baseUrl, subject)]);
  if (digest(a) !== digest(b)) {
    throw new Error(`decisions differ for ${subject}:\n  kerro:    ${digest(a)}\n  baseline: ${digest(b)}`);
  }
  offers += a.offers.length;
}
console.log(`http: ${count} subjects, the same ${offers} offers (keys, titles, relevance, reasons) from kerro and the baseline`);
