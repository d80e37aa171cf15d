-- kerro schema 0011 (PostgreSQL): the breach register (P25, GDPR art. 33 and 34).
--
-- `breaches` holds each breach's current view: the art. 33(3) content as the
-- latest update left it, its stage, the notification to the authority and
-- the newest affected-subjects scope (JSON: the query, the counts, when and
-- by whom). Nothing here is a personal value: texts are the controller's own,
-- subjects appear only by their pseudonymous ids.
CREATE TABLE breaches (
    id                  TEXT COLLATE "C" PRIMARY KEY,
    aware_at            TEXT COLLATE "C" NOT NULL,
    deadline            TEXT COLLATE "C" NOT NULL,
    nature              TEXT COLLATE "C" NOT NULL,
    -- JSON arrays of strings.
    data_categories     TEXT COLLATE "C" NOT NULL,
    subject_categories  TEXT COLLATE "C" NOT NULL,
    approx_subjects     BIGINT,
    approx_records      BIGINT,
    contact_point       TEXT COLLATE "C" NOT NULL,
    likely_consequences TEXT COLLATE "C" NOT NULL,
    measures            TEXT COLLATE "C" NOT NULL,
    stage               TEXT COLLATE "C" NOT NULL CHECK (stage IN ('investigating', 'contained', 'resolved')),
    authority_ref       TEXT COLLATE "C",
    notified_at         TEXT COLLATE "C",
    late_reason         TEXT COLLATE "C",
    notified_by         TEXT COLLATE "C",
    scope               TEXT COLLATE "C",
    created_by          TEXT COLLATE "C" NOT NULL,
    created_at          TEXT COLLATE "C" NOT NULL
);
CREATE INDEX breaches_aware ON breaches(aware_at);

-- The history, append-only: phase 0 is the report as recorded, each later
-- phase one update with its time, author, text and the fields it amended
-- (JSON object of the new values).
CREATE TABLE breach_updates (
    breach_id   TEXT COLLATE "C" NOT NULL REFERENCES breaches(id),
    phase       BIGINT NOT NULL,
    at          TEXT COLLATE "C" NOT NULL,
    actor       TEXT COLLATE "C" NOT NULL,
    text        TEXT COLLATE "C" NOT NULL,
    changes     TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (breach_id, phase)
);

-- The subjects of the newest scope, by pseudonymous id, with how many of
-- their records (subject, field) the scoped reads touched.
CREATE TABLE breach_subjects (
    breach_id   TEXT COLLATE "C" NOT NULL REFERENCES breaches(id),
    subject_id  TEXT COLLATE "C" NOT NULL,
    records     BIGINT NOT NULL,
    PRIMARY KEY (breach_id, subject_id)
);

-- Every art. 34 message: to whom (pseudonymous id), in which language, by
-- whom, when, and what became of it (`sent`, `failed`, `skipped` with why).
CREATE TABLE breach_messages (
    breach_id   TEXT COLLATE "C" NOT NULL REFERENCES breaches(id),
    seq         BIGINT NOT NULL,
    subject_id  TEXT COLLATE "C" NOT NULL,
    lang        TEXT COLLATE "C",
    outcome     TEXT COLLATE "C" NOT NULL CHECK (outcome IN ('sent', 'failed', 'skipped')),
    reason      TEXT COLLATE "C",
    actor       TEXT COLLATE "C" NOT NULL,
    at          TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (breach_id, seq)
);
CREATE INDEX breach_messages_subject ON breach_messages(breach_id, subject_id);
