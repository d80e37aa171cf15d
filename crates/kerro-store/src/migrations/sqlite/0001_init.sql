-- kerro schema version 1 (SQLite).
-- Personal values are stored only as ciphertexts (*_enc) or blind indexes (*_bidx).

CREATE TABLE purposes (
    key         TEXT PRIMARY KEY,
    spec        TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE attributes (
    key         TEXT PRIMARY KEY,
    spec        TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE forms (
    key         TEXT PRIMARY KEY,
    spec        TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE notice_versions (
    form        TEXT NOT NULL REFERENCES forms(key),
    version     INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    bundle      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (form, version)
);

CREATE TABLE subjects (
    id                  TEXT PRIMARY KEY,
    wrapped_key         BLOB NOT NULL,
    external_id_bidx    TEXT UNIQUE,
    email_bidx          TEXT,
    external_id_enc     BLOB,
    email_enc           BLOB,
    organization_enc    BLOB,
    locale              TEXT,
    restricted          INTEGER NOT NULL DEFAULT 0,
    objected_marketing  INTEGER NOT NULL DEFAULT 0,
    objected_sharing    INTEGER NOT NULL DEFAULT 0,
    created_at          TEXT NOT NULL
);
CREATE INDEX subjects_email ON subjects(email_bidx);

-- What remains of an erased subject: the pseudonymous id, when, and a hashed suppression entry.
CREATE TABLE erasures (
    subject_id          TEXT PRIMARY KEY,
    erased_at           TEXT NOT NULL,
    email_bidx          TEXT
);
CREATE INDEX erasures_email ON erasures(email_bidx);

CREATE TABLE declarations (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    subject_id      TEXT NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
    attribute       TEXT NOT NULL,
    value_enc       BLOB NOT NULL,
    form            TEXT,
    notice_version  INTEGER,
    method          TEXT NOT NULL,
    given_at        TEXT NOT NULL,
    superseded_at   TEXT
);
CREATE UNIQUE INDEX declarations_current ON declarations(subject_id, attribute) WHERE superseded_at IS NULL;
CREATE INDEX declarations_subject ON declarations(subject_id, id);

-- The consent ledger: append-only and hash-chained. Rows hold no personal values.
CREATE TABLE consent_events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id       TEXT NOT NULL UNIQUE,
    subject_id      TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    state           TEXT NOT NULL,
    form            TEXT,
    notice_version  INTEGER,
    notice_sha256   TEXT,
    language        TEXT NOT NULL,
    event_time      TEXT NOT NULL,
    actor           TEXT NOT NULL,
    method          TEXT NOT NULL,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL
);
CREATE INDEX consent_events_subject ON consent_events(subject_id, purpose, seq);

CREATE TABLE contact_prefs (
    subject_id  TEXT PRIMARY KEY REFERENCES subjects(id) ON DELETE CASCADE,
    prefs       TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE subject_tokens (
    hash        TEXT PRIMARY KEY,
    subject_id  TEXT NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
    expires_at  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX subject_tokens_subject ON subject_tokens(subject_id);

CREATE TABLE staff_tokens (
    id          TEXT PRIMARY KEY,
    hash        TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL,
    label       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

-- Tamper-evident audit log (P23): who did what to whose data, never the values.
CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    time        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    subject_id  TEXT,
    detail      TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log(subject_id, seq);
