-- kerro schema version 2 (SQLite): offers and the decision log.

CREATE TABLE offers (
    key         TEXT PRIMARY KEY,
    spec        TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- Each offer shown or delivered, with its reasons sealed under the subject's key.
-- Deleted with the subject (P13); part of the subject's export (P12).
CREATE TABLE decisions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    subject_id    TEXT NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
    offer         TEXT NOT NULL,
    channel       TEXT NOT NULL,
    decided_at    TEXT NOT NULL,
    personalized  INTEGER NOT NULL,
    reasons_enc   BLOB NOT NULL
);
CREATE INDEX decisions_subject ON decisions(subject_id, decided_at);
