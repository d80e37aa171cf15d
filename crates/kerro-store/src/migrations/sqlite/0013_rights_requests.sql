-- kerro schema version 13 (SQLite): rights requests with deadlines (issue 13, P15).
--
-- A request is due one calendar month after its receipt, extended by at most
-- two more with a reason. The subject id is kept without a reference: the
-- request is the proof that an erasure was done, so it outlives the subject.
CREATE TABLE rights_requests (
    id                    TEXT PRIMARY KEY,
    subject_id            TEXT NOT NULL,
    kind                  TEXT NOT NULL,
    channel               TEXT NOT NULL,
    note                  TEXT,
    received_at           TEXT NOT NULL,
    due_at                TEXT NOT NULL,
    extended_months       INTEGER NOT NULL DEFAULT 0,
    -- [{months, reason, by, at}], oldest first.
    extensions            TEXT NOT NULL DEFAULT '[]',
    identity_verified_at  TEXT,
    identity_verified_by  TEXT,
    completed_at          TEXT,
    completed_by          TEXT,
    evidence              TEXT,
    created_by            TEXT NOT NULL,
    created_at            TEXT NOT NULL
);
CREATE INDEX rights_requests_open ON rights_requests(completed_at, due_at);
CREATE INDEX rights_requests_subject ON rights_requests(subject_id);
