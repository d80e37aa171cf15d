-- kerro schema version 13 (PostgreSQL): rights requests with deadlines (issue 13, P15).
--
-- A request is due one calendar month after its receipt, extended by at most
-- two more with a reason. The subject id is kept without a reference: the
-- request is the proof that an erasure was done, so it outlives the subject.
CREATE TABLE rights_requests (
    id                    TEXT COLLATE "C" PRIMARY KEY,
    subject_id            TEXT COLLATE "C" NOT NULL,
    kind                  TEXT COLLATE "C" NOT NULL,
    channel               TEXT COLLATE "C" NOT NULL,
    note                  TEXT COLLATE "C",
    received_at           TEXT COLLATE "C" NOT NULL,
    due_at                TEXT COLLATE "C" NOT NULL,
    extended_months       BIGINT NOT NULL DEFAULT 0,
    -- [{months, reason, by, at}], oldest first.
    extensions            TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    identity_verified_at  TEXT COLLATE "C",
    identity_verified_by  TEXT COLLATE "C",
    completed_at          TEXT COLLATE "C",
    completed_by          TEXT COLLATE "C",
    evidence              TEXT COLLATE "C",
    created_by            TEXT COLLATE "C" NOT NULL,
    created_at            TEXT COLLATE "C" NOT NULL
);
CREATE INDEX rights_requests_open ON rights_requests(completed_at, due_at);
CREATE INDEX rights_requests_subject ON rights_requests(subject_id);
