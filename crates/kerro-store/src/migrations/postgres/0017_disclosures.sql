-- kerro schema version 17 (PostgreSQL): consent per recipient and the disclosure
-- log (P21). A consent event may name one recipient of a sharing purpose: it
-- records the subject's choice about that recipient and leaves the purpose's
-- own state alone. Every disclosure to a recipient (an audience export made
-- for it, a webhook to its endpoint) is a row per subject, with the fields
-- that left and when; rows hold no personal value and stay after erasure, as
-- the proof of what was shared. A webhook endpoint may belong to a recipient,
-- for one of the purposes that name it.
ALTER TABLE consent_events ADD COLUMN recipient TEXT COLLATE "C";
-- Who consented to one recipient under one purpose, for an export made for it.
CREATE INDEX consent_events_recipient ON consent_events(purpose, recipient, subject_id, seq)
    WHERE recipient IS NOT NULL;

CREATE TABLE disclosures (
    id          TEXT COLLATE "C" PRIMARY KEY,
    subject_id  TEXT COLLATE "C" NOT NULL,
    recipient   TEXT COLLATE "C" NOT NULL,
    purpose     TEXT COLLATE "C" NOT NULL,
    -- JSON array of the fields disclosed.
    fields      TEXT COLLATE "C" NOT NULL,
    via         TEXT COLLATE "C" NOT NULL CHECK (via IN ('audience_export', 'webhook')),
    actor       TEXT COLLATE "C" NOT NULL,
    at          TEXT COLLATE "C" NOT NULL
);
CREATE INDEX disclosures_subject ON disclosures(subject_id, at);

ALTER TABLE webhook_endpoints ADD COLUMN recipient TEXT COLLATE "C";
ALTER TABLE webhook_endpoints ADD COLUMN purpose TEXT COLLATE "C";
