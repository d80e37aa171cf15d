// The baseline's decision: the same policy kerro_core::decide applies, written
// around GrowthBook's own `evalCondition` (npm @growthbook/growthbook, pinned).
// Shared by decision.mjs (in-process timing) and server.mjs (HTTP baseline).
import { evalCondition } from "@growthbook/growthbook";

export { evalCondition };

// Relevance as kerro computes it: attributes the condition reads that the
// subject answered (visibly), plus topics found among the visible values.
function relevance(offer, masked) {
  let n = 0;
  for (const k of offer.reads) if (Object.prototype.hasOwnProperty.call(masked, k)) n++;
  for (const t of offer.topics) {
    for (const v of Object.values(masked)) {
      if (v === t || (Array.isArray(v) && v.includes(t))) {
        n++;
        break;
      }
    }
  }
  return n;
}

function reasons(offer, subject, purposes) {
  if (offer.generic) return { values: [], consent: null };
  const values = [];
  for (const k of offer.reads) {
    const d = subject.declared[k];
    if (d) values.push({ attribute: k, value: d.value, form: d.form, given_at: d.given_at });
  }
  const basis = purposes[offer.purpose]?.legal_basis ?? "consent";
  const c = subject.consents[offer.purpose];
  const active = basis === "consent" && c && (c.state === "given" || c.state === "renewed");
  return {
    values,
    consent: {
      purpose: offer.purpose,
      legal_basis: basis,
      given_at: active ? c.at : null,
      record_id: active ? c.record_id : null,
    },
  };
}

// Offers whose condition passes on the profile masked for their purpose.
export function matches(input, subject) {
  const out = [];
  for (const o of input.offers) {
    if (o.generic || (subject.basis[o.purpose] && evalCondition(subject.masked[o.purpose], o.condition))) {
      out.push(o.key);
    }
  }
  return out;
}

// The full decision: channel, restriction and objection checks, consent
// basis, condition, relevance, ranking (priority, relevance, key), limit, reasons.
// No deliveries are passed (caps are checked but never reached), as in the Rust bench.
export function decide(input, subject, channel, limit) {
  if (subject.restricted) return { offers: [], limited_by: "restricted" };
  if (!subject.channels.includes(channel)) return { offers: [], limited_by: "channel_not_opted_in" };
  const candidates = [];
  for (const o of input.offers) {
    if (!o.channels.includes(channel)) continue;
    const p = input.purposes[o.purpose];
    if (!p) continue;
    if (subject.objected_marketing && p.marketing) continue;
    if (o.generic) {
      candidates.push([o, 0]);
      continue;
    }
    if (!subject.basis[o.purpose]) continue;
    const masked = subject.masked[o.purpose];
    if (evalCondition(masked, o.condition)) candidates.push([o, relevance(o, masked)]);
  }
  candidates.sort((a, b) => b[0].priority - a[0].priority || b[1] - a[1] || (a[0].key < b[0].key ? -1 : a[0].key > b[0].key ? 1 : 0));
  const offers = candidates.slice(0, limit).map(([o, rel]) => ({
    offer: o.key,
    personalized: !o.generic,
    priority: o.priority,
    relevance: rel,
    reasons: reasons(o, subject, input.purposes),
  }));
  return { offers, limited_by: null };
}
