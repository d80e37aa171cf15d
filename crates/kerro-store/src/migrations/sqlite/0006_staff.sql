-- kerro schema version 6 (sqlite): named staff accounts with a second factor,
-- their invites and sessions, API tokens that expire, and subject tokens that
-- remember which staff member minted them. Secrets are stored only as
-- hashes (SHA-256 for random secrets, argon2id for passwords); a TOTP secret
-- is sealed with a key derived from the master key.

CREATE TABLE staff_accounts (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL,
    -- The address's canonical look-up key: one account per address.
    email_key       TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    role            TEXT NOT NULL,
    state           TEXT NOT NULL,
    password_hash   TEXT,
    totp_sealed     TEXT,
    totp_confirmed_at TEXT,
    -- JSON array of the SHA-256 of the unused recovery codes.
    recovery_codes  TEXT NOT NULL DEFAULT '[]',
    failures        INTEGER NOT NULL DEFAULT 0,
    -- The newest TOTP time step used, so a code works once.
    totp_step       INTEGER NOT NULL DEFAULT 0,
    locked_until    TEXT,
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

-- One open invite per account; used up when the password is set.
CREATE TABLE staff_invites (
    hash        TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES staff_accounts(id) ON DELETE CASCADE,
    expires_at  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX staff_invites_account ON staff_invites(account_id);

-- A person's browser sessions. `stage` is 'enrol' between setting the
-- password and enrolling the second factor, then 'full'.
CREATE TABLE staff_sessions (
    hash          TEXT PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    account_id    TEXT NOT NULL REFERENCES staff_accounts(id) ON DELETE CASCADE,
    stage         TEXT NOT NULL,
    user_agent    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL
);
CREATE INDEX staff_sessions_account ON staff_sessions(account_id);

-- API tokens: who made them, until when, when last used, and an optional rate.
ALTER TABLE staff_tokens ADD COLUMN expires_at TEXT;
ALTER TABLE staff_tokens ADD COLUMN created_by TEXT;
ALTER TABLE staff_tokens ADD COLUMN last_used_at TEXT;
ALTER TABLE staff_tokens ADD COLUMN per_minute INTEGER;

-- Subject tokens minted by staff act "on behalf of" the subject, with the reason given.
ALTER TABLE subject_tokens ADD COLUMN minted_by TEXT;
ALTER TABLE subject_tokens ADD COLUMN minted_role TEXT;
CREATE INDEX subject_tokens_minted_by ON subject_tokens(minted_by);
