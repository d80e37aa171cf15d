-- kerro schema version 15 (PostgreSQL): the recipients register (P21) and the
-- versions of the record of processing activities (P22), issue 13.
--
-- A recipient is a definition like a purpose: its spec is JSON. A version
-- of the record keeps its inputs exactly as they were (the purposes,
-- attributes and recipients as canonical JSON, and the configured identity
-- and security measures), so an earlier version reads the same forever.
CREATE TABLE recipients (
    key         TEXT PRIMARY KEY,
    spec        TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE TABLE records_versions (
    version     BIGINT PRIMARY KEY,
    inputs      TEXT NOT NULL,
    -- NULL until `serve` notes the configuration; readers then use the current one.
    context     TEXT,
    sha256      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
