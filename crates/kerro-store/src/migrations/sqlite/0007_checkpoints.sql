-- kerro schema version 7 (SQLite): signed checkpoints of the ledger's and the
-- audit log's hash chains (issue 11, item 8), and indexes for the staff's
-- audit log viewer. A checkpoint names a chain's head (its seq and hash) at
-- a moment, signed with the installation's Ed25519 key; the public key is
-- kept on each row so a copy elsewhere can be checked on its own.
CREATE TABLE checkpoints (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    chain       TEXT NOT NULL CHECK (chain IN ('ledger', 'audit')),
    head_seq    BIGINT NOT NULL,
    head_hash   TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    signature   TEXT NOT NULL,
    UNIQUE (chain, head_seq)
);
CREATE INDEX audit_log_action ON audit_log(action, seq);
CREATE INDEX audit_log_time ON audit_log(time);
