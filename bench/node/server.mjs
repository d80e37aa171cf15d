// HTTP decision benchmark, the baseline: a small Node HTTP server answering
// POST /v1/decisions like kerro does (bearer token, JSON body {subject,
// channel, limit, dry_run}), deciding with GrowthBook's evalCondition over the
// same offers and the same subject profiles (decide.mjs), and answering the
// same JSON shape (offers with title, body, topics, relevance and reasons).
// Profiles are held in memory, as kerro holds them; nothing is logged.
//
//   node bench/node/server.mjs DATA_DIR PORT
//
// DATA_DIR is the directory bench_http_seed wrote (node_input.json, bench_http.json).
import { createServer } from "node:http";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decide } from "./decide.mjs";

const [dir, portArg] = process.argv.slice(2);
const input = JSON.parse(readFileSync(join(dir, "node_input.json"), "utf8"));
const meta = JSON.parse(readFileSync(join(dir, "bench_http.json"), "utf8"));
const sha = (s) => createHash("sha256").update(s).digest("hex");
const tokens = new Map([[sha(meta.token), "service"]]);
const subjects = new Map(input.subjects.map((s) => [s.id, s]));
const offersByKey = new Map(input.offers.map((o) => [o.key, o]));
const CHANNELS = ["email", "sms", "phone", "post", "web"];

function localized(text, lang, dflt) {
  return text[lang] ?? text[dflt] ?? Object.values(text)[0] ?? null;
}

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

const error = (res, status, code, message, field) => send(res, status, { error: { code, message, field: field ?? null } });

function handle(req, res, raw) {
  if (req.method !== "POST" || req.url !== "/v1/decisions") return error(res, 404, "not_found", "no such route");
  const auth = req.headers.authorization ?? "";
  if (!auth.startsWith("Bearer ") || !tokens.has(sha(auth.slice(7).trim()))) {
    return error(res, 401, "unauthenticated", "the token is unknown, expired or revoked");
  }
  let body;
  try {
    body = JSON.parse(raw);
  } catch {
    return error(res, 400, "invalid_request", "the body is not JSON");
  }
  const subject = subjects.get(body.subject);
  if (!subject) return error(res, 404, "not_found", `no subject '${body.subject}'`, "subject");
  if (!CHANNELS.includes(body.channel)) return error(res, 422, "invalid_value", "channels are email, sms, phone, post and web", "channel");
  const limit = body.limit ?? 3;
  if (!(limit >= 1 && limit <= 100)) return error(res, 422, "invalid_value", "limit is between 1 and 100", "limit");
  const now = body.now ?? new Date().toISOString();
  const d = decide(input, subject, body.channel, limit);
  const lang = subject.language ?? input.default_language;
  send(res, 200, {
    subject: subject.id,
    channel: body.channel,
    decided_at: now,
    language: lang,
    offers: d.offers.map((c) => {
      const o = offersByKey.get(c.offer);
      return {
        key: c.offer,
        title: localized(o.title, lang, input.default_language),
        body: localized(o.body, lang, input.default_language),
        topics: o.topics,
        personalized: c.personalized,
        priority: c.priority,
        relevance: c.relevance,
        reasons: c.reasons,
      };
    }),
    limited_by: d.limited_by,
  });
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => handle(req, res, Buffer.concat(chunks).toString("utf8")));
});
server.keepAliveTimeout = 60_000;
server.listen(Number(portArg), "127.0.0.1", () => {
  console.error(`baseline server on 127.0.0.1:${portArg}: ${input.offers.length} offers, ${subjects.size} subjects`);
});
