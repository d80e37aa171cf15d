-- kerro schema version 3 (PostgreSQL): the customer-facing web pages.
-- Secrets are stored only as SHA-256 hashes; nothing here holds a personal value.

-- Single-use sign-in links sent by e-mail (short-lived, consumed in one write).
CREATE TABLE web_login_links (
    hash        TEXT COLLATE "C" PRIMARY KEY,
    subject_id  TEXT COLLATE "C" NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
    expires_at  TEXT COLLATE "C" NOT NULL,
    created_at  TEXT COLLATE "C" NOT NULL
);
CREATE INDEX web_login_links_subject ON web_login_links(subject_id);

-- Browser sessions: a subject's preference centre, or a staff member's admin overview.
CREATE TABLE web_sessions (
    hash            TEXT COLLATE "C" PRIMARY KEY,
    subject_id      TEXT COLLATE "C" REFERENCES subjects(id) ON DELETE CASCADE,
    staff_token_id  TEXT COLLATE "C" REFERENCES staff_tokens(id),
    expires_at      TEXT COLLATE "C" NOT NULL,
    created_at      TEXT COLLATE "C" NOT NULL,
    CHECK ((subject_id IS NULL) <> (staff_token_id IS NULL))
);
CREATE INDEX web_sessions_subject ON web_sessions(subject_id);

-- Versions of the public privacy policy: the hash of what it said, and since when.
CREATE TABLE privacy_policy_versions (
    version     BIGINT PRIMARY KEY,
    sha256      TEXT COLLATE "C" NOT NULL,
    created_at  TEXT COLLATE "C" NOT NULL
);
