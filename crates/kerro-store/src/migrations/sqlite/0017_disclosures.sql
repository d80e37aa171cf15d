-- kerro schema version 17 (SQLite): consent per recipient and the disclosure
-- log (P21). A consent event may name one recipient of a sharing purpose: it
-- records the subject's choice about that recipient and leaves the purpose's
-- own state alone. Every disclosure to a recipient (an audience export made
-- for it, a webhook to its endpoint) is a row per subject, with the fields
-- that left and when; rows hold no personal value and stay after erasure, as
-- the proof of what was shared. A webhook endpoint may belong to a recipient,
-- for one of the purposes that name it.
ALTER TABLE consent_events ADD COLUMN recipient TEXT;
-- Who consented to one recipient under one purpose, for an export made for it.
CREATE INDEX consent_events_recipient ON consent_events(purpose, recipient, subject_id, seq)
    WHERE recipient IS NOT NULL;

CREATE TABLE disclosures (
    id          TEXT PRIMARY KEY,
    subject_id  TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    -- JSON array of the fields disclosed.
    fields      TEXT NOT NULL,
    via         TEXT NOT NULL CHECK (via IN ('audience_export', 'webhook')),
    actor       TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX disclosures_subject ON disclosures(subject_id, at);

ALTER TABLE webhook_endpoints ADD COLUMN recipient TEXT;
ALTER TABLE webhook_endpoints ADD COLUMN purpose TEXT;
